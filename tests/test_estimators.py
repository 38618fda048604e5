import itertools

import joblib
import numpy as np
import pytest
import torch
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from skorch.callbacks import Checkpoint, EarlyStopping

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.neural import _skorch_net as skorch_net

TINY = dict(embedding_dim=16, hidden_dim=16, max_epochs=3, random_state=0)


def second_order_sequences(n, rng, length=8):
    """Next state = (a + b) mod 4 of the previous two: a first-order chain sees only chance."""
    out = []
    for _ in range(n):
        seq = list(rng.randint(4, size=2))
        while len(seq) < length:
            seq.append((seq[-1] + seq[-2]) % 4)
        out.append([f"s{s}" for s in seq])
    return out


@pytest.fixture(scope="module")
def chords():
    return make_markov_sequences(
        300, n_states=8, order=2, min_length=4, max_length=12, concentration=0.1, random_state=0
    )


@pytest.fixture(scope="module")
def pipe(chords):
    model = NextStateClassifier("attention", **TINY)
    return Pipeline([("enc", StateEncoder()), ("clf", model)]).fit(chords)


def test_pipeline_predicts_states(pipe, chords):
    pred = pipe.predict(chords[:5])
    assert pred.dtype == object and set(pred) <= set(pipe.classes_)
    assert pipe.classes_.tolist() == [f"s{i}" for i in range(8)]
    proba = pipe.predict_proba(chords[:5])
    assert proba.shape == (5, 8)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pipe.classes_[proba.argmax(axis=1)], pred)
    assert 0.0 <= pipe.score(chords) <= 1.0


def test_raw_sequences_without_encoder(chords):
    clf = NextStateClassifier(**TINY).fit(chords)
    assert clf.encoder_ is not None
    assert clf.classes_.tolist() == [f"s{i}" for i in range(8)]
    assert clf.predict([["s1", "s2"], ["s1", "never-seen"]]).shape == (2,)


def test_contexts_with_explicit_targets(chords):
    contexts = [s[:-1] for s in chords]
    targets = [s[-1] for s in chords]
    with_y = NextStateClassifier(**TINY).fit(contexts, targets)
    assert set(with_y.classes_) == set(targets)
    assert with_y.score(contexts, targets) == pytest.approx(with_y.score(chords))


def test_refits_are_identical_and_torch_rng_untouched(chords):
    state = torch.random.get_rng_state()
    a = NextStateClassifier(**TINY).fit(chords).predict_proba(chords[:20])
    assert torch.equal(state, torch.random.get_rng_state())
    b = NextStateClassifier(**TINY).fit(chords).predict_proba(chords[:20])
    np.testing.assert_array_equal(a, b)
    c = NextStateClassifier(**{**TINY, "random_state": 1}).fit(chords).predict_proba(chords[:20])
    assert not np.array_equal(a, c)


def test_batch_invariance(pipe, chords):
    """A sequence's probabilities do not change when predicted beside much longer ones."""
    short = chords[0][:3]
    alone = pipe.predict_proba([short])
    beside = pipe.predict_proba([short] + [chords[1] * 20] * 300)
    np.testing.assert_allclose(alone[0], beside[0], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("module", ["lstm", "attention", "transformer"])
@pytest.mark.parametrize("cells", [None, 1])
def test_one_pass_predicts_after_each_position_as_each_prefix_alone(
    module, cells, chords, monkeypatch
):
    # what the hybrid scores its validation split with: one pass per sequence, not one per
    # prefix; with one cell per batch, each batch holds a single sequence
    if cells is not None:
        monkeypatch.setattr(skorch_net, "PREDICT_CELLS", cells)
    model = NextStateClassifier(module, **TINY).fit(chords[:60])
    contexts = model._encode(chords[60:75])
    prefixes = contexts.with_codes([c[:k] for c in contexts.codes for k in range(1, len(c) + 1)])
    each = model._proba_after_each_position(contexts)
    np.testing.assert_allclose(each, model._predict_proba(prefixes), rtol=1e-5, atol=1e-7)


def test_periodic_sequence_is_predicted_perfectly():
    cycle = ["C", "G", "Am", "F", "Dm"]
    rng = np.random.RandomState(0)
    X = [(cycle * 6)[s : s + rng.randint(3, 20)] for s in rng.randint(5, size=200)]
    clf = NextStateClassifier(hidden_dim=16, max_epochs=15, lr=0.02, random_state=0).fit(X)
    assert clf.score(X) == 1.0


@pytest.mark.parametrize("module", ["lstm", "attention"])
def test_second_order_pattern_is_learned(module):
    rng = np.random.RandomState(0)
    train, test = second_order_sequences(400, rng), second_order_sequences(100, rng)
    # a noiseless pattern: the regularisation of the defaults (for small real corpora) off
    clf = NextStateClassifier(
        module, hidden_dim=32, embedding_dim=64, max_epochs=25, lr=0.02, dropout=0.0,
        tie_weights=False, patience=5, random_state=0,
    )  # fmt: skip
    # a first-order chain can do no better than chance (0.25) on this pattern
    assert clf.fit(train).score(test) > 0.9


def test_train_on_last_learns_only_the_final_target():
    rng = np.random.RandomState(0)
    X = second_order_sequences(300, rng, length=4)
    # only 16 distinct sequences: a validation split would hold out whole patterns
    clf = NextStateClassifier(
        train_on="last",
        hidden_dim=32,
        max_epochs=40,
        lr=0.02,
        patience=None,
        validation_fraction=None,
        random_state=0,
    )
    assert clf.fit(X).score(X) > 0.9


def test_cross_validation_and_searches(chords):
    pipe = Pipeline([("enc", StateEncoder()), ("clf", NextStateClassifier(**TINY))])
    scores = cross_val_score(pipe, chords, cv=3)
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))
    grid = GridSearchCV(pipe, {"clf__module": ["lstm", "attention"]}, cv=2).fit(chords)
    assert grid.best_params_["clf__module"] in {"lstm", "attention"}
    search = RandomizedSearchCV(
        pipe,
        {"clf__lr": loguniform(1e-3, 1e-2), "clf__hidden_dim": [8, 16]},
        n_iter=2,
        cv=2,
        random_state=0,
    ).fit(chords)
    assert search.best_estimator_.predict(chords[:3]).shape == (3,)


