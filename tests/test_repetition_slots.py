"""Repetition slots: networks that read each state's first occurrence and can point at it."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder, load_model, save_model
from sklearn_seqlab.batching import pad_right
from sklearn_seqlab.encoding import NO_CLASS, PAD
from sklearn_seqlab.modules import MODULES
from sklearn_seqlab.neural.repetition import RepetitionSlots, first_occurrences

CODE_CLASSES = [NO_CLASS, NO_CLASS, 0, 1, 2, 3, 4, 5]  # codes 2-7 are classes 0-5
# a tiny network trained on all its sequences, for a set number of epochs
TINY = dict(embedding_dim=8, hidden_dim=8, validation_fraction=None, patience=None, random_state=0)


def test_first_occurrences_by_hand():
    states = pad_right([[5, 3, 5, 7, 3, 6, 2], [4, 4, 1, 6]], PAD)
    index, distinct, seen = first_occurrences(states, states != PAD, 3)
    # a state after the first three distinct ones, and padding, read index 3
    assert index.tolist() == [[0, 1, 0, 2, 1, 3, 3], [0, 0, 1, 2, 3, 3, 3]]
    assert distinct.tolist() == [[5, 3, 7], [4, 1, 6]]
    assert seen.tolist() == [[1, 2, 2, 3, 3, 3, 3], [1, 1, 2, 3, 3, 3, 3]]
    # a row with fewer distinct states than slots: the rest are padding
    states = torch.tensor([[2, 2]])
    _, distinct, seen = first_occurrences(states, states != PAD, 3)
    assert distinct.tolist() == [[2, PAD, PAD]] and seen.tolist() == [[1, 1]]


def _pointing_at(slot, slots=3):
    """Slots whose scores put nearly all probability on ``slot``."""
    torch.manual_seed(0)
    repetition = RepetitionSlots(slots, 4, 5, 6, CODE_CLASSES)
    with torch.no_grad():
        repetition.score.weight.zero_()
        repetition.score.bias.fill_(-50.0)
        repetition.score.bias[slot] = 50.0
    return repetition


def test_a_slot_gives_its_probability_to_the_class_of_its_state():
    repetition = _pointing_at(1)
    tokens = torch.tensor([[6, 4, 6, 3]])  # distinct states: codes 6, 4, 3 -> classes 4, 2, 1
    proba = repetition(
        torch.zeros(1, 4, 6), torch.zeros(1, 4, 5), repetition.structure(tokens)
    ).softmax(-1)[0]
    # slot 1 exists from the second position on and holds code 4, class 2
    assert torch.all(proba[1:, 2] > 0.999)
    # at the first position it does not exist yet: the classes keep their softmax
    torch.testing.assert_close(proba[0], torch.full((6,), 1 / 6))
    last = repetition(
        torch.zeros(1, 6), torch.zeros(1, 5), repetition.structure(tokens), torch.tensor([0])
    )
    torch.testing.assert_close(last.softmax(-1)[0], proba[0])


def test_a_slot_holding_no_class_is_left_out():
    repetition = _pointing_at(0)
    tokens = torch.tensor([[1, 4]])  # the unknown code first: no class
    out = repetition(torch.zeros(1, 2, 6), torch.zeros(1, 2, 5), repetition.structure(tokens))
    torch.testing.assert_close(out.softmax(-1)[0], torch.full((2, 6), 1 / 6))


def test_classes_and_slots_normalised_together_by_hand():
    torch.manual_seed(0)
    repetition = RepetitionSlots(2, 4, 5, 6, CODE_CLASSES)
    tokens = torch.tensor([[3, 3, 6, 3, 5]])  # distinct: codes 3, 6 -> classes 1, 4
    logits, readout = torch.randn(1, 5, 6), torch.randn(1, 5, 5)
    out = repetition(logits, readout, repetition.structure(tokens))
    scores = repetition.score(readout)[0].detach()
    for t, open_slots in enumerate([1, 1, 2, 2, 2]):  # slot 1 opens where code 6 first occurs
        weights = logits[0, t].exp().clone()
        weights[1] += scores[t, 0].exp()
        if open_slots == 2:
            weights[4] += scores[t, 1].exp()
        torch.testing.assert_close(out[0, t].softmax(-1), weights / weights.sum())


def test_slots_without_code_classes_are_refused():
    with pytest.raises(ValueError, match="code_classes"):
        MODULES["lstm"](n_codes=8, n_classes=6, repetition_slots=2)


@pytest.mark.parametrize("bad", [-1, 1.5, "12"])
def test_bad_number_of_slots(bad):
    with pytest.raises((ValueError, TypeError), match="repetition_slots"):
        NextStateClassifier(repetition_slots=bad).fit([["a", "b", "a"]] * 4)


def _forms(keys, rng):
    """Progressions of one form, ``x y x z x y``, on triples of distinct states."""
    out = []
    for _ in range(keys):
        x, y, z = rng.choice(30, size=3, replace=False)
        out.append([f"s{x}", f"s{y}", f"s{x}", f"s{z}", f"s{x}", f"s{y}"])
    return out


def test_slots_learn_a_form_in_states_it_was_never_played_in():
    """Every state is seen, but each triple once: only the form says what comes back."""
    rng = np.random.default_rng(0)
    train, test = _forms(300, rng), _forms(40, rng)
    contexts, targets = [s[:5] for s in test], np.array([s[5] for s in test], dtype=object)
    params = TINY | dict(embedding_dim=16, hidden_dim=32, max_epochs=15, lr=0.01)
    accuracy = {
        slots: np.mean(
            NextStateClassifier(repetition_slots=slots, **params).fit(train).predict(contexts)
            == targets
        )
        for slots in (0, 4)
    }
    assert accuracy[4] >= 0.9
    assert accuracy[4] > accuracy[0] + 0.3


def test_model_file_keeps_the_slots(tmp_path):
    X = [["C", "G", "C", "F", "C", "G"], ["D", "A", "D", "G", "D", "A"]] * 5
    clf = NextStateClassifier(repetition_slots=3, max_epochs=2, **TINY).fit(X)
    path = tmp_path / "slots.skseq"
    save_model(clf, path)
    loaded = load_model(path)
    assert loaded.get_params()["repetition_slots"] == 3
    contexts = [["C", "G", "C"], ["E", "D"]]
    np.testing.assert_allclose(loaded.predict_proba(contexts), clf.predict_proba(contexts))


def test_slots_read_the_predicted_feature_of_events():
    """With events of several features, the slots index the predicted feature's states."""
    melody = {"C": "e", "G": "d", "F": "a", "D": "f#", "A": "e", "E": "g#", "B": "d#"}
    rng = np.random.default_rng(0)
    forms = [rng.choice(list(melody), size=3, replace=False) for _ in range(200)]
    X = [
        [(chord, melody[chord]) for chord in (x, y, x, z, x, y)]
        for x, y, z in forms
        if (x, y, z) != ("A", "E", "D")
    ]
    pipe = make_pipeline(
        StateEncoder(target=0),
        NextStateClassifier(  # the chords' forms, not their intervals (relative_chords)
            repetition_slots=3,
            relative_chords=False,
            max_epochs=15,
            lr=0.02,
            **(TINY | {"hidden_dim": 16}),
        ),
    ).fit(X)
    context = [("A", "e"), ("E", "g#"), ("A", "e"), ("D", "f#"), ("A", "e")]
    proba = pipe.predict_proba([context])[0]
    # the second distinct chord, with the confidence of a form read (0.24 without slots)
    assert proba[list(pipe.classes_).index("E")] > 0.9


