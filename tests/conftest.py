from typing import NamedTuple

import numpy as np
import pytest
import torch

from sklearn_seqlab import splitting


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, so failures reproduce."""
    np.random.seed(0)
    torch.manual_seed(0)


class HeldOut(NamedTuple):
    """One call of ``holdout_split``: the groups it was given, the rows it held out, and the
    number of sequences it split."""

    groups: object
    valid: np.ndarray
    n_rows: int


@pytest.fixture
def recorded_splits(monkeypatch):
    """Every validation split made while the test runs (the networks' and the hybrid's), as
    :class:`HeldOut` records, in order."""
    calls = []
    holdout_split = splitting.holdout_split

    def recording(contexts, targets, fraction, salt, groups=None):
        train, valid = holdout_split(contexts, targets, fraction, salt, groups)
        calls.append(HeldOut(groups, valid, len(contexts)))
        return train, valid

    monkeypatch.setattr(splitting, "holdout_split", recording)
    monkeypatch.setattr("sklearn_seqlab.hybrid.holdout_split", recording)
    return calls
