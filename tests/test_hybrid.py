"""HybridClassifier: networks averaged and mixed with a count model."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import (
    HybridClassifier,
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab import _mixture_choice as choice_module
from sklearn_seqlab._mixture import MIX_GRID, significant_gain, smoothed
from sklearn_seqlab.augmentation import KeyTransposer
from sklearn_seqlab.datasets import make_chord_progressions, make_markov_sequences

NET = NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=2)
X = make_chord_progressions(60, min_length=4, max_length=10, random_state=0)


def _echoes(n, random_state):
    """Sequences that end in the state they began with, 7 random states later: beyond the
    reach of the count models (order 5 at most), within that of a small network. The
    repetition model knows that a sequence's first state may come back, so the tests that
    need the networks to win keep to the count models without it (``without_repetition``)."""
    rng = np.random.RandomState(random_state)
    heads = [str(rng.choice(["a", "b", "c", "d"])) for _ in range(n)]
    return [[h, *(str(s) for s in rng.choice(["f", "g"], 7)), h] for h in heads]


ECHOES = _echoes(80, 0)

EVERY_POSITION = {"n_networks": 2, "min_gain_se": 0.0, "validate_on": "all", "random_state": 0}
"""The hybrid of the tests of its choice's rules: the best mixture whatever its gain, chosen
on the next state after every position, which gives the few test sequences enough states to
tell the models apart (their ends alone tie)."""
ECHO_NET = NextStateClassifier(embedding_dim=8, hidden_dim=16, max_epochs=20, lr=1e-2)


def _returning_home(n_sequences, random_state):
    """Sequences that return to a state of their own after each random one: a cache knows
    it, the counts of the corpus do not."""
    rng = np.random.RandomState(random_state)
    states = [f"s{i}" for i in range(20)]
    X = []
    for _ in range(n_sequences):
        home = states[rng.randint(20)]
        X.append([home] + [s for _ in range(4) for s in (states[rng.randint(20)], home)])
    return X


@pytest.fixture
def without_repetition(monkeypatch):
    """The default count models without the repetition model, for the echoes."""
    monkeypatch.setattr(choice_module, "REPETITION_WEIGHTS", (0.0,))


@pytest.fixture
def joint_choice(monkeypatch):
    """The count model chosen with the mixture on the validation split alone, as on data
    larger than ``CROSS_VALIDATION_CELLS``: the tests of that choice, and those that need the
    networks to win on the few echoes, where the split's 8 sequences left a tie otherwise."""
    monkeypatch.setattr(choice_module, "CROSS_VALIDATION_CELLS", 0)


@pytest.fixture(scope="module")
def hybrid():
    # the best mixture whatever its gain: the rule that may drop it has tests of its own
    with pytest.MonkeyPatch.context() as patch:  # fitted without the repetition model
        patch.setattr(choice_module, "REPETITION_WEIGHTS", (0.0,))
        patch.setattr(choice_module, "CROSS_VALIDATION_CELLS", 0)  # see joint_choice
        return HybridClassifier(ECHO_NET, **EVERY_POSITION).fit(ECHOES)


def test_mixture_is_the_weighted_average_of_its_components(hybrid):
    encoded = hybrid._encode(ECHOES[:7])
    nets = np.mean([net.predict_proba(encoded) for net in hybrid.networks_], axis=0)
    count = hybrid.count_model_.predict_proba(encoded)
    w = hybrid.network_weight_
    np.testing.assert_allclose(hybrid.predict_proba(ECHOES[:7]), w * nets + (1 - w) * count)
    assert len(hybrid.networks_) == 2 and 0 < w and w in MIX_GRID
    # the weight chosen is the one with the best validation log-likelihood
    assert hybrid.validation_log_likelihood_.argmax() == np.flatnonzero(MIX_GRID == w)[0]
    # networks differ: each got its own seed
    a, b = (net.predict_proba(encoded) for net in hybrid.networks_)
    assert not np.allclose(a, b)


def test_fixed_weights_give_the_pure_ensemble_and_the_count_model():
    count = HybridClassifier(NET, n_networks=1, network_weight=0.0, random_state=0).fit(X)
    alone = VariableOrderMarkovClassifier().fit(X)
    np.testing.assert_allclose(count.predict_proba(X[:5]), alone.predict_proba(X[:5]))
    assert count.validation_log_likelihood_ is None
    pure = HybridClassifier(NET, n_networks=1, network_weight=1.0, random_state=0).fit(X)
    net = pure.networks_[0]
    np.testing.assert_allclose(pure.predict_proba(X[:5]), net.predict_proba(pure._encode(X[:5])))


