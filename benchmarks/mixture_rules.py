"""The hybrid's rules for its network weight, replayed on its validation folds and scored on
the test folds.

For each outer fold the default ``HybridClassifier()`` is fitted once. From the networks,
count model and validation folds its choice used, the script keeps the probabilities of the
state that ends each held-out sequence (``validate_on="last"``), and those of the test
contexts. It then replays other rules for the weight on the same validation next states and
scores what each one chooses on the test fold:

- ``kept``: the weight the hybrid chose;
- ``likeliest only``: the weight of the best validation log-likelihood if that mixture gains
  ``min_gain_se`` standard errors on the count model alone and is more often right than it
  (the hybrid's rule before the twenty-sixth round, on data whose count model is chosen on
  ten folds), else 0;
- ``then most accurate``: the same, and when the likeliest weight is no more often right,
  the weight most often right (``by accuracy`` below) if it is (the hybrid's rule since);
- ``no accuracy check``: the weight of the best validation log-likelihood whenever that
  mixture gains ``min_gain_se`` standard errors on the count model alone, however often it
  is right;
- ``not less accurate``: the same, unless the mixture is less often right than the count
  model alone by more than ``min_gain_se`` standard errors (the hybrid asks it to be more
  often right);
- ``by accuracy``: the weight most often right on the validation next states, each weight's
  accuracy averaged with its two neighbours';
- ``by Brier score``: the weight of the best validation Brier score, a proper score that
  weighs a miss less than the log-likelihood does.

Usage::

    python benchmarks/mixture_rules.py --phrases ../shared/data/mcgill_phrases.tsv --seeds 0 1
    python benchmarks/mixture_rules.py --mcgill ../shared/data/mcgill_seqlab.txt
    python benchmarks/mixture_rules.py --runner-draws 4 [--runner-slots 12]
    python benchmarks/mixture_rules.py --mcgill ../shared/data/mcgill_seqlab.txt --keys

Phrases by song are fitted with their songs as ``groups``. ``--runner-draws N`` repeats the
runner's data with seeds 0 to N-1 and the hybrid of its default config
(``validate_on.py``). ``--keys`` fits the hybrid in ``real_data.py``'s augmented pipeline
(spellings merged, training sequences in 12 keys); ``--networks N`` gives it N networks.
"""

import argparse
import json
import time
from typing import NamedTuple

import numpy as np
import torch
from real_data import augmented, named_splits, spelled_as_predicted
from sklearn.base import clone
from validate_on import RecordedHybrid, add_hybrid_arguments, runner_hybrid, runner_splits

from sklearn_seqlab._mixture import MIX_GRID, log_proba, significant_gain, smoothed


class Recorded(NamedTuple):
    """One outer fold: the validation next states (networks' and count model's
    probabilities, class, unit of the errors) and the test contexts'."""

    valid_net: np.ndarray
    valid_count: np.ndarray
    valid_class: np.ndarray
    valid_unit: np.ndarray
    test_net: np.ndarray
    test_count: np.ndarray
    test_class: np.ndarray
    weight: float
    min_gain_se: float


def record(model, train, contexts, targets, groups=None):
    """Fit ``model`` (a ``RecordedHybrid``, or a pipeline that ends in one) and keep what its
    rules and the test need."""
    if hasattr(model, "steps"):
        fit_params = {} if groups is None else {f"{model.steps[-1][0]}__groups": groups}
        model.fit(train, **fit_params)
        hybrid, targets = model[-1], spelled_as_predicted(model, targets)
        contexts = model[:-1].transform(contexts)
    else:
        hybrid = model.fit(train, **({} if groups is None else {"groups": groups}))
    _, parts, _ = hybrid.recorded_choice_
    net, count, classes, units, offset = [], [], [], [], 0
    for part in parts:
        # the fold's count model: the one kept, fitted on all but the fold
        held_out = clone(hybrid.count_model_).fit(*part.fit_data)
        probas = [hybrid._aligned(m, part.contexts) for m in part.networks]
        net.append(np.mean(probas, axis=0))
        count.append(hybrid._aligned(held_out, part.contexts))
        last = np.cumsum(part.contexts.lengths) - 1  # validate_on="last": one state each
        classes.append(part.positions[last])
        units.append(part.sequence[last] + offset)
        offset += int(part.sequence.max()) + 1
    encoded = hybrid._encode(contexts)
    test_net = np.mean([hybrid._aligned(m, encoded) for m in hybrid.networks_], axis=0)
    index = {state: j for j, state in enumerate(hybrid.classes_.tolist())}
    classes_, units_ = np.concatenate(classes), np.concatenate(units)
    known = classes_ >= 0
    return Recorded(
        np.concatenate(net)[known],
        np.concatenate(count)[known],
        classes_[known],
        units_[known],
        test_net,
        hybrid._aligned(hybrid.count_model_, encoded),
        np.array([index.get(state, -1) for state in targets]),
        hybrid.network_weight_,
        hybrid.min_gain_se,
    )


