"""fit(X, groups=...): validation splits that hold out whole groups (songs, cases)."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import HybridClassifier, NextStateClassifier, StateEncoder
from sklearn_seqlab.datasets import make_chord_progressions
from sklearn_seqlab.splitting import check_groups, holdout_folds, holdout_split

NET = NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0)
X = make_chord_progressions(60, min_length=4, max_length=10, random_state=0)
SONGS = [f"song {i // 4}" for i in range(60)]  # 15 songs of 4 phrases


def _contexts_and_targets(sequences):
    encoded = StateEncoder().fit_transform(sequences)
    contexts = encoded[:]
    contexts.codes = [c[:-1] for c in encoded.codes]
    return contexts, np.array([c[-1] for c in encoded.codes])


def test_whole_groups_are_held_out_whatever_their_content():
    # every phrase is the same: by content they would all be one group, by song they split
    contexts, targets = _contexts_and_targets([["C", "F", "G", "C"]] * 40)
    groups = check_groups([i // 4 for i in range(40)], 40)
    for salt in range(10):
        train, valid = holdout_split(contexts, targets, 0.1, salt, groups)
        assert len(valid) == 4 and len(train) == 36
        assert len({groups[i] for i in valid}) == 1
        assert not {groups[i] for i in valid} & {groups[i] for i in train}


def test_a_group_keeps_its_side_when_the_rows_are_reordered():
    contexts, targets = _contexts_and_targets(X)
    groups = check_groups(SONGS, 60)
    _, valid = holdout_split(contexts, targets, 0.2, 3, groups)
    order = np.random.default_rng(0).permutation(60)
    _, valid_shuffled = holdout_split(contexts[order], targets[order], 0.2, 3, groups[order])
    assert {SONGS[i] for i in valid} == {SONGS[order[i]] for i in valid_shuffled}


def test_groups_larger_than_the_share_hold_out_the_smallest():
    contexts, targets = _contexts_and_targets(X)
    groups = check_groups(["a"] * 30 + ["b"] * 25 + ["c"] * 5, 60)
    _, valid = holdout_split(contexts, targets, 0.05, 0, groups)
    assert valid.tolist() == list(range(55, 60))


def test_folds_hold_out_each_group_once_whatever_the_order_of_the_rows():
    contexts, targets = _contexts_and_targets(X)
    groups = check_groups(SONGS, 60)
    folds = holdout_folds(contexts, targets, 5, 3, groups)
    songs_of = [{SONGS[i] for i in valid} for _, valid in folds]
    assert [len(songs) for songs in songs_of] == [3] * 5  # 15 songs, each in one fold
    assert set().union(*songs_of) == set(SONGS)
    for (train, _), songs in zip(folds, songs_of, strict=True):
        assert not songs & {SONGS[i] for i in train}
    order = np.random.default_rng(0).permutation(60)
    shuffled = holdout_folds(contexts[order], targets[order], 5, 3, groups[order])
    assert [{SONGS[order[i]] for i in valid} for _, valid in shuffled] == songs_of


def test_a_group_larger_than_a_fold_stays_in_training():
    # a fold holds 12 of the 60 sequences: holding out "a" or "b" would leave a fold to train
    # on less than half of them
    contexts, targets = _contexts_and_targets(X)
    groups = check_groups(["a"] * 30 + ["b"] * 25 + ["c"] * 5, 60)
    folds = holdout_folds(contexts, targets, 5, 0, groups)
    assert [valid.tolist() for _, valid in folds] == [list(range(55, 60))]
    with pytest.raises(ValueError, match="single group"):
        holdout_folds(contexts, targets, 5, 0, check_groups(["one"] * 60, 60))


def test_the_hybrid_fits_when_one_group_holds_most_sequences_and_y_is_given():
    # the small group's next states are all one: a fold that trained on it alone could not
    # fit a count model
    contexts, y = [x[:-1] for x in X], [x[-1] for x in X[:54]] + ["C:maj"] * 6
    net = sklearn.clone(NET).set_params(validation_fraction=None, patience=None)
    hybrid = HybridClassifier(net, n_networks=1, random_state=0)
    hybrid.fit(contexts, y, groups=["a"] * 54 + ["b"] * 6)
    assert hybrid.predict(contexts[:3]).shape == (3,)


def test_a_single_group_cannot_be_split():
    contexts, targets = _contexts_and_targets(X)
    with pytest.raises(ValueError, match="single group"):
        holdout_split(contexts, targets, 0.1, 0, check_groups(["one"] * 60, 60))


@pytest.mark.parametrize(
    "groups, error, match",
    [
        ("abc", TypeError, "array-like"),
        (7, TypeError, "array-like"),
        (np.zeros((60, 2)), TypeError, "one-dimensional"),
        (SONGS[:-1], ValueError, "59 labels for 60 sequences"),
        ([None] + SONGS[1:], ValueError, r"groups\[0\] is missing"),
        (SONGS[:5] + [float("nan")] + SONGS[6:], ValueError, r"groups\[5\] is missing"),
        ([["a"]] + SONGS[1:], TypeError, r"groups\[0\] is a list"),
    ],
)
@pytest.mark.parametrize("model", [NET, HybridClassifier(NET, n_networks=1, random_state=0)])
def test_bad_groups_are_named_and_the_old_model_is_kept(model, groups, error, match):
    model = sklearn.clone(model).fit(X)
    before = model.predict_proba(X[:5])
    with pytest.raises(error, match=match):
        model.fit(X[::-1], groups=groups)
    np.testing.assert_array_equal(model.predict_proba(X[:5]), before)


def test_the_network_stops_early_on_whole_groups(recorded_splits):
    NET.fit(X, groups=SONGS)
    # split to train, and split the same way again to fit the temperature
    (groups, valid, _), again = recorded_splits
    assert list(groups) == SONGS and list(again[0]) == SONGS
    np.testing.assert_array_equal(again[1], valid)
    held_out = {SONGS[i] for i in valid}
    assert all(SONGS.count(song) == sum(SONGS[i] == song for i in valid) for song in held_out)


def test_the_hybrid_and_its_networks_hold_out_whole_groups(recorded_splits, monkeypatch):
    made = []

    def recording(contexts, targets, n_folds, salt, groups=None):
        made.extend(holdout_folds(contexts, targets, n_folds, salt, groups))
        return made

    monkeypatch.setattr("sklearn_seqlab.hybrid.holdout_folds", recording)
    HybridClassifier(NET, n_networks=2, random_state=0).fit(X, groups=SONGS)
    # one fold of whole songs per network, no song in both
    folds = made[:2]
    held_out = [{SONGS[i] for i in valid} for _, valid in folds]
    assert held_out[0] and held_out[1] and held_out[0].isdisjoint(held_out[1])
    for songs, (_, valid) in zip(held_out, folds, strict=True):
        assert len(valid) == sum(SONGS.count(song) for song in songs)
    # each network splits to train, and the same way again to fit its temperature
    networks = recorded_splits
    assert len(networks) == 4
    for k, ((first, first_valid, _), (second, second_valid, _)) in enumerate(
        zip(networks[::2], networks[1::2], strict=True)
    ):
        assert list(first) == list(second) and list(first_valid) == list(second_valid)
        # network k trains on the songs outside its fold, and stops early on some of them
        assert set(first) == set(SONGS) - held_out[k]
        assert len(first) == 60 - len(folds[k][1])
        assert {first[i] for i in first_valid} <= set(first)


def test_one_network_is_validated_on_one_split_of_whole_groups(recorded_splits):
    HybridClassifier(NET, n_networks=1, random_state=0).fit(X, groups=SONGS)
    (groups, valid, _), *network = recorded_splits
    assert list(groups) == SONGS and len(network) == 2
    mixture_songs = {SONGS[i] for i in valid}
    assert set(network[0].groups) == set(SONGS) - mixture_songs


def test_without_groups_the_split_goes_by_content(recorded_splits):
    HybridClassifier(NET, n_networks=1, random_state=0).fit(X)
    assert all(split.groups is None for split in recorded_splits)


def test_groups_reach_the_model_in_a_pipeline_and_by_metadata_routing(recorded_splits):
    make_pipeline(StateEncoder(), NET).fit(X, nextstateclassifier__groups=SONGS)
    assert list(recorded_splits[-1][0]) == SONGS
    with sklearn.config_context(enable_metadata_routing=True):
        net = sklearn.clone(NET).set_fit_request(groups=True)
        cross_validate(net, X, params={"groups": SONGS}, cv=GroupKFold(3))
    # each fit's split holds the songs of its training fold only: 10 songs of 15
    assert [len(set(split.groups)) for split in recorded_splits[-3:]] == [10, 10, 10]


def test_groups_name_the_checkpoint_since_they_change_the_split(tmp_path):
    net = NextStateClassifier(
        embedding_dim=8, hidden_dim=8, max_epochs=1, checkpoint_dir=tmp_path, random_state=0
    )
    paths = [
        net.fit(X, groups=groups).checkpoint_path_
        for groups in (None, SONGS, SONGS, SONGS[4:] + SONGS[:4])
    ]
    assert paths[0] != paths[1] == paths[2] != paths[3]


@pytest.mark.parametrize("missing", [pd.NA, pd.NaT, np.float32("nan")])
def test_every_kind_of_missing_label_is_refused(missing):
    groups = np.array([missing] + SONGS[1:], dtype=object)
    with pytest.raises(ValueError, match=r"groups\[0\] is missing"):
        check_groups(groups, 60)


def test_labels_of_another_type_but_the_same_text_keep_their_sides():
    # 1 and "1" are two groups; their order must not depend on where their rows are
    contexts, targets = _contexts_and_targets(X)
    labels = [1, "1", 2, "2", 3, "3"] * 10
    order = np.random.default_rng(1).permutation(60)
    for salt in range(20):
        _, valid = holdout_split(contexts, targets, 0.2, salt, check_groups(labels, 60))
        shuffled = check_groups([labels[i] for i in order], 60)
        _, valid_shuffled = holdout_split(contexts[order], targets[order], 0.2, salt, shuffled)
        assert {repr(labels[i]) for i in valid} == {repr(shuffled[i]) for i in valid_shuffled}


def test_a_hybrid_with_two_groups_says_its_networks_would_have_one():
    with pytest.raises(ValueError, match="groups holds 2 group.*leaves a network a single"):
        HybridClassifier(NET, n_networks=1).fit(X, groups=["a"] * 30 + ["b"] * 30)


def test_the_hybrid_takes_its_standard_error_over_groups(monkeypatch):
    import sklearn_seqlab._mixture_choice as choice_module

    clusters = []

    def recording(gain, sequence, n_standard_errors):
        clusters.append(len(np.unique(sequence)))
        return True

    monkeypatch.setattr(choice_module, "significant_gain", recording)
    hybrid = HybridClassifier(NET, n_networks=1, random_state=0)
    hybrid.fit(X, groups=SONGS)
    by_group = clusters.copy()
    clusters.clear()
    hybrid.fit(X)
    # whole songs of 4 phrases held out, a song one cluster: the 10 folds that choose the
    # count model hold out every song once (1 or 2 songs each, 15 clusters in all), the
    # validation split a tenth (one song). By content each held-out phrase is a cluster of
    # its own. Every gain tested: the count model's (in likelihood, then in accuracy), then
    # the mixture's, and then, as the networks' predictions decide, the count models' kept in
    # its place
    assert by_group[:2] == [15, 15] and by_group[2:] and set(by_group[2:]) == {1}
    assert len(clusters) >= 3 and all(c > 15 for c in clusters[:2])
    assert all(c > 1 for c in clusters[2:])


def test_the_checkpoint_name_is_the_same_for_any_container_of_the_same_groups(tmp_path):
    net = NextStateClassifier(
        embedding_dim=8, hidden_dim=8, max_epochs=1, checkpoint_dir=tmp_path, random_state=0
    )
    as_list = net.fit(X, groups=SONGS).checkpoint_path_
    assert net.fit(X, groups=np.array(SONGS)).checkpoint_path_ == as_list
    assert net.fit(X, groups=pd.Series(SONGS, index=range(100, 160))).checkpoint_path_ == as_list
    # without a validation split, groups change nothing, and so not the name either
    net.set_params(validation_fraction=None, patience=None)
    assert net.fit(X, groups=SONGS).checkpoint_path_ == net.fit(X).checkpoint_path_