def test_is_a_scikit_learn_estimator(hybrid, tmp_path):
    assert "network__hidden_dim" in hybrid.get_params()
    cloned = clone(hybrid)
    assert not hasattr(cloned, "networks_") and cloned.network is not hybrid.network
    joblib.dump(hybrid, tmp_path / "h.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "h.joblib").predict_proba(ECHOES[:5]),
        hybrid.predict_proba(ECHOES[:5]),
    )
    search = GridSearchCV(
        make_pipeline(StateEncoder(), HybridClassifier(NET, n_networks=1, random_state=0)),
        {"hybridclassifier__count_model": [MarkovClassifier(), VariableOrderMarkovClassifier()]},
        cv=2,
    ).fit(X)
    assert 0 <= search.best_score_ <= 1


def test_refits_are_identical_and_parallel_networks_too():
    a = HybridClassifier(NET, n_networks=2, random_state=3).fit(X)
    b = HybridClassifier(NET, n_networks=2, n_jobs=2, random_state=3).fit(X)
    np.testing.assert_array_equal(a.predict_proba(X[:9]), b.predict_proba(X[:9]))


def test_contexts_with_y_and_augmented_pipelines():
    contexts, y = [s[:-1] for s in X], [s[-1] for s in X]
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(contexts, y)
    assert set(hybrid.classes_) == set(y)
    assert hybrid.predict(contexts[:3]).shape == (3,)
    pipe = make_pipeline(
        StateEncoder(augment=KeyTransposer(semitones=[2, 7])),
        HybridClassifier(NET, n_networks=1, random_state=0),
    ).fit(X)
    # the transposed states are in the vocabulary, so the mixture can predict them
    assert len(pipe.classes_) > len({s for seq in X for s in seq})


@pytest.mark.parametrize(
    "augment_networks, relative_chords, copies",
    [
        (True, "auto", True),
        (False, "auto", False),
        # networks that read chords by interval score every key alike: no copies
        ("auto", "auto", False),
        # networks that read each chord alone learn each key from its copies
        ("auto", False, True),
    ],
)
def test_augmented_copies_train_the_networks_only_when_asked(
    augment_networks, relative_chords, copies, monkeypatch
):
    import sklearn_seqlab.hybrid as hybrid_module

    fitted_on = []

    def recording(model, X, y, **fit_params):
        fitted_on.append(X)
        return model.fit(X, y, **fit_params)

    monkeypatch.setattr(hybrid_module, "_fit_one", recording)
    encoder = StateEncoder(augment=KeyTransposer(semitones=[2, 7]))
    network = clone(NET).set_params(relative_chords=relative_chords)
    hybrid = HybridClassifier(
        network, n_networks=2, augment_networks=augment_networks, random_state=0
    )
    pipe = make_pipeline(encoder, hybrid).fit(X)
    assert len(fitted_on) == 2
    for X_network in fitted_on:
        assert (X_network.augmented is not None) is copies
    # every network can still predict the transposed states: they are in its vocabulary
    transposed = [s for s in pipe.classes_ if s not in {s for seq in X for s in seq}]
    assert transposed
    for network in pipe[-1].networks_:
        assert set(transposed) <= set(network.classes_.tolist())


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_networks": 0}, ValueError, "n_networks"),
        ({"network_weight": 1.5}, ValueError, "network_weight"),
        ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
        ({"min_gain_se": -1.0}, ValueError, "min_gain_se"),
        ({"min_gain_se": "2"}, TypeError, "min_gain_se"),
        ({"validate_on": "first"}, ValueError, "validate_on"),
        ({"augment_networks": "no"}, ValueError, "augment_networks"),
        ({"network": MarkovClassifier()}, TypeError, "network must be a NextStateClassifier"),
        ({"network": NextStateClassifier(hidden_dim=0)}, ValueError, "hidden_dim"),
        ({"count_model": "kn"}, TypeError, "count_model"),
    ],
)
def test_bad_parameters_are_named_and_the_old_model_is_kept(params, error, match):
    model = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    before = model.predict_proba(X[:3])
    with pytest.raises(error, match=match):
        model.set_params(**params).fit(X)
    np.testing.assert_array_equal(model.predict_proba(X[:3]), before)


def test_a_refit_that_fails_while_training_keeps_the_old_model():
    model = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    before = model.predict_proba(X[:3])
    # one repeated pair: the vocabulary is learned, then the split leaves one next state
    with pytest.raises(ValueError, match="validation"):
        model.fit([["C", "G"]] * 30)
    np.testing.assert_array_equal(model.predict_proba(X[:3]), before)
    assert len(model.classes_) > 4


def test_a_log_of_two_common_paths_is_validated_on_copies_of_both():
    # each path is more than a tenth of the validation share: the mixture's split holds out
    # a tenth of each one's copies, where it once could only hold out one path whole
    X = [list("abcd")] * 40 + [list("acbd")] * 20
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    assert hybrid.validation_log_likelihood_ is not None
    assert hybrid.predict([list("ab"), list("ac")]).tolist() == ["c", "b"]


def test_sequences_that_all_end_in_one_state_are_enough():
    # a process log whose cases all close with "end": the networks still learn every step
    X = [list(p) + ["end"] for p in ("abc", "acb", "abbc", "ac", "bac", "abcc")] * 4
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    assert set(hybrid.classes_) == {"a", "b", "c", "end"}