def test_joblib_round_trip_and_clone(pipe, chords, tmp_path):
    joblib.dump(pipe, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(chords), pipe.predict_proba(chords))
    fresh = clone(pipe)
    assert fresh.get_params()["clf__module"] == "attention"
    assert not hasattr(fresh.named_steps["clf"], "net_")


def test_early_stopping_and_history(chords):
    # the mean over epochs (test_averaging.py) improves for all 50 epochs here; the
    # optimiser's own weights overfit within them
    clf = NextStateClassifier(
        **{**TINY, "max_epochs": 50, "patience": 1, "lr": 0.05, "average_weights": False}
    )
    clf.fit(chords)
    losses = clf.history_[:, "valid_loss"]
    assert len(losses) < 50  # stopped early
    # the best epoch's weights are restored: re-scoring the validation data gives its loss
    assert min(losses) < losses[-1] or len(losses) == 1


def test_user_callbacks_are_copied_and_checkpoints_kept_apart(chords, tmp_path):
    stopper = EarlyStopping(patience=2)
    checkpoint = Checkpoint(dirname=str(tmp_path / "cp"))
    before = [dict(vars(stopper)), dict(vars(checkpoint))]
    clf = NextStateClassifier(**TINY, callbacks=[stopper, checkpoint])
    clf.fit(chords)
    clf.fit(chords)
    assert [dict(vars(stopper)), dict(vars(checkpoint))] == before
    fits = sorted((tmp_path / "cp").iterdir())
    assert len(fits) == 2 and all((f / "params.pt").exists() for f in fits)


def test_checkpoint_dir(chords, tmp_path):
    clf = NextStateClassifier(**TINY, checkpoint_dir=tmp_path).fit(chords)
    assert clf.checkpoint_path_.startswith(str(tmp_path))
    assert (tmp_path / clf.checkpoint_path_ / "params.pt").exists()


def test_partial_fit(chords):
    clf = NextStateClassifier(**TINY)
    clf.partial_fit(chords)
    assert len(clf.history_) == 1
    clf.partial_fit(chords[:100])
    assert len(clf.history_) == 2
    with pytest.raises(ValueError, match="cannot learn new states.*'new'"):
        clf.partial_fit([["s1", "new", "s2"]] * 20)
    assert clf.predict(chords[:2]).shape == (2,)  # still usable after the failed call


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        NextStateClassifier().predict([["a", "b"]])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"module": "gru"}, ValueError, "module"),
        ({"hidden_dim": -1}, ValueError, "hidden_dim"),
        ({"embedding_dim": 0}, ValueError, "embedding_dim"),
        ({"lr": 0}, ValueError, "lr"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"validation_fraction": 1.5}, ValueError, "validation_fraction"),
        ({"validation_fraction": None}, ValueError, "patience"),
        ({"train_on": "first"}, ValueError, "train_on"),
        ({"batch_size": 2.5}, TypeError, "batch_size"),
        ({"callbacks": EarlyStopping()}, TypeError, "callbacks"),
    ],
)
def test_bad_parameters_are_named(params, error, match, chords):
    with pytest.raises(error, match=match):
        NextStateClassifier(**params).fit(chords)


