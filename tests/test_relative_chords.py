"""Relative chords: networks that read and score chords by kind and interval, in every key."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder, load_model, save_model
from sklearn_seqlab.data import transpose_chord
from sklearn_seqlab.encoding import N_RESERVED, NO_CLASS
from sklearn_seqlab.modules import MODULES
from sklearn_seqlab.neural.relative_chords import (
    NO_INTERVAL,
    chord_geometry,
    is_chord_vocabulary,
)

ROOTS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# every major and minor triad, and a state that is no chord
STATES = [f"{root}:{kind}" for kind in ("maj", "min") for root in ROOTS] + ["N"]
# a tiny network trained on all its sequences, for a set number of epochs
TINY = dict(embedding_dim=8, hidden_dim=8, validation_fraction=None, patience=None, random_state=0)


def test_geometry_by_hand():
    roots, kinds = chord_geometry(["C:maj", "Db:maj", "C:min7", "N", "G:maj/3", "IV"])
    # the reserved codes (padding, unknown) first: no chords
    assert roots == [-1, -1, 0, 1, 0, -1, 7, -1]
    assert kinds == [-1, -1, 0, 0, 1, -1, 2, -1]
    # plain symbols too; enharmonic spellings share a root
    assert chord_geometry(["F#m", "Gbm", "Am7"]) == ([-1, -1, 6, 6, 9], [-1, -1, 0, 0, 1])


def test_a_vocabulary_of_chords_is_recognised():
    assert is_chord_vocabulary([f"{r}:maj" for r in ROOTS[:9]] + ["N"])  # 90% chords
    assert not is_chord_vocabulary([f"{r}:maj" for r in ROOTS[:8]] + ["N", "X"])
    assert not is_chord_vocabulary(["register", "approve", "pay"])
    assert not is_chord_vocabulary(["I", "IV", "V"])  # Roman numerals are not transposed
    assert not is_chord_vocabulary([])


def _module(name, slots=3):
    """A module over ``STATES`` with relative chords, in evaluation mode."""
    torch.manual_seed(0)
    code_classes = [NO_CLASS] * N_RESERVED + list(range(len(STATES)))
    module = MODULES[name](
        len(STATES) + N_RESERVED,
        len(STATES),
        embedding_dim=8,
        hidden_dim=8,
        repetition_slots=slots,
        code_classes=code_classes,
        chord_geometry=chord_geometry(STATES),
    )
    return module.eval()


def _codes(symbols):
    return torch.tensor([[STATES.index(s) + N_RESERVED for s in row] for row in symbols])


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("slots", [0, 3])
def test_a_transposed_context_gives_the_transposed_prediction(name, slots):
    """Every input and output is read by interval: transposing a context by k semitones
    moves each chord class's logit to the chord k semitones higher, and leaves the logit of
    the class that is no chord (``N``) where it was."""
    module = _module(name, slots)
    context = [
        ["C:maj", "A:min", "F:maj", "G:maj", "C:maj"],
        ["E:min", "B:maj", "E:min", "N", "E:min"],
    ]
    for k in (1, 5, 11):
        moved = [[transpose_chord(s, k) if s != "N" else s for s in row] for row in context]
        # the class of each state once transposed
        up = [STATES.index(transpose_chord(s, k)) if s != "N" else STATES.index(s) for s in STATES]
        with torch.no_grad():
            for read in (module, module.forward_last):
                torch.testing.assert_close(read(_codes(moved))[..., up], read(_codes(context)))


def test_without_relative_chords_the_network_is_not_equivariant():
    """The control of the test above: states' own embeddings differ between keys."""
    module = _module("lstm")
    module.chords = None
    context = [["C:maj", "A:min", "F:maj", "G:maj"]]
    moved = [[transpose_chord(s, 2) for s in context[0]]]
    up = [STATES.index(transpose_chord(s, 2)) if s != "N" else len(STATES) - 1 for s in STATES]
    with torch.no_grad():
        assert not torch.allclose(module(_codes(moved))[..., up], module(_codes(context)))


def test_structure_by_hand():
    module = _module("lstm")
    structure = module.chords.structure(_codes([["N", "D:maj", "G:maj", "N", "A:min"]]))
    assert structure.is_chord.tolist() == [[False, True, True, False, True]]
    # the root's interval above the previous state's, and above the first chord's (D)
    assert structure.step.tolist() == [[NO_INTERVAL, NO_INTERVAL, 5, NO_INTERVAL, NO_INTERVAL]]
    assert structure.degree.tolist() == [[NO_INTERVAL, 0, 5, NO_INTERVAL, 7]]
    last_root, first_root = structure.anchors
    assert last_root.tolist() == [[-1, 2, 7, -1, 9]]
    assert first_root.tolist() == [[-1, 2, 2, 2, 2]]