def test_a_generator_is_read_once():
    # the components need the sequences again after the vocabulary is learned
    from_list = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    from_generator = HybridClassifier(NET, n_networks=1, random_state=0).fit(s for s in X)
    np.testing.assert_allclose(from_generator.predict_proba(X[:5]), from_list.predict_proba(X[:5]))


def test_the_default_count_model_order_is_chosen_on_the_validation_split():
    # a fourth-order chain: an order-3 count model cannot see what decides the next state
    chain = make_markov_sequences(
        300, n_states=4, order=4, min_length=12, max_length=16, concentration=0.05, random_state=0
    )
    chosen = HybridClassifier(NET, n_networks=1, random_state=0).fit(chain)
    assert chosen.count_model_.max_order >= 4
    # the mixture kept is that of the chosen order: its best weight is the weight kept
    best = np.flatnonzero(MIX_GRID == chosen.network_weight_)[0]
    assert chosen.validation_log_likelihood_.argmax() == best
    # with a fixed weight there is nothing to choose on: order 3, as before
    fixed = HybridClassifier(NET, n_networks=1, network_weight=0.5, random_state=0).fit(chain)
    assert fixed.count_model_.max_order == 3
    # a count model given is the one used
    given = VariableOrderMarkovClassifier(max_order=2)
    kept = HybridClassifier(NET, n_networks=1, count_model=given, random_state=0).fit(chain)
    assert kept.count_model_.max_order == 2 and kept.count_model is given


def test_the_default_count_model_cache_is_chosen_on_the_validation_split():
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(_returning_home(300, 0))
    assert hybrid.count_model_.cache_weight > 0


@pytest.mark.parametrize("data", ["echoes", "home"])
def test_the_validation_split_scored_a_sequence_at_a_time_chooses_alike(
    data, monkeypatch, joint_choice
):
    # the split is scored in chunks of whole sequences, so that no matrix of every prefix's
    # probabilities is held; one sequence per chunk must not change what is chosen (the
    # networks batch other sequences together, so their float32 sums differ by rounding)
    X, net = (ECHOES, ECHO_NET) if data == "echoes" else (_returning_home(200, 0), NET)
    if data == "echoes":  # see _echoes; the other data try the repetition model too
        monkeypatch.setattr(choice_module, "REPETITION_WEIGHTS", (0.0,))
    params = {"n_networks": 2, "min_gain_se": 0.0, "random_state": 0, "validate_on": "all"}
    whole = HybridClassifier(net, **params).fit(X)
    monkeypatch.setattr(choice_module, "VALIDATION_CELLS", 1)
    chunked = HybridClassifier(net, **params).fit(X)
    assert whole.network_weight_ == chunked.network_weight_
    assert whole.count_model_.get_params() == chunked.count_model_.get_params()
    np.testing.assert_allclose(
        whole.validation_log_likelihood_, chunked.validation_log_likelihood_, rtol=1e-7
    )
    if data == "echoes":  # the networks keep a weight: the second pass ran
        assert whole.network_weight_ > 0


def test_a_mixture_more_likely_but_no_more_accurate_keeps_its_count_model_alone(
    hybrid, joint_choice
):
    # two epochs: the networks make the next chord more likely, not more often right (those
    # that read chords by interval are more often right too)
    net = clone(NET).set_params(relative_chords=False)
    chords = HybridClassifier(net, **EVERY_POSITION).fit(X)
    assert MIX_GRID[chords.validation_log_likelihood_.argmax()] > 0
    assert chords.network_weight_ == 0.0
    alone = chords.count_model_.predict_proba(chords._encode(X[:5]))
    np.testing.assert_array_equal(chords.predict_proba(X[:5]), alone)
    # where they are more accurate too (the fixture), they keep the best likelihood's weight
    assert hybrid.network_weight_ == MIX_GRID[hybrid.validation_log_likelihood_.argmax()] > 0


def _networks_never_right(monkeypatch):
    """Mixtures that predict no validation next state right, whatever their weight: the
    networks fail every check of their accuracy."""
    monkeypatch.setattr(
        HybridClassifier,
        "_mixture_rights",
        lambda self, *args, **kwargs: np.zeros(len(MIX_GRID), dtype=int),
    )


def test_a_likeliest_weight_no_more_accurate_gives_way_to_the_most_accurate_one(
    monkeypatch, joint_choice, without_repetition
):
    rights = HybridClassifier._mixture_rights

    def most_accurate_at_015(self, *args, **kwargs):
        alone = rights(self, *args, **kwargs)[0]  # weight 0: the count model alone
        # level with it at every weight but 0.10-0.20, most often right at 0.15
        gain = np.zeros(len(MIX_GRID), dtype=int)
        gain[2:5] = [1, 3, 1]
        return alone + gain

    monkeypatch.setattr(HybridClassifier, "_mixture_rights", most_accurate_at_015)
    hybrid = HybridClassifier(ECHO_NET, **EVERY_POSITION).fit(ECHOES)
    likeliest = MIX_GRID[hybrid.validation_log_likelihood_.argmax()]
    assert likeliest > 0.2  # no more often right than the count model alone
    assert hybrid.network_weight_ == MIX_GRID[3]