def _mixtures(fold):
    """Per weight of ``MIX_GRID``: the validation log-probability of each next state,
    whether the mixture predicts it right, and the mixture's mean Brier score (less 1)."""
    rows = np.arange(len(fold.valid_class))
    logs, right, brier = [], [], []
    for w in MIX_GRID:
        mixture = w * fold.valid_net + (1 - w) * fold.valid_count
        target = mixture[rows, fold.valid_class]
        logs.append(log_proba(target))
        right.append(mixture.argmax(axis=1) == fold.valid_class)
        brier.append(np.mean(np.sum(mixture**2, axis=1) - 2 * target))
    return logs, right, brier


def rule_weights(fold):
    """The weight each rule chooses on ``fold``'s validation next states."""
    logs, right, brier = _mixtures(fold)
    best = int(np.argmax([log.mean() for log in logs]))
    gains = significant_gain(logs[best] - logs[0], fold.valid_unit, fold.min_gain_se)
    loss = right[0].astype(float) - right[best].astype(float)
    less = significant_gain(loss, fold.valid_unit, fold.min_gain_se)
    accuracy = np.array([r.mean() for r in right])
    most = int(np.argmax(smoothed(accuracy)))
    likeliest = MIX_GRID[best] if gains and accuracy[best] > accuracy[0] else 0.0
    fall_back = MIX_GRID[most] if gains and most > 0 and accuracy[most] > accuracy[0] else 0.0
    return {
        "kept": fold.weight,
        "likeliest only": likeliest,
        "then most accurate": likeliest if likeliest > 0 else fall_back,
        "no accuracy check": MIX_GRID[best] if gains else 0.0,
        "not less accurate": MIX_GRID[best] if gains and not less else 0.0,
        "by accuracy": MIX_GRID[most],
        "by Brier score": MIX_GRID[int(np.argmin(brier))],
    }


def test_accuracy(fold, weight):
    mixture = weight * fold.test_net + (1 - weight) * fold.test_count
    return float(np.mean(mixture.argmax(axis=1) == fold.test_class))


def _report(title, rows):
    print(f"\n{title}")
    for rule in rows[0]["accuracy"]:
        values = np.array([row["accuracy"][rule] for row in rows])
        gain = values - np.array([row["accuracy"]["kept"] for row in rows])
        print(
            f"  {rule:18s} {values.mean():.4f} ± {values.std():.4f}  against kept "
            f"{gain.mean():+.4f} (above {int(np.sum(gain > 0))}, below {int(np.sum(gain < 0))})"
        )


def run(title, folds_of, make_hybrid, seeds):
    rows = []
    for seed in seeds:
        for fold, (train, contexts, targets, *groups) in enumerate(folds_of(seed)):
            start = time.perf_counter()
            recorded = record(make_hybrid(seed), train, contexts, targets, *groups)
            weights = rule_weights(recorded)
            row = {
                "seed": seed,
                "fold": fold,
                "weights": {rule: round(float(w), 2) for rule, w in weights.items()},
                "accuracy": {rule: test_accuracy(recorded, w) for rule, w in weights.items()},
                "count alone": test_accuracy(recorded, 0.0),
                "seconds": round(time.perf_counter() - start),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    _report(title, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_hybrid_arguments(parser)
    parser.add_argument("--keys", action="store_true", help="training sequences in 12 keys")
    parser.add_argument("--networks", type=int, default=3, help="the hybrid's n_networks")
    args = parser.parse_args()
    torch.set_num_threads(1)

    def make_hybrid(seed):
        hybrid = RecordedHybrid(n_networks=args.networks, n_jobs=args.n_jobs, random_state=seed)
        return augmented(hybrid) if args.keys else hybrid

    datasets = named_splits(args.mcgill, args.seqlab_csv, args.phrases, args.helpdesk, args.folds)
    for title, splits in datasets:
        splits = [s for k, s in enumerate(splits) if args.only is None or k in args.only]
        run(
            title,
            lambda seed, splits=splits: splits,
            make_hybrid,
            args.seeds,
        )
    if args.runner_draws:
        run(
            "the runner's synthetic chords",
            lambda seed: [(*split, None) for split in runner_splits(seed)],
            lambda seed: runner_hybrid(seed, args.n_jobs, args.runner_slots),
            range(args.runner_draws),
        )


if __name__ == "__main__":
    main()
