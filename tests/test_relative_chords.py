"""Relative chords: networks that read and score chords by kind and interval, in every key."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder, load_model, save_model
from sklearn_seqlab.batching import pad_right
from sklearn_seqlab.data import transpose_chord
from sklearn_seqlab.encoding import N_RESERVED, NO_CLASS, PAD, UNK
from sklearn_seqlab.modules import MODULES
from sklearn_seqlab.neural.relative_chords import (
    NO_INTERVAL,
    chord_geometry,
    is_chord_vocabulary,
)

LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)
# every root on every letter with one accidental at most, major and minor; N is no chord
ROOTS = [letter + mark for letter in LETTERS for mark in ("", "#", "b")]
STATES = [f"{root}:{kind}" for kind in ("maj", "min") for root in ROOTS] + ["N"]
# a tiny network trained on all its sequences, for a set number of epochs
TINY = dict(embedding_dim=8, hidden_dim=8, validation_fraction=None, patience=None, random_state=0)


def test_geometry_by_hand():
    states = ["C:maj", "Db:maj", "C#:min7", "N", "G:maj/3", "IV"]
    geometry = chord_geometry(states, ["G:maj/3", "N", "Db:min7"])
    # spelled roots, 12 * letter + pitch class; the reserved codes (padding, unknown) first
    assert geometry.code_roots == [-1, -1, 0, 12 + 1, 1, -1, 12 * 4 + 7, -1]
    assert geometry.code_kinds == [-1, -1, 0, 0, 1, -1, 2, -1]
    # classes, with the kinds of the codes, need not be input states
    assert geometry.class_roots == [12 * 4 + 7, -1, 12 + 1]
    assert geometry.class_kinds == [2, -1, 1]
    # plain symbols too
    plain = chord_geometry(["F#m", "Gbm", "Am7"], [])
    assert plain.code_roots[2:] == [12 * 3 + 6, 12 * 4 + 6, 12 * 5 + 9]
    assert plain.code_kinds[2:] == [0, 0, 1]


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
        chord_geometry=chord_geometry(STATES, STATES),
    )
    return module.eval()


def _codes(rows):
    """Right-padded codes of rows of states; ``"?"`` is an unknown state."""
    codes = [[UNK if s == "?" else STATES.index(s) + N_RESERVED for s in row] for row in rows]
    return pad_right(codes, PAD)


def _up(symbol, letters, semitones):
    """``symbol`` transposed by a spelled interval (``letters`` steps, ``semitones``), or
    None when that needs two accidentals. N and unknown states stay as they are."""
    if symbol in ("N", "?"):
        return symbol
    root, kind = symbol.split(":")
    pitch = (NATURAL[LETTERS.index(root[0])] + root.count("#") - root.count("b")) % 12
    letter = LETTERS[(LETTERS.index(root[0]) + letters) % 7]
    mark = {0: "", 1: "#", 11: "b"}.get((pitch + semitones - NATURAL[LETTERS.index(letter)]) % 12)
    return None if mark is None else f"{letter}{mark}:{kind}"


CONTEXTS = [
    ["C:maj", "A:min", "F:maj", "G:maj", "C:maj"],
    ["E:min", "B:maj", "E:min", "N", "E:min"],
    ["N", "A:min", "?", "D:min"],  # shorter, padded, with an unknown state
]


def _transposed(contexts, interval):
    """``contexts`` transposed by ``interval``, and the classes that move: each class whose
    transposition is a class (``source``), and that class (``target``)."""
    moved = [[_up(s, *interval) for s in row] for row in contexts]
    pairs = [
        (i, STATES.index(_up(s, *interval))) for i, s in enumerate(STATES) if _up(s, *interval)
    ]
    source, target = map(list, zip(*pairs, strict=True))
    return moved, source, target


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("slots", [0, 3])
@pytest.mark.parametrize("interval", [(4, 7), (1, 2), (2, 3)])  # a fifth, a tone, a third
def test_a_transposed_context_gives_the_transposed_prediction(name, slots, interval):
    """Every input and output is read by spelled interval: transposing a context moves each
    chord class's logit to the chord transposed alike, and leaves the logit of the class
    that is no chord (``N``) where it was, at every position after a chord, with padding."""
    module = _module(name, slots)
    moved, source, target = _transposed(CONTEXTS, interval)
    # the positions that follow a chord: before one, chord classes keep their own scores
    anchored = [
        [any(x not in ("N", "?") for x in row[: t + 1]) for t in range(len(row))]
        for row in CONTEXTS
    ]
    real = pad_right(anchored, False).bool()
    with torch.no_grad():
        before, after = module(_codes(CONTEXTS)), module(_codes(moved))
        torch.testing.assert_close(after[real][:, target], before[real][:, source])
        last_before, last_after = (
            module.forward_last(_codes(CONTEXTS)),
            module.forward_last(_codes(moved)),
        )
        torch.testing.assert_close(last_after[:, target], last_before[:, source])


def test_without_relative_chords_the_network_is_not_equivariant():
    """The control of the test above: states' own embeddings differ between keys."""
    module = _module("lstm")
    module.chords = None
    moved, source, target = _transposed(CONTEXTS[:1], (1, 2))
    with torch.no_grad():
        after, before = module(_codes(moved)), module(_codes(CONTEXTS[:1]))
        assert not torch.allclose(after[..., target], before[..., source])


