import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold
from sklearn.utils import _safe_indexing

from sklearn_seqlab import PAD, UNK, EncodedSequences, StateEncoder

X = [["C", "G", "Am", "F", "C"], ["Am", "F", "C", "G"], ["G", "C"]]


def test_states_sorted_and_codes_reserved():
    enc = StateEncoder().fit(X)
    assert enc.states_.tolist() == ["Am", "C", "F", "G"]
    assert enc.state_counts_.tolist() == [2, 4, 2, 3]
    codes = enc.transform([["C", "G"]])[0]
    assert codes.tolist() == [3, 5]
    assert PAD not in codes and UNK not in codes


@pytest.mark.parametrize(
    "data",
    [
        X,
        [tuple(s) for s in X],
        pd.Series(X),
        np.array(X, dtype=object),
    ],
    ids=["lists", "tuples", "series", "object-array"],
)
def test_accepts_every_container(data):
    enc = StateEncoder().fit(data)
    assert enc.inverse_transform(enc.transform(data)) == X


def test_split_strings():
    enc = StateEncoder(split_strings=True).fit([" ".join(s) for s in X])
    assert enc.states_.tolist() == ["Am", "C", "F", "G"]
    with pytest.raises(ValueError, match="split_strings=True"):
        StateEncoder().fit([" ".join(s) for s in X])


def test_unknown_states():
    enc = StateEncoder().fit(X)
    assert enc.transform([["C", "Bb", "E"]])[0].tolist() == [3, UNK, UNK]
    assert enc.inverse_transform(enc.transform([["C", "Bb"]])) == [["C", None]]
    strict = StateEncoder(handle_unknown="error").fit(X)
    with pytest.raises(ValueError, match="previously unseen state.*'Bb'.*'E'"):
        strict.transform([["C", "Bb", "E"]])


def test_min_frequency_and_max_states():
    enc = StateEncoder(min_frequency=3, handle_unknown="error").fit(X)
    assert enc.states_.tolist() == ["C", "G"]
    assert enc.infrequent_states_.tolist() == ["Am", "F"]
    # known but rare states map to UNK even under handle_unknown="error"
    assert enc.transform([["Am", "C"]])[0].tolist() == [UNK, 2]
    assert StateEncoder(min_frequency=0.25).fit(X).states_.tolist() == ["C", "G"]
    # ties in frequency go to the state that sorts first
    assert StateEncoder(max_states=3).fit(X).states_.tolist() == ["Am", "C", "G"]


def test_max_length_keeps_most_recent_states():
    enc = StateEncoder(max_length=2).fit(X)
    assert enc.inverse_transform(enc.transform(X)) == [["F", "C"], ["C", "G"], ["G", "C"]]


def test_encoded_sequences_index_like_an_array():
    Xt = StateEncoder().fit_transform(X)
    assert len(Xt) == 3 and Xt.lengths.tolist() == [5, 4, 2]
    sub = _safe_indexing(Xt, np.array([2, 0]))
    assert isinstance(sub, EncodedSequences)
    assert [c.tolist() for c in sub] == [Xt[2].tolist(), Xt[0].tolist()]
    assert len(Xt[np.array([True, False, True])]) == 2 and len(Xt[1:]) == 2
    train, _ = next(KFold(3).split(Xt))
    assert len(_safe_indexing(Xt, train)) == 2


def test_clone_and_pickle(tmp_path):
    enc = StateEncoder(min_frequency=2).fit(X)
    assert clone(enc).get_params() == enc.get_params()
    joblib.dump(enc, tmp_path / "enc.joblib")
    loaded = joblib.load(tmp_path / "enc.joblib")
    assert [c.tolist() for c in loaded.transform(X)] == [c.tolist() for c in enc.transform(X)]


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ([], ValueError, "no sequences"),
        ("C G Am", ValueError, "single string"),
        (["C", "G"], ValueError, "not a sequence of states"),
        ([["C", None]], ValueError, "missing"),
        ([["C", float("nan")]], ValueError, "missing"),
        ([[1, "1"]], TypeError, "mixed types"),
        ([[["C"]]], TypeError, "not hashable"),
        ([[]], ValueError, "only empty sequences"),
    ],
)
def test_bad_input_is_named(bad, error, match):
    with pytest.raises(error, match=match):
        StateEncoder().fit(bad)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"handle_unknown": "ignore"}, "handle_unknown"),
        ({"min_frequency": 0}, "min_frequency"),
        ({"min_frequency": 1.5}, "min_frequency"),
        ({"max_states": 0}, "max_states"),
        ({"max_length": -1}, "max_length"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        StateEncoder(**params).fit(X)


def test_inverse_transform_rejects_foreign_codes():
    enc = StateEncoder().fit(X)
    with pytest.raises(ValueError, match="not a code"):
        enc.inverse_transform([[99]])