def test_the_structure_is_that_of_the_states_not_of_the_other_features():
    repetition = RepetitionSlots(3, 4, 5, 6, CODE_CLASSES)
    # states 2 3 2 4, a feature that repeats otherwise: 5 5 6 5
    tokens = torch.tensor([[[2, 5], [3, 5], [2, 6], [4, 5]]])
    index, distinct, seen = repetition.structure(tokens)
    assert index.tolist() == [[0, 1, 0, 2]] and distinct.tolist() == [[2, 3, 4]]
    assert seen.tolist() == [[1, 2, 2, 3]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_network_pickled_before_the_slots_existed_still_predicts(name):
    X = [["C", "G", "C", "F"], ["D", "A", "D", "G"]] * 5
    clf = NextStateClassifier(name, repetition_slots=0, max_epochs=1, **TINY).fit(X)
    expected = clf.predict_proba([["C", "G"]])
    del clf.net_.module_.__dict__["repetition"]  # as a module of before holds it
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(loaded.predict_proba([["C", "G"]]), expected)


def test_no_more_slots_than_states():
    clf = NextStateClassifier(repetition_slots=50, max_epochs=1, **TINY).fit(
        [["C", "G", "C", "F"]] * 4
    )
    # codes: padding, unknown, C, F, G
    assert clf.net_.module_.repetition.slots == 4
    assert clf.get_params()["repetition_slots"] == 50
