"""Events of several features: StateEncoder(target=, state_features=) and the modules."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder, VariableOrderMarkovClassifier
from sklearn_seqlab.chords import chord_parts

EVENTS = [[("C:maj", "e"), ("G:maj", "d"), ("A:min", "c")], [("F:maj", "a"), ("C:maj", "g")]]


def test_target_feature_is_predicted_and_the_others_are_coded():
    enc = StateEncoder(target=0).fit(EVENTS)
    assert enc.states_.tolist() == ["A:min", "C:maj", "F:maj", "G:maj"]
    assert enc.feature_names_ == [1] and enc.feature_states_[0].tolist() == list("acdeg")
    Xt = enc.transform(EVENTS + [[("C:maj", "z")]])
    assert Xt[0].shape == (3, 2) and Xt.feature_sizes == (7,)
    assert Xt[2].tolist() == [[3, 1]]  # an unseen melody note is UNK
    assert enc.inverse_transform(Xt)[:2] == [["C:maj", "G:maj", "A:min"], ["F:maj", "C:maj"]]


def test_mappings_and_their_errors():
    X = [[{"chord": "C", "note": "e"}, {"chord": "G", "note": "d"}]]
    assert StateEncoder(target="note").fit(X).states_.tolist() == ["d", "e"]
    with pytest.raises(ValueError, match="target='bass' is not a feature"):
        StateEncoder(target="bass").fit(X)
    with pytest.raises(ValueError, match="the same features"):
        StateEncoder(target=0).fit([[("C", "e"), ("G",)]])
    with pytest.raises(TypeError, match="not an event"):
        StateEncoder(target=0).fit([["C", "G"]])
    with pytest.raises(ValueError, match="cannot be combined"):
        StateEncoder(target=0, augment=lambda s: [[] for _ in s]).fit(EVENTS)
    enc = StateEncoder(target=0).fit(EVENTS)
    with pytest.raises(ValueError, match="fitted on events with"):
        enc.transform([[("C:maj", "e", 4)]])


def test_state_features_take_the_same_path():
    enc = StateEncoder(state_features=chord_parts).fit([["C:maj7", "Db:min/b3", "N"]])
    Xt = enc.transform([["C:maj7", "C#:min"]])
    assert Xt.feature_sizes == tuple(len(v) + 2 for v in enc.feature_states_)
    root, quality, bass = (v.tolist() for v in enc.feature_states_)
    assert "Db" in root and "maj7" in quality and "b3" in bass
    # C#:min is unseen, but its root and quality are known
    assert Xt[0][1, 0] == 1 and (Xt[0][1, 1:] > 1).all()
    with pytest.raises(ValueError, match="tuple of the same length"):
        StateEncoder(state_features=lambda s: (s,) if s == "a" else (s, s)).fit([["a", "b"]])


@pytest.mark.parametrize("module", ["lstm", "attention", "transformer"])
def test_networks_read_extra_features_and_count_models_ignore_them(module):
    rng = np.random.RandomState(0)
    # the next chord is given away by the current melody note alone
    X = []
    for _ in range(120):
        chords = rng.randint(0, 3, size=6)
        X.append([(f"c{chords[i]}", f"n{chords[i + 1]}") for i in range(5)])
    net = NextStateClassifier(
        module, hidden_dim=16, embedding_dim=16, lr=0.02, max_epochs=20, dropout=0.0,
        patience=None, validation_fraction=None, random_state=0,
    )  # fmt: skip
    pipe = make_pipeline(StateEncoder(target=0), net).fit(X[:100])
    assert pipe.score(X[100:]) > 0.9
    chords_only = make_pipeline(StateEncoder(target=0), VariableOrderMarkovClassifier())
    assert chords_only.fit(X[:100]).score(X[100:]) < 0.6  # the chords alone are random