def test_smoothed_averages_each_value_with_its_neighbours():
    np.testing.assert_allclose(smoothed(np.array([0, 1, 3, 1, 0])), np.array([1, 4, 5, 4, 1]) / 3)


def test_without_its_networks_a_mixture_s_count_model_must_gain_on_its_own(
    monkeypatch, joint_choice
):
    # a first-order chain, on which the best mixture (kept whatever its gain) holds KN of
    # order 2; its networks are made to fail the accuracy check
    X = make_markov_sequences(120, n_states=5, min_length=4, max_length=8, random_state=0)
    _networks_never_right(monkeypatch)  # their checks fail; a count model's alone passes
    monkeypatch.setattr(choice_module, "more_accurate", lambda right, other: right > 0)
    gains = []

    def first_gain_only(gain, sequence, n_standard_errors):
        gains.append(gain)
        return len(gains) == 1  # the mixture's gain counts, the count model's alone does not

    params = {**EVERY_POSITION, "n_networks": 1}
    alone = HybridClassifier(NET, **params).fit(X)  # the best count model alone gains: kept
    assert alone.network_weight_ == 0.0
    assert alone.count_model_.get_params() != VariableOrderMarkovClassifier().get_params()
    monkeypatch.setattr(choice_module, "significant_gain", first_gain_only)
    kept = HybridClassifier(NET, **params).fit(X)
    # before, the mixture's count model was kept alone without a gain of its own; now every
    # count model alone (order and cache) is checked, and none gains
    # with a cache, each cache weight and order with each repetition weight
    cached = (len(choice_module.CACHE_WEIGHTS) - 1) * len(choice_module.CACHE_ORDERS)
    variants = 1 + cached * len(choice_module.REPETITION_WEIGHTS)
    assert len(gains) == 1 + len(choice_module.COUNT_ORDERS) * variants
    assert kept.network_weight_ == 0.0
    assert kept.count_model_.get_params() == VariableOrderMarkovClassifier().get_params()


def test_without_its_networks_the_most_often_right_count_model_is_kept(monkeypatch, joint_choice):
    X = _returning_home(300, 0)
    seen = {}
    choose = HybridClassifier._choose_mixture

    def spy(self, *args, **kwargs):
        seen["args"] = args
        return choose(self, *args, **kwargs)

    monkeypatch.setattr(HybridClassifier, "_choose_mixture", spy)
    _networks_never_right(monkeypatch)
    # without the repetition model: with it, a count model alone is the best mixture here,
    # and the networks' check that this test is about never runs
    monkeypatch.setattr(choice_module, "REPETITION_WEIGHTS", (0.0,))
    hybrid = HybridClassifier(NET, **{**EVERY_POSITION, "n_networks": 1}).fit(X)
    assert hybrid.network_weight_ == 0.0
    # every count model alone on the same validation split: how often right, how likely
    candidates, [part] = seen["args"]  # one network: one validation split
    fit_data, sequences, targets = part.fit_data, part.contexts, part.positions
    contexts = sequences.with_codes([c[:k] for c in sequences.codes for k in range(1, len(c) + 1)])
    assert (targets >= 0).all()  # every state of the validation split was seen in training
    scored = []
    for candidate in candidates:
        held_out = clone(candidate).fit(*fit_data)
        caches = choice_module.sequence_caches(
            contexts, held_out._code_to_class, len(held_out.classes_), held_out.cache_decay, 3
        )
        for variant, proba in hybrid._count_variants(held_out, contexts, caches):
            proba = hybrid._in_columns(held_out.classes_, proba)
            right = int((proba.argmax(1) == targets).sum())
            likelihood = np.log(proba[np.arange(len(targets)), targets]).mean()
            params = clone(candidate).set_params(**variant).get_params()
            scored.append((params, right, likelihood))
    first = scored[0]  # VariableOrderMarkovClassifier() alone
    gaining = [score for score in scored if score[2] > first[2]]  # min_gain_se=0
    kept = next(score for score in scored if score[0] == hybrid.count_model_.get_params())
    likeliest = max(gaining, key=lambda score: score[2])
    # before, the likeliest was kept; on this data it is less often right
    assert kept[1] == max(score[1] for score in gaining) > likeliest[1]


def test_what_replaces_the_default_count_model_must_be_more_often_right_than_it(monkeypatch):
    # the first-order chain above, on which the likeliest count model alone is not the
    # default; every gain counts here, but nothing is more often right than the default
    X = make_markov_sequences(120, n_states=5, min_length=4, max_length=8, random_state=0)
    monkeypatch.setattr(choice_module, "significant_gain", lambda *args: True)
    monkeypatch.setattr(choice_module, "more_accurate", lambda *args: False)
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    # before, the likeliest count model was kept on its gain in likelihood alone
    assert hybrid.network_weight_ == 0.0
    assert hybrid.count_model_.get_params() == VariableOrderMarkovClassifier().get_params()


