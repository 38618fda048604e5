"""The subpackages keep the old flat module paths working (sklearn_seqlab/_moved.py)."""

import importlib
import pickle
import subprocess
import sys
import types

import joblib
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

import sklearn_seqlab
from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab._moved import MOVED
from sklearn_seqlab.data import make_markov_sequences

X = make_markov_sequences(40, n_states=4, order=1, random_state=0)

# What each split module defined publicly before the split; its old path names the subpackage
SPLIT = {
    "baselines": ["MarkovClassifier", "VariableOrderMarkovClassifier"],
    "readers": ["read_event_log", "read_seqlab_csv", "read_txt", "sequences_from_frame"],
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_is_the_new_module(old):
    new = importlib.import_module(f"sklearn_seqlab.{MOVED[old]}")
    assert importlib.import_module(f"sklearn_seqlab.{old}") is new
    assert getattr(sklearn_seqlab, old) is new
    for name in SPLIT.get(old, []):
        assert getattr(importlib.import_module(f"sklearn_seqlab.{old}"), name) is not None


def test_old_paths_import_first_in_a_fresh_interpreter():
    # nothing imported before: the old path alone must find its module
    code = (
        "import sklearn_seqlab.cli, sklearn_seqlab.experiments.cli as new\n"
        "from sklearn_seqlab.baselines import MarkovClassifier\n"
        "from sklearn_seqlab.readers import read_event_log\n"
        "assert sklearn_seqlab.cli is new\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _as_before_the_move(monkeypatch):
    """Make pickle name the moved classes and functions by their old module paths."""
    for old, new in MOVED.items():
        module = importlib.import_module(f"sklearn_seqlab.{new}")
        for obj in vars(module).values():
            home = getattr(obj, "__module__", "") or ""
            if isinstance(obj, (type, types.FunctionType)) and home.startswith(module.__name__):
                monkeypatch.setattr(obj, "__module__", f"sklearn_seqlab.{old}")


@pytest.mark.parametrize(
    "model",
    [
        make_pipeline(StateEncoder(), MarkovClassifier()),
        VariableOrderMarkovClassifier(max_order=2),
        # weight averaging, stopping on accuracy and the repetition slots came after the
        # move: a pickle from before holds neither callback, nor the slots' module
        NextStateClassifier(
            embedding_dim=8,
            hidden_dim=8,
            max_epochs=1,
            random_state=0,
            average_weights=False,
            scoring="loss",
            repetition_slots=0,
        ),
    ],
    ids=["markov-pipeline", "variable-order", "network"],
)
def test_joblib_file_written_before_the_move_loads(model, tmp_path):
    model.fit(X)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    assert (joblib.load(path).predict(X) == model.predict(X)).all()

    with pytest.MonkeyPatch.context() as monkeypatch:
        _as_before_the_move(monkeypatch)
        joblib.dump(model, path)
    written = path.read_bytes()
    assert b"sklearn_seqlab.estimators" in written or b"sklearn_seqlab.baselines" in written
    assert b"sklearn_seqlab.neural" not in written and b"sklearn_seqlab.counts" not in written
    loaded = joblib.load(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert pickle.loads(pickle.dumps(loaded)).get_params().keys() == model.get_params().keys()
