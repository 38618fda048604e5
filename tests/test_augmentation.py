import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.augmentation import KeyTransposer
from sklearn_seqlab.data import transpose_chord
from sklearn_seqlab.splitting import holdout_folds, holdout_split

TINY = dict(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0)
SONGS = [["C:maj", "F:maj", "G:maj", "C:maj"], ["A:min", "D:min", "E:7", "A:min"]] * 5


def test_key_transposer_copies_chords_only():
    copies = KeyTransposer()([["C:maj", "N"], ["I", "V"]])
    assert len(copies[0]) == 11 and copies[1] == []
    assert {c[0] for c in copies[0]} == {f"{r}:maj" for r in "Db D Eb E F F# G Ab A Bb B".split()}
    assert all(c[1] == "N" for c in copies[0])
    with pytest.raises(TypeError, match="semitones"):
        KeyTransposer(semitones=[1.5])([["C:maj"]])


def test_key_transposer_moves_jazz_symbols_and_never_leaves_an_unread_chord_behind():
    copies = KeyTransposer(semitones=[2])([["C6/9", "A7b9", "Dm7", "G7alt/B", "NC"]])
    assert copies == [[["D6/9", "B7b9", "Em7", "A7alt/Db", "NC"]]]
    with pytest.warns(UserWarning, match=r"no copies of 1 sequences .*'G7omit3'"):
        copies = KeyTransposer(semitones=[2])([["C", "G7omit3", "C"], ["C", "END"]])
    assert copies == [[], [["D", "END"]]]  # "END" is not read as a chord, and stays


def test_key_transposer_writes_each_symbol_as_transpose_chord_does():
    # a symbol read once per call must still come out as transpose_chord writes it, in every
    # sequence and key, and states that are not strings must pass through untouched
    songs = [["Am7", "D7", "Am7", 3, None], ["Bb:maj/3", "Am7"], ["D7", "I"]]
    copies = KeyTransposer(spelling="sharp")(songs)
    for song, song_copies in zip(songs, copies, strict=True):
        expected = [[transpose_chord(s, k, spelling="sharp") for s in song] for k in range(1, 12)]
        assert song_copies == expected
    assert copies[0][0][3:] == [3, None]


def test_encoder_learns_augmented_states_and_augments_in_fit_transform_only():
    enc = StateEncoder(augment=KeyTransposer(semitones=[2]))
    Xt = enc.fit_transform(SONGS)
    assert "D:maj" in enc.states_ and "B:min" in enc.states_
    assert len(Xt) == len(SONGS) and len(Xt.augmented[0]) == 1
    assert enc.inverse_transform(Xt.augmented[0])[0] == ["D:maj", "G:maj", "A:maj", "D:maj"]
    assert enc.transform(SONGS).augmented is None  # scored sequences are never augmented
    assert Xt[[1, 0]].augmented[0] is Xt.augmented[1]  # subsets keep their copies


def test_encoder_refuses_bad_augmenters_and_y():
    with pytest.raises(TypeError, match="augment must be a callable"):
        StateEncoder(augment="transpose").fit(SONGS)
    with pytest.raises(ValueError, match="one list of copies per sequence"):
        StateEncoder(augment=lambda seqs: []).fit(SONGS)
    with pytest.raises(ValueError, match="y=None"):
        StateEncoder(augment=KeyTransposer()).fit_transform(SONGS, ["C:maj"] * len(SONGS))


@pytest.mark.parametrize(
    "clf",
    [MarkovClassifier(), VariableOrderMarkovClassifier(), NextStateClassifier(**TINY)],
    ids=["markov", "vomm", "neural"],
)
def test_classifiers_learn_transposed_progressions(clf):
    # trained on C major only; the test asks in D major, which only the copies show
    pipe = make_pipeline(StateEncoder(augment=KeyTransposer()), clf)
    in_c = [["C:maj", "F:maj", "G:maj", "C:maj"], ["C:maj", "A:min", "F:maj", "G:maj"]]
    pipe.fit(in_c * 3 + [["F:maj", "C:maj", "G:maj", "C:maj"], ["A:min", "G:maj", "C:maj"]])
    assert "A:maj" in pipe.classes_
    if isinstance(clf, VariableOrderMarkovClassifier):  # a context a first-order chain lacks
        assert pipe.predict([["D:maj", "G:maj"]])[0] == "A:maj"
    assert np.isfinite(cross_val_score(pipe, SONGS * 2, cv=2)).all()