def test_the_default_count_model_chooses_a_longer_cache_for_repeated_progressions():
    rng = np.random.RandomState(0)
    states = [f"s{i}" for i in range(20)]
    # each sequence repeats a loop of its own: what followed its last state before knows the
    # next one, the states it holds and the corpus's counts do not
    X = [list(rng.choice(states, 4, replace=False)) * 3 for _ in range(300)]
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    assert hybrid.count_model_.cache_weight > 0
    assert hybrid.count_model_.cache_order == 3


def test_a_mixture_without_a_significant_gain_keeps_the_default_count_model(monkeypatch):
    # a first-order chain: Kneser-Ney of order 3 already knows all there is to know
    X = make_markov_sequences(120, n_states=5, min_length=4, max_length=8, random_state=0)
    kept = HybridClassifier(NET, n_networks=1, validate_on="all", random_state=0).fit(X)
    assert kept.network_weight_ == 0.0
    assert kept.count_model_.get_params() == VariableOrderMarkovClassifier().get_params()
    alone = VariableOrderMarkovClassifier().fit(X)
    np.testing.assert_allclose(kept.predict_proba(X[:9]), alone.predict_proba(X[:9]))
    # without the rule, the best mixture on the split is another one, whose small gain on
    # the count model alone (the kept curve's weight 0) the rule did not trust; the accuracy
    # checks, which have tests of their own, are let pass
    monkeypatch.setattr(choice_module, "more_accurate", lambda *args: True)
    best = HybridClassifier(NET, **{**EVERY_POSITION, "n_networks": 1}).fit(X)
    assert (best.network_weight_, best.count_model_.max_order) != (0.0, 3)
    assert best.validation_log_likelihood_.max() > kept.validation_log_likelihood_[0]


def test_a_gain_is_significant_over_sequences_not_prefixes():
    # one long sequence gains, nine short ones lose: 95 prefixes gain on average, but the
    # gain comes from one sequence, so it is not significant
    gain = np.r_[np.ones(50), np.full(45, -0.5)]
    sequence = np.r_[np.zeros(50, int), np.repeat(np.arange(1, 10), 5)]
    assert gain.mean() > 2 * gain.std(ddof=1) / np.sqrt(gain.size)  # prefixes independent
    assert not significant_gain(gain, sequence, 2.0)
    assert significant_gain(gain, sequence, 0.0)
    # the same gains, each prefix from a sequence of its own
    assert significant_gain(gain, np.arange(95), 2.0)
    # a single sequence: no error can be taken, so only min_gain_se=0 lets a gain in
    assert not significant_gain(np.array([0.1, -0.05]), np.array([3, 3]), 2.0)
    assert significant_gain(np.array([0.1, -0.05]), np.array([3, 3]), 0.0)


def test_a_hybrid_pickled_before_the_rule_existed_keeps_its_best_mixture(
    hybrid, without_repetition, joint_choice
):
    old = pickle.loads(pickle.dumps(hybrid))
    del old.min_gain_se, old.validate_on  # as a pickle of an earlier version holds it
    loaded = pickle.loads(pickle.dumps(old))
    assert (loaded.min_gain_se, loaded.validate_on) == (0.0, "all")
    np.testing.assert_array_equal(
        loaded.predict_proba(ECHOES[:5]), hybrid.predict_proba(ECHOES[:5])
    )
    # refitted, it chooses its mixture as it did then
    refitted = clone(loaded).fit(ECHOES)
    assert refitted.network_weight_ == hybrid.network_weight_ > 0


def test_the_default_networks_neither_average_their_weights_nor_stop_on_accuracy():
    """Neither made the mixture more accurate (hybrid.py)."""
    X = make_markov_sequences(40, n_states=4, min_length=3, max_length=6, random_state=0)
    hybrid = HybridClassifier(n_networks=1, random_state=0).fit(X)
    network = hybrid.networks_[0]
    assert network.average_weights is False and network.scoring == "loss"
    assert "valid_acc" not in network.history_[-1]


def _spy_on_the_choice(monkeypatch):
    """Record the folds the count model's choice makes and the arguments of
    ``_choose_mixture``."""
    made, seen = [], {}
    split, choose = choice_module.holdout_folds, HybridClassifier._choose_mixture

    def recording_split(contexts, targets, n_folds, salt, groups=None):
        made.append(split(contexts, targets, n_folds, salt, groups))
        return made[-1]

    def recording_choice(self, candidates, parts, grid=True):
        seen.update(candidates=candidates, parts=parts, grid=grid)
        return choose(self, candidates, parts, grid=grid)

    monkeypatch.setattr(choice_module, "holdout_folds", recording_split)
    monkeypatch.setattr(HybridClassifier, "_choose_mixture", recording_choice)
    return made, seen


