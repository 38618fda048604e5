"""The hybrid's mixture chosen on every position or on the last: both from one fit.

``HybridClassifier(validate_on=...)`` changes which next states of the held-out sequences
choose the count model and the network weight, not how the networks train. So one fit per
outer fold serves both: the hybrid is fitted with ``"all"``, and its choice is made again
with ``"last"`` (the default since) from the same networks and validation folds.
``real_data.py --models hybrid_all hybrid_last`` fits each one on its own and gives the same
figures (the fits are seeded), in twice the time. On data that are small only when counted
by the last positions (McGill by song, twenty-sixth round), a hybrid fitted with ``"last"``
chooses on ten folds and a fold per network, which a choice made again from the single
split of an ``"all"`` fit cannot reproduce: ``real_data.py --models hybrid`` measures it.

Usage::

    python benchmarks/validate_on.py --mcgill ../shared/data/mcgill_seqlab.txt
    python benchmarks/validate_on.py --phrases ../shared/data/mcgill_phrases.tsv
    python benchmarks/validate_on.py --seqlab-csv ../shared/data/seqlab_rolling_stones.csv
    python benchmarks/validate_on.py --helpdesk ../shared/data/helpdesk.csv --seeds 0 1 2
    python benchmarks/validate_on.py --runner-draws 6

Phrases by song are fitted with their songs as ``groups`` (``--by-content``: without them,
the hybrid's validation split then holds out by content). ``--runner-draws N`` repeats the
runner's data (600 synthetic progressions, 3 shuffled folds, the state that ends each one
scored) with seeds 0 to N-1, and the two small networks its search gives the hybrid.
"""

import argparse
import json
import time

import numpy as np
import torch
from real_data import add_dataset_arguments, named_splits
from sklearn.base import clone
from sklearn.model_selection import KFold

from sklearn_seqlab import HybridClassifier, VariableOrderMarkovClassifier
from sklearn_seqlab._mixture_choice import last_positions_only
from sklearn_seqlab.datasets import make_chord_progressions
from sklearn_seqlab.hybrid import default_network

BEST_COUNT = {"max_order": 5, "cache_weight": 0.2, "cache_order": 3, "repetition_weight": 0.4}
"""The best count model measured on the chord corpora (nineteenth round), for reference."""


class RecordedHybrid(HybridClassifier):
    """A hybrid that keeps what its choice was given, to choose again."""

    def _choose_mixture(self, candidates, parts, grid=True):
        self.recorded_choice_ = (candidates, parts, grid)
        return super()._choose_mixture(candidates, parts, grid)

    def _cross_validated_count(self, *args):
        self.recorded_folds_ = args
        return super()._cross_validated_count(*args)


def chosen_on_the_last(hybrid):
    """The count model (fitted) and weight that ``validate_on="last"`` chooses, from the
    networks and validation folds of ``hybrid``, fitted with ``"all"``."""
    _, parts, _ = hybrid.recorded_choice_
    contexts, _, _, rows_of, _, _ = hybrid.recorded_folds_
    hybrid.validate_on = "last"
    try:
        chosen = hybrid._cross_validated_count(*hybrid.recorded_folds_)
    finally:
        hybrid.validate_on = "all"
    candidates = [chosen] if chosen is not None else hybrid._count_candidates()
    last_parts = [
        part._replace(positions=last_positions_only(part.positions, part.contexts.lengths))
        for part in parts
    ]
    count, weight, _ = hybrid._choose_mixture(candidates, last_parts, chosen is None)
    return clone(count).fit(*rows_of(np.arange(len(contexts)))), weight


def _accuracy(hybrid, count, weight, contexts, targets):
    hybrid.count_model_, hybrid.network_weight_ = count, weight
    return float(np.mean(hybrid.predict(contexts) == np.asarray(targets, dtype=object)))


def _setting(count, weight):
    return (
        f"w {weight:.2f}, order {count.max_order}, cache {count.cache_weight}"
        f"/{count.cache_order}, repetition {count.repetition_weight}"
    )


