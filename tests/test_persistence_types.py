"""Model files by value type: new fitted attributes, unknown types, older format versions."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from test_persistence import X, _assert_same_fitted, _forge

from sklearn_seqlab import (
    HybridClassifier,
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
    load_model,
    save_model,
)

MODEL_FILES = Path(__file__).parent / "model_files"
COUNT_MODELS = (MarkovClassifier, VariableOrderMarkovClassifier)  # exact arithmetic in float64


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
    elif isinstance(loaded[-1] if hasattr(loaded, "steps") else loaded, COUNT_MODELS):
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    else:
        # a network sums in float32, in an order that depends on the CPU: close, not equal
        np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-5, atol=1e-9)
    if isinstance(loaded, NextStateClassifier):
        assert loaded.average_weights is False  # as it was fitted, before the parameter
        loaded.partial_fit(X)  # the optimizer state, or a fresh one (version 1), is usable
    if isinstance(loaded, HybridClassifier):
        assert loaded.min_gain_se == 0.0  # the best mixture, as it was chosen then


# ---- by value type: a new fitted attribute needs no change to the format ---------------------


@pytest.fixture
def markov_with_new_attributes(monkeypatch):
    fit = MarkovClassifier._fit

    def fit_and_learn_more(self, contexts, targets):
        fit(self, contexts, targets)
        self.total_count_ = self.transition_counts_.sum()  # a numpy scalar
        self.pair_index_ = {(1, 2): 0, (2, 3): 1}
        self.notes_ = {"by": ("counts", 2, 0.5, None, True), 3: [np.arange(3), "x"]}
        self.csc_ = self.transition_counts_.tocsc()
        self.states_seen_ = self.classes_.copy()
        self.encoder_twin_ = StateEncoder().fit(X[:20])

    monkeypatch.setattr(MarkovClassifier, "_fit", fit_and_learn_more)
    return MarkovClassifier().fit(X)


def test_a_new_fitted_attribute_is_saved_and_restored(markov_with_new_attributes, tmp_path):
    model = markov_with_new_attributes
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    _assert_same_fitted(model, loaded)
    assert type(loaded.total_count_) is np.float64 and loaded.pair_index_ == {(1, 2): 0, (2, 3): 1}
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "attribute, value, match",
    [
        ("extra_", {1, 2}, "MarkovClassifier.extra_ holds a value of type set"),
        ("extra_", [object()], "extra_ holds a value of type object"),
        ("_scratch", 1, "_scratch is neither a parameter nor a fitted attribute"),
        ("extra_", LogisticRegression(), "type LogisticRegression"),
    ],
)
def test_a_value_the_format_cannot_hold_is_named_when_saving(attribute, value, match, tmp_path):
    model = MarkovClassifier().fit(X)
    setattr(model, attribute, value)
    with pytest.raises(TypeError, match=match):
        save_model(model, tmp_path / "m")


@pytest.mark.parametrize(
    "key, node, match",
    [
        ("unigram_counts", {"type": "builtins.eval", "args": ["1"]}, "type 'builtins.eval'"),
        ("unigram_counts", {"array": "a0_unigram_counts"}, "type None"),
        ("extra", {"class": "os.system"}, "names a class this package does not load"),
        ("extra", {"type": "dict", "items": [[[1], 2]]}, "not hashable"),
        ("extra", {"type": "scalar", "dtype": "O", "value": 1}, "not a number"),
        ("_private", 1, "no fitted attribute '_private'"),
        ("__class__", 1, "no fitted attribute '__class__'"),
        ("classes", {"type": "states", "items": [{"type": "tuple", "items": [[1]]}]}, "a state"),
    ],
)
def test_an_unknown_type_or_attribute_in_a_file_is_refused(markov_file, key, node, match):
    _forge(markov_file, edit_json=lambda tree: tree["state"].update({key: node}))
    with pytest.raises(ValueError, match=f"not a valid model file.*{match}"):
        load_model(markov_file)


def test_a_model_file_holds_each_fitted_attribute_by_its_name(markov_file):
    with zipfile.ZipFile(markov_file) as archive:
        document = json.loads(archive.read("model.json"))
    assert document["format_version"] == 3
    state = document["model"]["state"]
    assert sorted(state) == sorted(
        ["classes", "encoder", "n_codes", "feature_sizes", "unknown_proba"]
        + ["transition_counts", "unigram_counts", "_code_to_class", "_input_states"]
    )
    assert state["transition_counts"]["type"] == "csr_matrix"


def _vomc_contexts_out_of_range(arrays):
    key = next(k for k in arrays if k.startswith("a0_contexts") and arrays[k].shape[1] == 2)
    arrays[key] = arrays[key] + 999


@pytest.mark.parametrize(
    "make, edit_json, edit_arrays, match",
    [
        (VariableOrderMarkovClassifier, None, _vomc_contexts_out_of_range, "outside the vocab"),
        (StateEncoder, None, lambda a: a["a0_state_counts"].fill(0), "must be positive"),
        (
            MarkovClassifier,
            lambda t: t["state"].update(n_codes=2),
            None,
            "n_codes_ must be an integer",
        ),
        (
            MarkovClassifier,
            lambda t: t["state"].update(unknown_proba=1.0),
            None,
            r"in \(0.0, 1.0\)",
        ),
        (
            VariableOrderMarkovClassifier,
            lambda t: t["state"].update(discounts=None),
            None,
            "discounts_ are set exactly when",
        ),
    ],
)
def test_fitted_values_that_do_not_fit_the_model_are_refused(
    make, edit_json, edit_arrays, match, tmp_path
):
    path = tmp_path / "m"
    save_model(make().fit(X), path)
    _forge(path, edit_json=edit_json, edit_arrays=edit_arrays)
    with pytest.raises(ValueError, match=f"not a valid model file.*{match}"):
        load_model(path)