def test_a_context_of_no_chords_keeps_the_logits_of_the_output_layer():
    module = _module("lstm", slots=0)
    tokens = _codes([["N", "N"]])
    with torch.no_grad():
        readout = module.hidden(tokens)
        expected = module.head(readout)
        got = module.chords(expected, readout, module.chords.structure(tokens))
    torch.testing.assert_close(got, expected)


def test_relative_chords_are_causal():
    """Changing a later chord changes no output before it (the first chord's root is read
    from that chord on only)."""
    module = _module("lstm")
    a, b = _codes([["N", "C:maj", "G:maj", "A:min"]]), _codes([["N", "D:maj", "G:maj", "A:min"]])
    with torch.no_grad():
        torch.testing.assert_close(module(a)[:, :1], module(b)[:, :1])
        assert not torch.allclose(module(a)[:, 1:], module(b)[:, 1:])


def _cadences(keys):
    """I IV V I in each of ``keys``, as Harte symbols."""
    cadence = ("C:maj", "F:maj", "G:maj", "C:maj")
    return [[transpose_chord(s, ROOTS.index(k)) for s in cadence] for k in keys]


def test_a_progression_learned_in_some_keys_is_predicted_in_another():
    """The chords of A major all occur in training, but never this progression in A."""
    train = _cadences(["C", "D", "E", "F", "G", "Bb"]) * 10
    context = [["A:maj", "D:maj", "E:maj"]]
    params = TINY | dict(embedding_dim=16, hidden_dim=16, max_epochs=20, lr=0.02)
    relative = NextStateClassifier(**params).fit(train)
    assert relative.net_.module_.chords is not None  # "auto" recognised the chords
    proba = relative.predict_proba(context)[0]
    assert proba[list(relative.classes_).index("A:maj")] > 0.9
    # a network that embeds states must guess
    absolute = NextStateClassifier(relative_chords=False, **params).fit(train)
    assert absolute.predict(context)[0] != "A:maj" or absolute.predict_proba(context).max() < 0.9


def test_auto_leaves_other_states_alone():
    X = [["register", "check", "pay"], ["register", "pay", "check"]] * 4
    clf = NextStateClassifier(max_epochs=1, **TINY).fit(X)
    assert clf.net_.module_.chords is None
    with pytest.raises(ValueError, match="relative_chords=True needs chord symbols"):
        NextStateClassifier(relative_chords=True, max_epochs=1, **TINY).fit(X)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_bad_relative_chords(bad):
    with pytest.raises(ValueError, match="relative_chords"):
        NextStateClassifier(relative_chords=bad).fit([["C", "G", "C"]] * 3)


def test_relative_chords_read_the_predicted_feature_of_events():
    """With events of several features, chords are those of the predicted feature; "auto"
    leaves them off, as a melody note is not transposed with its chord."""
    X = [[(chord, "x") for chord in row] for row in _cadences(["C", "D", "E", "F"])] * 5
    for setting, on in (("auto", False), (True, True)):
        net = NextStateClassifier(relative_chords=setting, max_epochs=1, **TINY)
        pipe = make_pipeline(StateEncoder(target=0), net).fit(X)
        assert (pipe[-1].net_.module_.chords is not None) is on
    # the network's view of the states: each position's chord, whatever its note
    tokens = pipe[-1]._encode(pipe[0].transform([X[0]])).codes[0]
    structure = pipe[-1].net_.module_.chords.structure(torch.as_tensor(tokens)[None])
    assert structure.degree.tolist() == [[0, 5, 7, 0]]


def test_model_file_and_pickle_keep_the_relative_chords(tmp_path):
    X = _cadences(["C", "D", "E"]) * 3
    clf = NextStateClassifier(max_epochs=2, **TINY).fit(X)
    contexts = [["C:maj", "F:maj"], ["E:maj"]]
    path = tmp_path / "chords.skseq"
    save_model(clf, path)
    for loaded in (load_model(path), pickle.loads(pickle.dumps(clf))):
        assert loaded.net_.module_.chords is not None
        np.testing.assert_allclose(loaded.predict_proba(contexts), clf.predict_proba(contexts))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_network_pickled_before_the_relative_chords_existed_still_predicts(name):
    X = _cadences(["C", "D"]) * 3
    clf = NextStateClassifier(name, relative_chords=False, max_epochs=1, **TINY).fit(X)
    expected = clf.predict_proba([["C:maj"]])
    del clf.net_.module_.__dict__["chords"]  # as a module of before holds it
    del clf.__dict__["relative_chords"]  # and the estimator
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.relative_chords is False
    np.testing.assert_allclose(loaded.predict_proba([["C:maj"]]), expected)