def _contexts_and_targets(X, augment=None):
    """The encoded contexts (each sequence but its last state) and targets that the
    splits take, with the codes of the augmented copies when ``augment`` is given."""
    Xt = StateEncoder(augment=augment).fit_transform(X)
    contexts = Xt[:]
    contexts.codes = [c[:-1] for c in Xt.codes]
    return contexts, np.array([c[-1] for c in Xt.codes])


def test_copies_never_cross_the_validation_split():
    # the second song is the first one a tone up: they must stay on one side
    X = [["C:maj", "F:maj", "G:maj"], ["D:maj", "G:maj", "A:maj"], ["E:min", "A:min", "B:7"]]
    # two copies: a fifth of them rounds to none, so they give validation no share and
    # stay together
    X = X + [["A:min", "D:min", "E:7", "F:maj"]] * 2
    contexts, targets = _contexts_and_targets(X, KeyTransposer())
    for salt in range(20):
        train, valid = holdout_split(contexts, targets, 0.2, salt)
        assert ({0, 1} <= set(train)) or ({0, 1} <= set(valid))
        assert len(set(train) & {3, 4}) in (0, 2)


def test_the_split_holds_out_a_share_of_each_common_path():
    # 90 and 10 copies of two paths are more than a tenth of the 20 held out (2): each gives
    # its last tenth to validation, and distinct sequences fill the rest
    distinct = [["I", "IV", "V"] + ["I"] * k for k in range(100)]
    X = [["a", "b", "c"]] * 90 + [["a", "c", "b"]] * 10 + distinct
    contexts, targets = _contexts_and_targets(X)
    for salt in range(5):
        train, valid = holdout_split(contexts, targets, 0.1, salt)
        assert len(valid) == 20 and len(train) == 180
        assert list(valid[:10]) == [*range(81, 90), 99]


@pytest.mark.parametrize("n_folds", [5, 10])
def test_folds_hold_out_every_sequence_once_and_copies_in_one_fold(n_folds):
    X = [["C:maj", "F:maj", "G:maj"], ["D:maj", "G:maj", "A:maj"], ["E:min", "A:min", "B:7"]]
    # two copies are too few to give every fold a share: they are held out together
    X = X + [["A:min", "D:min", "E:7", "F:maj"]] * 2
    X = X + [["C:maj"] * k + ["G:maj", "C:maj"] for k in range(1, 101)]
    contexts, targets = _contexts_and_targets(X, KeyTransposer())
    for salt in range(10):
        folds = holdout_folds(contexts, targets, n_folds, salt)
        assert len(folds) == n_folds
        held_out = np.concatenate([valid for _, valid in folds])
        assert sorted(held_out.tolist()) == list(range(len(X)))
        for train, valid in folds:
            assert sorted([*train, *valid]) == list(range(len(X)))
            # a song and its copy a tone up, and two identical songs, stay on one side
            assert len(set(valid) & {0, 1}) in (0, 2) and len(set(valid) & {3, 4}) in (0, 2)
        # groups of 1 and 2 sequences: the folds differ by at most one group
        sizes = sorted(len(valid) for _, valid in folds)
        assert sizes[-1] - sizes[0] <= 2


def test_folds_spread_a_common_path_over_every_fold_in_order():
    # 90 copies of one path: far more than a tenth of a fold (4 of 40), so each fold holds
    # out a fifth of them, the earliest in the first fold; so do the 10 copies of another
    distinct = [["I", "IV", "V"] + ["I"] * k for k in range(100)]
    X = [["a", "b", "c"]] * 90 + [["a", "c", "b"]] * 10 + distinct
    contexts, targets = _contexts_and_targets(X)
    folds = holdout_folds(contexts, targets, 5, 0)
    assert [len(valid) for _, valid in folds] == [40] * 5
    for fold, (_, valid) in enumerate(folds):
        assert [i for i in valid if i < 90] == list(range(18 * fold, 18 * fold + 18))
        assert [i for i in valid if 90 <= i < 100] == [90 + 2 * fold, 91 + 2 * fold]