def test_structure_by_hand():
    module = _module("lstm")
    structure = module.chords.structure(_codes([["N", "D:maj", "G:maj", "N", "A:min"]]))
    assert structure.is_chord.tolist() == [[False, True, True, False, True]]
    # spelled intervals, 12 * letter steps + semitones: the root's above the previous
    # state's, and above the first chord's (D); a fourth D-G is 3 steps and 5 semitones
    fourth, fifth = 12 * 3 + 5, 12 * 4 + 7
    assert structure.step.tolist() == [[NO_INTERVAL, NO_INTERVAL, fourth, NO_INTERVAL, NO_INTERVAL]]
    assert structure.degree.tolist() == [[NO_INTERVAL, 0, fourth, NO_INTERVAL, fifth]]
    last_root, first_root = structure.anchors
    d, g, a = 12 + 2, 12 * 4 + 7, 12 * 5 + 9
    assert last_root.tolist() == [[-1, d, g, -1, a]]
    assert first_root.tolist() == [[-1, d, d, d, d]]


def test_a_context_of_no_chords_keeps_the_logits_of_the_output_layer():
    module = _module("lstm", slots=0)
    tokens = _codes([["N", "N"]])
    with torch.no_grad():
        readout = module.hidden(tokens)
        expected = module.head(readout)
        got = module.chords(expected, readout, module.chords.structure(tokens))
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_relative_chords_are_causal(name):
    """Changing a state changes no output before it, beside a padded row (the first chord's
    root is read from that chord on only)."""
    module = _module(name)
    a = _codes([["N", "?", "C:maj", "G:maj", "A:min"], ["D:min", "G:maj"]])
    b = _codes([["N", "?", "D:maj", "G:maj", "A:min"], ["D:min", "G:maj"]])
    with torch.no_grad():
        torch.testing.assert_close(module(a)[:, :2], module(b)[:, :2])
        torch.testing.assert_close(module(a)[1], module(b)[1])
        assert not torch.allclose(module(a)[0, 2:], module(b)[0, 2:])


def test_a_slot_still_points_at_a_chord_with_relative_chords():
    """The slots merge their scores after the chords' (views.output_scores): a slot that
    points at the first distinct state gives that chord its probability."""
    module = _module("lstm")
    with torch.no_grad():
        module.repetition.score.weight.zero_()
        module.repetition.score.bias.copy_(torch.tensor([50.0, -50.0, -50.0]))
        proba = module.forward_last(_codes([["E:min", "B:maj", "C:maj"]])).softmax(-1)[0]
    assert proba[STATES.index("E:min")] > 0.99


def _cadences(keys):
    """I IV V I in each of ``keys``, as Harte symbols."""
    cadence = ("C:maj", "F:maj", "G:maj", "C:maj")
    semitones = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "Bb": 10}
    return [[transpose_chord(s, semitones[k]) for s in cadence] for k in keys]


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


def test_two_spellings_of_a_chord_are_told_apart():
    """C# and Db are one pitch class on two letters; a key writes one of them."""
    train = (
        [["Ab:maj", "Db:maj", "Ab:maj", "Db:maj"]] * 20
        + [["A:maj", "E:maj", "A:maj", "C#:min"]] * 20
        + [["C:maj", "C#:maj", "C:maj"]]
    )
    params = TINY | dict(embedding_dim=16, hidden_dim=16, max_epochs=20, lr=0.02)
    clf = NextStateClassifier(**params).fit(train)
    proba = clf.predict_proba([["Ab:maj", "Db:maj", "Ab:maj"]])[0]
    assert proba[list(clf.classes_).index("Db:maj")] > 0.9


def test_a_class_seen_only_as_a_target_is_scored_as_a_chord():
    X, y = (
        [["C:maj", "F:maj"], ["D:maj", "G:maj"], ["C:maj", "G:maj"]],
        ["G:maj", "A:maj", "F#:maj"],
    )
    clf = NextStateClassifier(max_epochs=1, **TINY).fit(X, y)
    chords = clf.net_.module_.chords
    assert (chords.class_roots >= 0).all()  # A and F# are no input state


def test_a_context_predicted_alone_or_beside_others_gets_the_same_probabilities():
    X = _cadences(["C", "D", "E", "F"]) * 3
    clf = NextStateClassifier(max_epochs=2, **TINY).fit(X)
    contexts = [["N", "C:maj"], ["D:maj", "G:maj", "A:maj"], ["F:maj"]]
    together = clf.predict_proba(contexts)
    for row, context in enumerate(contexts):
        np.testing.assert_allclose(clf.predict_proba([context])[0], together[row], atol=1e-6)


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
    assert structure.degree.tolist() == [[0, 12 * 3 + 5, 12 * 4 + 7, 0]]  # C F G C


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
