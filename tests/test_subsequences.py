"""SeqLab's augment_by_subsequences (SubsequenceAugmenter) and chains of augmenters."""

import pytest
from sklearn.pipeline import Pipeline

from sklearn_seqlab import MarkovClassifier, StateEncoder
from sklearn_seqlab.augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter


def test_every_distinct_subsequence_once():
    copies = SubsequenceAugmenter()([["a", "b", "a", "b"], ["b", "a", "b"], ["x"]])
    assert copies == [
        [["a", "b"], ["b", "a"], ["a", "b", "a"]],  # "b a b" is given: not made again
        [],  # its subsequences were all made for the first sequence
        [],
    ]
    assert SubsequenceAugmenter(min_length=3)([list("abcd")]) == [[list("abc"), list("bcd")]]


def test_count_matches_seqlab():
    """SeqLab kept the distinct subsequences of at least 2 states, the sequences included."""
    seq = list("abcdef")
    made = SubsequenceAugmenter()([seq])[0]
    assert len(made) + 1 == sum(len(seq) - n + 1 for n in range(2, len(seq) + 1))


def test_tuples_of_features_are_cut_whole():
    seq = [("C", "c"), ("G", "d"), ("C", "e")]
    assert SubsequenceAugmenter()([seq])[0][0] == [("C", "c"), ("G", "d")]


def test_bad_min_length():
    with pytest.raises(ValueError, match="min_length must be >= 1"):
        SubsequenceAugmenter(min_length=0)([["a", "b"]])


def test_chain_transposes_then_cuts():
    chain = AugmenterChain([KeyTransposer(semitones=[2]), SubsequenceAugmenter()])
    assert chain([["C", "F", "G"], ["N", "N"]]) == [
        [["D", "G", "A"], ["C", "F"], ["F", "G"], ["D", "G"], ["G", "A"]],
        [],
    ]


def test_copies_are_made_of_training_sequences_only():
    """In a pipeline the encoder cuts subsequences in fit, never from what is scored."""
    seen = []

    class Spy(SubsequenceAugmenter):
        def __call__(self, sequences):
            seen.extend(map(tuple, sequences))
            return super().__call__(sequences)

    train, test = [list("abcab"), list("bcabc")], [list("cabca")]
    pipe = Pipeline([("enc", StateEncoder(augment=Spy())), ("clf", MarkovClassifier())])
    pipe.fit(train).score(test)
    assert set(seen) == {tuple(s) for s in train}