def test_bad_input_is_named(pipe, chords):
    with pytest.raises(ValueError, match="at least 2 states"):
        NextStateClassifier(**TINY).fit([["a", "b"], ["c"]])
    with pytest.raises(ValueError, match="y has 2 entries"):
        NextStateClassifier(**TINY).fit(chords[:3], ["s1", "s2"])
    with pytest.raises(ValueError, match="empty"):
        pipe.predict([[]])
    with pytest.raises(ValueError, match="validation_fraction"):
        NextStateClassifier(**TINY).fit([["a", "b"], ["b", "a"]])
    other = StateEncoder().fit([["x", "y"]]).transform([["x"]])
    with pytest.raises(ValueError, match="vocabulary"):
        pipe.named_steps["clf"].predict(other)


def _held_out(clf, X):
    """The validation inputs a fitted ``clf`` would hold out of ``X``."""
    return {x.tobytes() for x in clf._split(*clf._targets_for_more_training(X, None))[1].inputs}


def test_validation_split_is_stable_across_partial_fit_calls(chords):
    clf = NextStateClassifier(**TINY)
    clf.partial_fit(chords)
    first = _held_out(clf, chords)
    clf.partial_fit(chords[::-1])
    assert _held_out(clf, chords[::-1]) == first
    # identical sequences are never split between training and validation
    train, valid = clf._split(*clf._targets_for_more_training(chords * 2, None))
    assert not {x.tobytes() for x in train.inputs} & {x.tobytes() for x in valid.inputs}


@pytest.mark.parametrize("seed", range(10))
def test_runs_of_duplicates_stay_on_one_side(seed):
    # issue 10, defect 1: the hash sort used to cut through a run of identical sequences.
    # 4 copies of each path, a tenth of the 40 held out: each run is held out whole or kept
    X = [list(p) for p in itertools.permutations("abcde")][:50] * 4
    clf = NextStateClassifier(**{**TINY, "random_state": seed, "validation_fraction": 0.2})
    clf.partial_fit(X)
    train, valid = clf._split(*clf._targets_for_more_training(X, None))
    assert len(valid.inputs) == 40
    assert not {x.tobytes() for x in train.inputs} & {x.tobytes() for x in valid.inputs}


def test_a_common_path_gives_validation_its_share_of_copies():
    # new data repeat a process's main paths, so validation holds the latest copies of each
    X = [list("abcd")] * 12 + [list("bcda")] * 12 + [list("cdab")] * 6
    clf = NextStateClassifier(**{**TINY, "random_state": 0}).partial_fit(X)
    train, valid = clf._split(*clf._targets_for_more_training(X, None))
    held_out = [x.tobytes() for x in valid.inputs]
    assert len(held_out) == 3 and len(set(held_out)) == 3
    assert set(held_out) <= {x.tobytes() for x in train.inputs}


def test_common_sequences_stay_in_training():
    # each held-out path is a path the network never trains on: a common one is never held out
    common = [list("abcd")] * 2 + [list("abdc")] * 2 + [list("acbd")] * 2
    rare = [list(p) for p in ("acdb", "adbc", "adcb", "bacd", "badc", "bcad", "bcda")]
    rare += [list(p) for p in ("bdac", "bdca", "cabd", "cadb", "cbad", "cbda", "cdab")]
    X = common + rare
    for seed in range(10):
        params = {**TINY, "random_state": seed, "validation_fraction": 0.1}
        clf = NextStateClassifier(**params).partial_fit(X)
        train, valid = clf._split(*clf._targets_for_more_training(X, None))
        held_out = {x.tobytes() for x in valid.inputs}
        assert not held_out & {x.tobytes() for x in train.inputs}
        assert len(valid.inputs) == 2 and len(held_out) == 2  # two rare paths, not one pair


def test_events_with_other_features_are_other_sequences():
    # a case is its events: the same path of states at other times (an extra feature) is a
    # different sequence, so the validation split can hold some of a common path out
    X = [[("a", t), ("b", t), ("c", t)] for t in range(30)]
    X += [[("a", t), ("c", t), ("b", t)] for t in range(30)]
    Xt = StateEncoder(target=0).fit_transform(X)
    clf = NextStateClassifier(**{**TINY, "validation_fraction": 0.2}).partial_fit(Xt)
    train, valid = clf._split(*clf._targets_for_more_training(Xt, None))
    assert len(valid.inputs) == 12 and len(train.inputs) == 48
    assert not {x.tobytes() for x in train.inputs} & {x.tobytes() for x in valid.inputs}
    # the same states without the feature: two paths of 30, too common to hold out whole,
    # each give validation a fifth of their copies
    states = [[event[0] for event in seq] for seq in X]
    clf = NextStateClassifier(**{**TINY, "validation_fraction": 0.2}).partial_fit(states)
    train, valid = clf._split(*clf._targets_for_more_training(states, None))
    assert len(valid.inputs) == 12 and len({x.tobytes() for x in valid.inputs}) == 2