def test_on_small_data_the_count_model_is_chosen_on_ten_folds_then_mixed_as_it_is(
    monkeypatch,
):
    made, seen = _spy_on_the_choice(monkeypatch)
    X = _returning_home(200, 0)
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    # ten folds that hold out every sequence once: these are all distinct
    [folds] = made
    assert len(folds) == choice_module.COUNT_SPLITS
    held_out = np.concatenate([valid for _, valid in folds])
    assert sorted(held_out.tolist()) == list(range(len(X)))
    # one count model, tried as it is: no cache or repetition weight is added to it
    assert len(seen["candidates"]) == 1 and seen["grid"] is False
    chosen = seen["candidates"][0].get_params()
    assert hybrid.count_model_.get_params() == chosen
    assert chosen["cache_weight"] > 0  # a cache knows these sequences' returns home


def test_above_the_cells_to_cross_validate_the_validation_split_alone_chooses(monkeypatch):
    made, seen = _spy_on_the_choice(monkeypatch)
    monkeypatch.setattr(choice_module, "CROSS_VALIDATION_CELLS", 1)
    HybridClassifier(NET, n_networks=1, random_state=0).fit(_returning_home(200, 0))
    assert made == []  # no split of the choice's own
    assert len(seen["candidates"]) == len(choice_module.COUNT_ORDERS) and seen["grid"] is True


@pytest.mark.parametrize("given", ["count_model", "network_weight"])
def test_a_given_count_model_or_network_weight_is_not_cross_validated(given, monkeypatch):
    made, _ = _spy_on_the_choice(monkeypatch)
    params = {"count_model": VariableOrderMarkovClassifier(max_order=2), "network_weight": 0.5}
    HybridClassifier(NET, n_networks=1, random_state=0, **{given: params[given]}).fit(X)
    assert made == []


@pytest.mark.parametrize("check", ["more_accurate", "significant_gain"])
def test_the_splits_keep_the_default_count_model_unless_another_is_more_often_right_and_gains(
    check, monkeypatch
):
    # on the returning home sequences a cache wins both checks (the test above); failing
    # either keeps VariableOrderMarkovClassifier() for the mixture
    _, seen = _spy_on_the_choice(monkeypatch)
    monkeypatch.setattr(choice_module, check, lambda *args: False)
    HybridClassifier(NET, n_networks=1, random_state=0).fit(_returning_home(200, 0))
    default = VariableOrderMarkovClassifier().get_params()
    assert [model.get_params() for model in seen["candidates"]] == [default]


def test_the_splits_keep_the_default_count_model_when_its_accuracy_gain_is_chance(monkeypatch):
    # a gain in likelihood alone is not enough: the second test of each count model, its
    # gain in how often it is right, fails here (the mixture's tests come after them)
    _, seen = _spy_on_the_choice(monkeypatch)
    calls = []

    def likelihood_only(gain, sequence, n_standard_errors):
        if "candidates" in seen:  # the mixture's test, once the count model is chosen
            return True
        calls.append(gain)
        return len(calls) % 2 == 1

    monkeypatch.setattr(choice_module, "significant_gain", likelihood_only)
    HybridClassifier(NET, n_networks=1, random_state=0).fit(_returning_home(200, 0))
    default = VariableOrderMarkovClassifier().get_params()
    assert [model.get_params() for model in seen["candidates"]] == [default]
    # every more often right count model was tested twice, its accuracy gain in {-1, 0, 1}
    accuracy_gains = calls[1::2]
    assert accuracy_gains
    assert all(set(np.unique(gain)) <= {-1.0, 0.0, 1.0} for gain in accuracy_gains)


def test_the_candidates_are_one_fit_and_predict_as_if_fitted_alone():
    candidates = choice_module.MixtureChoiceMixin._count_candidates(HybridClassifier())
    X = _returning_home(60, 0)
    fitted = choice_module.fit_candidates(candidates, (X, None))
    assert all(m.repetition_model_ is fitted[0].repetition_model_ for m in fitted)
    assert all(m.contexts_[1] is fitted[0].contexts_[1] for m in fitted)
    for model, candidate in zip(fitted, candidates, strict=True):
        assert model.get_params() == candidate.get_params()
        alone = clone(candidate).fit(X)
        np.testing.assert_array_equal(model.predict_proba(X[:5]), alone.predict_proba(X[:5]))
        np.testing.assert_array_equal(model.discounts_, alone.discounts_)
    # a count model unlike the others is fitted as it is
    other = choice_module.fit_candidates([MarkovClassifier(), candidates[0]], (X, None))
    assert isinstance(other[0], MarkovClassifier)
    np.testing.assert_array_equal(
        other[1].predict_proba(X[:5]), clone(candidates[0]).fit(X).predict_proba(X[:5])
    )