def compare(hybrid, train, contexts, targets, groups=None):
    """Accuracies of one fold: the choice on every position and on the last, the networks
    averaged alone and ``BEST_COUNT``."""
    hybrid.fit(train, **({} if groups is None else {"groups": groups}))
    on_all = (hybrid.count_model_, hybrid.network_weight_)
    on_last = chosen_on_the_last(hybrid)
    best = VariableOrderMarkovClassifier(**BEST_COUNT).fit(train)
    return {
        "all": _accuracy(hybrid, *on_all, contexts, targets),
        "last": _accuracy(hybrid, *on_last, contexts, targets),
        "networks": _accuracy(hybrid, on_all[0], 1.0, contexts, targets),
        "best count": float(np.mean(best.predict(contexts) == np.asarray(targets, dtype=object))),
        "chosen on all": _setting(*on_all),
        "chosen on last": _setting(*on_last),
    }


def add_hybrid_arguments(parser):
    """The options of the scripts that fit a hybrid per outer fold: ``real_data.py``'s data
    sets, the hybrid's seeds, the runner's draws and the networks trained in parallel."""
    add_dataset_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="hybrid seeds")
    parser.add_argument("--runner-draws", type=int, default=0, help="the runner's data, N seeds")
    parser.add_argument("--n-jobs", type=int, default=2, help="networks trained in parallel")
    parser.add_argument(
        "--runner-slots", type=int, default=0, help="repetition slots of the runner's networks"
    )


def runner_hybrid(seed, n_jobs, slots=0, **params):
    """A ``RecordedHybrid`` as the runner's default config makes it: two small networks
    (with ``slots`` repetition slots; the config gives them none)."""
    network = default_network().set_params(
        embedding_dim=32, hidden_dim=64, max_epochs=30, repetition_slots=slots
    )
    return RecordedHybrid(network, n_networks=2, n_jobs=n_jobs, random_state=seed, **params)


def runner_splits(seed):
    """The runner's data and outer folds, with ``seed`` as its ``random_state``."""
    X = make_chord_progressions(600, min_length=8, max_length=24, random_state=0)
    for train, test in KFold(3, shuffle=True, random_state=seed).split(X):
        yield [X[i] for i in train], [X[i][:-1] for i in test], [X[i][-1] for i in test]


def _report(title, rows):
    print(f"\n{title}")
    for key in ("all", "last", "networks", "best count"):
        values = np.array([row[key] for row in rows])
        print(f"  {key:10s} {values.mean():.4f} ± {values.std():.4f}")
    gain = np.array([row["last"] - row["all"] for row in rows])
    print(
        f"  last - all {gain.mean():+.4f} ± {gain.std():.4f}, "
        f"above on {int(np.sum(gain > 0))} of {len(gain)}, below on {int(np.sum(gain < 0))}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_hybrid_arguments(parser)
    parser.add_argument(
        "--by-content", action="store_true", help="fit phrases by song without their groups"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    datasets = named_splits(args.mcgill, args.seqlab_csv, args.phrases, args.helpdesk, args.folds)
    for title, splits in datasets:
        splits = list(splits)
        rows = []
        for seed in args.seeds:
            for fold, (train, contexts, targets, *groups) in enumerate(splits):
                if args.only is not None and fold not in args.only:
                    continue
                start = time.perf_counter()
                hybrid = RecordedHybrid(validate_on="all", n_jobs=args.n_jobs, random_state=seed)
                fit_groups = groups[0] if groups and not args.by_content else None
                row = compare(hybrid, train, contexts, targets, fit_groups)
                row.update(seed=seed, fold=fold, seconds=round(time.perf_counter() - start))
                print(json.dumps(row), flush=True)
                rows.append(row)
        _report(title, rows)
    if args.runner_draws:
        rows = []
        for seed in range(args.runner_draws):
            for fold, split in enumerate(runner_splits(seed)):
                hybrid = runner_hybrid(seed, args.n_jobs, args.runner_slots, validate_on="all")
                row = compare(hybrid, *split)
                row.update(seed=seed, fold=fold)
                print(json.dumps(row), flush=True)
                rows.append(row)
        _report("the runner's synthetic chords", rows)


if __name__ == "__main__":
    main()
