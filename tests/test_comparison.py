"""paired_accuracy_test: McNemar's exact test on the contexts two models disagree on."""

from math import comb

import pytest

from sklearn_seqlab.comparison import paired_accuracy_test


def _two_sided_binomial(k, n):
    """The exact two-sided p-value of k successes in n fair trials, from first principles."""
    tail = sum(comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


def test_counts_the_disagreements_and_tests_them():
    # 15 contexts only a gets right, 8 only b, 70 both, 7 neither (Helpdesk's split)
    truth = ["x"] * 100
    a = ["x"] * 15 + ["y"] * 8 + ["x"] * 70 + ["y"] * 7
    b = ["y"] * 15 + ["x"] * 8 + ["x"] * 70 + ["z"] * 7
    result = paired_accuracy_test(truth, a, b)
    assert (result.only_a, result.only_b) == (15, 8)
    assert result.accuracy_a == pytest.approx(0.85)
    assert result.accuracy_b == pytest.approx(0.78)
    assert result.pvalue == pytest.approx(_two_sided_binomial(8, 23))
    assert 0.2 < result.pvalue < 0.22


def test_is_symmetric_in_the_two_models():
    truth = list("abcabcabca")
    a = list("abcabcabbb")
    b = list("abbbbcabca")
    ab, ba = paired_accuracy_test(truth, a, b), paired_accuracy_test(truth, b, a)
    assert (ab.only_a, ab.only_b) == (ba.only_b, ba.only_a)
    assert ab.pvalue == pytest.approx(ba.pvalue)


def test_a_one_sided_split_is_significant_and_no_disagreement_is_not():
    truth = ["C"] * 30
    assert paired_accuracy_test(truth, ["C"] * 30, ["G"] * 30).pvalue < 1e-8
    same = paired_accuracy_test(truth, ["C"] * 20 + ["G"] * 10, ["C"] * 20 + ["F"] * 10)
    assert (same.only_a, same.only_b, same.pvalue) == (0, 0, 1.0)


def test_reads_any_states_and_iterables():
    truth = iter([("C", 1), ("G", 2), ("F", 3)])  # events of several features, a generator
    result = paired_accuracy_test(truth, [("C", 1), ("G", 2), ("F", 0)], (("C", 1),) * 3)
    assert (result.only_a, result.only_b) == (1, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((["C", "G"], ["C"], ["C", "G"]), "as long as each other, got 2, 1 and 2"),
        (([], [], []), "at least one context"),
    ],
)
def test_bad_input_names_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        paired_accuracy_test(*args)
