"""Model files of older format versions still load."""

from pathlib import Path

import numpy as np
import pytest
from test_persistence import X

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    load_model,
    save_model,
)

MODEL_FILES = Path(__file__).parent / "model_files"


@pytest.fixture
def markov_file(tmp_path):
    save_model(MarkovClassifier().fit(X), tmp_path / "markov.seqlab")
    return tmp_path / "markov.seqlab"


@pytest.mark.parametrize("file", sorted(p.name for p in MODEL_FILES.glob("v*.seqlab")))
def test_files_of_format_versions_1_and_2_still_load(file):
    # written by the code of format 2 (version 1: what it lacked stripped, as version 1 wrote)
    loaded = load_model(MODEL_FILES / file)
    expected = np.load(MODEL_FILES / "expected.npz")[file[3:-7]]
    if isinstance(loaded, StateEncoder):
        np.testing.assert_array_equal(np.concatenate(list(loaded.transform(X))), expected)
    else:
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    if isinstance(loaded, NextStateClassifier):
        loaded.partial_fit(X)  # the optimizer state, or a fresh one (version 1), is usable