def test_the_repetition_shares_computed_once_give_each_candidate_its_own_prediction(
    monkeypatch,
):
    from sklearn_seqlab.counts.cache import sequence_caches
    from sklearn_seqlab.counts.repetition import repetition_shares

    candidates = choice_module.MixtureChoiceMixin._count_candidates(HybridClassifier())
    X = _returning_home(60, 0)
    fitted = choice_module.fit_candidates(candidates, (X, None))
    contexts = fitted[0]._encode(X[:10])
    caches = sequence_caches(contexts, fitted[0]._code_to_class, len(fitted[0].classes_), 0.7, 3)
    shared = fitted[0].repetition_model_
    shares = repetition_shares(shared, contexts, fitted[0]._code_to_class)
    hybrid = HybridClassifier()
    alone_of = [hybrid._count_variants(model, contexts, caches) for model in fitted]

    def not_again(*args):
        raise AssertionError("the shares were computed again")

    monkeypatch.setattr(VariableOrderMarkovClassifier, "_repetition_proba", not_again)
    for model, alone in zip(fitted, alone_of, strict=True):
        once = hybrid._count_variants(model, contexts, caches, (shared, shares))
        assert [params for params, _ in once] == [params for params, _ in alone]
        for (_, a), (_, b) in zip(once, alone, strict=True):
            np.testing.assert_array_equal(a, b)


def _parts_of_the_choice(monkeypatch, **params):
    """The validation parts a hybrid fitted on the chords ``X`` scored, and the hybrid."""
    _, seen = _spy_on_the_choice(monkeypatch)
    hybrid = HybridClassifier(NET, random_state=0, **params).fit(X)
    return seen["parts"], hybrid


def test_each_network_trains_on_all_but_a_fold_of_its_own_and_the_folds_are_scored_together(
    monkeypatch, recorded_splits
):
    count = MarkovClassifier()  # given: tried as it is, and no folds of the count choice
    parts, hybrid = _parts_of_the_choice(
        monkeypatch, n_networks=3, count_model=count, min_gain_se=0.0
    )
    assert len(parts) == 3
    for part, network in zip(parts, hybrid.networks_, strict=True):
        assert len(part.networks) == 1 and part.networks[0] is network
        # the network trained on the rest: its early stopping split those sequences
        assert len(part.fit_data[0]) + len(part.contexts) == len(X)
    network_splits = recorded_splits[::2]  # each network splits twice (its temperature)
    assert [split.n_rows for split in network_splits] == [len(p.fit_data[0]) for p in parts]
    # the folds hold a tenth of X each, and no sequence twice (these chords hold no copies)
    held_out = [{tuple(codes) for codes in part.contexts.codes} for part in parts]
    assert [len(part.contexts) for part in parts] == [len(X) // 10] * 3
    assert sum(map(len, held_out)) == len(set.union(*held_out)) == 3 * len(X) // 10
    # the log-likelihood of each weight pools every fold's next states, each fold scored by
    # its own network and by the count model fitted on its training sequences
    p_net, p_count = [], []
    for part in parts:
        prefixes = part.contexts.with_codes(
            [c[:k] for c in part.contexts.codes for k in range(1, len(c) + 1)]
        )
        known = part.positions >= 0
        fitted = clone(count).fit(*part.fit_data)
        for model, out in ((part.networks[0], p_net), (fitted, p_count)):
            proba = hybrid._in_columns(model.classes_, model.predict_proba(prefixes))
            out.append(proba[np.flatnonzero(known), part.positions[known]])
    p_net, p_count = np.concatenate(p_net), np.concatenate(p_count)
    expected = [np.log(w * p_net + (1 - w) * p_count).mean() for w in MIX_GRID]
    np.testing.assert_allclose(hybrid.validation_log_likelihood_, expected, rtol=1e-5)


def test_validated_on_the_last_positions_the_mixture_scores_those_alone(monkeypatch):
    count = MarkovClassifier()
    parts, hybrid = _parts_of_the_choice(
        monkeypatch, n_networks=2, count_model=count, min_gain_se=0.0, validate_on="last"
    )
    p_net, p_count = [], []
    for part in parts:
        ends = np.cumsum(part.contexts.lengths) - 1
        # every held-out sequence is scored once, on the state that ends it
        assert np.flatnonzero(part.positions >= 0).tolist() == ends.tolist()
        # that state follows the whole context in X
        follows = {tuple(s[:-1]): s[-1] for s in X}
        contexts = hybrid.encoder_.inverse_transform(part.contexts)
        assert hybrid.classes_[part.positions[ends]].tolist() == [
            follows[tuple(c)] for c in contexts
        ]
        fitted = clone(count).fit(*part.fit_data)
        for model, out in ((part.networks[0], p_net), (fitted, p_count)):
            proba = hybrid._in_columns(model.classes_, model.predict_proba(part.contexts))
            out.append(proba[np.arange(len(ends)), part.positions[ends]])
    p_net, p_count = np.concatenate(p_net), np.concatenate(p_count)
    expected = [np.log(w * p_net + (1 - w) * p_count).mean() for w in MIX_GRID]
    np.testing.assert_allclose(hybrid.validation_log_likelihood_, expected, rtol=1e-5)


def test_contexts_of_one_state_validate_alike_on_every_position_and_the_last():
    # with y given, a context of one state has a single position, its last
    contexts, y = [[s[0]] for s in X], [s[1] for s in X]
    hybrid = HybridClassifier(NET, n_networks=2, min_gain_se=0.0, random_state=0)
    fitted = [clone(hybrid).set_params(validate_on=on).fit(contexts, y) for on in ("all", "last")]
    for attribute in ("network_weight_", "validation_log_likelihood_"):
        np.testing.assert_array_equal(*(getattr(model, attribute) for model in fitted))
    assert fitted[0].count_model_.get_params() == fitted[1].count_model_.get_params()


def test_validated_on_the_last_positions_count_models_predict_there_alone(monkeypatch):
    passed, variants = [], HybridClassifier._count_variants

    def recording_variants(self, held_out, contexts, *args, **kwargs):
        passed.extend(map(tuple, contexts.codes))
        return variants(self, held_out, contexts, *args, **kwargs)

    monkeypatch.setattr(HybridClassifier, "_count_variants", recording_variants)
    parts, _ = _parts_of_the_choice(
        monkeypatch, n_networks=2, count_model=MarkovClassifier(), validate_on="last"
    )
    # the count model predicts after each whole held-out sequence, not after its prefixes
    whole = {tuple(codes) for part in parts for codes in part.contexts.codes}
    assert passed and set(passed) <= whole


@pytest.mark.parametrize("validate_on, cross_validated", [("last", True), ("all", False)])
def test_the_cells_to_cross_validate_count_the_positions_scored(
    validate_on, cross_validated, monkeypatch
):
    made, _ = _spy_on_the_choice(monkeypatch)
    sequences = _returning_home(200, 0)
    n_classes = len({state for sequence in sequences for state in sequence})
    # room for one scored position a sequence, not for every position
    monkeypatch.setattr(choice_module, "CROSS_VALIDATION_CELLS", len(sequences) * n_classes)
    HybridClassifier(NET, n_networks=1, validate_on=validate_on, random_state=0).fit(sequences)
    assert (len(made) == 1) is cross_validated


def test_with_fewer_folds_than_networks_the_networks_share_them(monkeypatch):
    # a validation fraction of a half leaves two folds for three networks
    parts, hybrid = _parts_of_the_choice(monkeypatch, n_networks=3, validation_fraction=0.5)
    first, second, third = hybrid.networks_
    assert [part.networks for part in parts] == [[first, third], [second]]
    assert not set(map(tuple, parts[0].contexts.codes)) & set(map(tuple, parts[1].contexts.codes))


@pytest.mark.parametrize("params", [{"n_networks": 1}, {"n_networks": 3}])
def test_one_network_or_large_data_take_a_single_validation_split(params, monkeypatch):
    if params["n_networks"] > 1:  # data larger than the cells to score several times
        monkeypatch.setattr(choice_module, "CROSS_VALIDATION_CELLS", 0)
    parts, hybrid = _parts_of_the_choice(monkeypatch, **params)
    [part] = parts
    assert part.networks == hybrid.networks_
    assert len(part.contexts) == round(len(X) * hybrid.validation_fraction)


def test_the_folds_held_out_sequences_are_distinct_units_of_the_errors():
    # two folds each number their sequences from 0: pooled, they are four units, not two
    joined = choice_module._numbered_apart([np.array([0, 0, 1]), np.array([0, 1, 1])])
    np.testing.assert_array_equal(joined, [0, 0, 1, 2, 3, 3])
    gain = np.array([1.0, 1.0, 1.0, -0.1, 1.0, 1.0])
    assert significant_gain(gain, joined, 1.0)


def test_groups_too_coarse_for_folds_take_a_single_split(monkeypatch):
    # three songs and folds of a half: one fold would hold two songs and leave its network
    # one to train and stop early on; a single split holds one song out, as before the folds
    _, seen = _spy_on_the_choice(monkeypatch)
    songs = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    hybrid = HybridClassifier(NET, n_networks=3, validation_fraction=0.5, random_state=0)
    hybrid.fit(X, groups=songs)
    [part] = seen["parts"]
    assert len(part.contexts) == 20 and part.networks == hybrid.networks_


@pytest.mark.parametrize("n_sequences", [4, 60])
def test_a_share_under_one_sequence_is_refused_with_several_networks_too(n_sequences):
    fraction = 0.1 if n_sequences == 4 else 0.001
    hybrid = HybridClassifier(NET, n_networks=3, validation_fraction=fraction, random_state=0)
    with pytest.raises(ValueError, match=f"validation_fraction={fraction} of {n_sequences} seq"):
        hybrid.fit(X[:n_sequences])
