"""Networks that read and point at their sequence's repeats, against networks that do not.

``NextStateClassifier(repetition_slots=k)`` adds each state's first-occurrence index to the
network's input, and ``k`` outcomes "the next state is the k-th distinct state of the
context" to its output. This script fits, on the outer splits of ``real_data.py``'s
protocols, the same network (``--model net``: ``NextStateClassifier(random_state=seed)``) or
the same default hybrid (``--model hybrid``, whose networks get the slots) with each value of
``--slots``, side by side on the same splits and seeds, and prints each fit's test accuracy,
then per data set the mean of each value and the mean difference to the first.

``--time`` measures instead what the slots cost per epoch, on 3,000 sequences drawn from
``core.py``'s synthetic chain with its parameters (8-64 states over 60), at the default
sizes (embedding 128, hidden 256, batches of 64): one network per value of ``--slots``,
trained one epoch at a time by ``partial_fit``, the values in turn and in alternating
order, so that each sees the same load; medians of skorch's epoch durations.

Usage::

    python benchmarks/repetition_slots.py --mcgill ../shared/data/mcgill_seqlab.txt \\
        [--helpdesk ../shared/data/helpdesk.csv] [--phrases corpora/pop_phrases.tsv] \\
        [--seqlab-csv ../shared/data/seqlab_mcgill.csv] [--model hybrid] \\
        [--slots 0 12] [--seeds 0] [--only 0 1]
    python benchmarks/repetition_slots.py --time [--epochs 8]
"""

import argparse
import statistics
import sys
import time

import numpy as np
from real_data import add_dataset_arguments, datasets_of

from sklearn_seqlab import HybridClassifier, NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.hybrid import default_network


def make_model(kind, slots, seed):
    """The network, or the default hybrid whose networks have ``slots``."""
    if kind == "net":
        return NextStateClassifier(repetition_slots=slots, random_state=seed)
    network = default_network().set_params(repetition_slots=slots)
    return HybridClassifier(network=network, random_state=seed)


def fit_side_by_side(splits, kind, slots, seeds, only):
    """Per split and seed, the test accuracy of each value of ``slots`` (rows)."""
    rows = []
    for split, (train, contexts, targets, *_) in enumerate(splits):
        if only is not None and split not in only:
            continue
        truth = np.asarray(targets, dtype=object)
        for seed in seeds:
            row = []
            for k in slots:
                start = time.perf_counter()
                model = make_model(kind, k, seed).fit(train)
                row.append(float(np.mean(model.predict(contexts) == truth)))
                weight = getattr(model, "network_weight_", None)
                print(
                    f"  split {split}, seed {seed}, slots {k}: {row[-1]:.4f}"
                    + ("" if weight is None else f", network weight {weight:.2f}")
                    + f" ({time.perf_counter() - start:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            rows.append(row)
    return np.array(rows)


def epoch_times(slots, epochs):
    """Median epoch duration of a network per value of ``slots``, epochs taken in turn."""
    train = make_markov_sequences(
        3000,
        n_states=60,
        order=2,
        min_length=8,
        max_length=64,
        concentration=0.03,
        random_state=0,
    )
    networks = [
        NextStateClassifier(
            repetition_slots=k, validation_fraction=None, patience=None, random_state=0
        )
        for k in slots
    ]
    for epoch in range(epochs):
        turn = range(len(slots)) if epoch % 2 == 0 else reversed(range(len(slots)))
        for index in turn:
            networks[index].partial_fit(train)
    return [statistics.median(network.history_[:, "dur"]) for network in networks]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["net", "hybrid"], default="net")
    parser.add_argument("--slots", type=int, nargs="+", default=[0, 12])
    add_dataset_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--time", action="store_true", help="time epochs on synthetic data")
    parser.add_argument("--epochs", type=int, default=8, help="epochs timed per value")
    args = parser.parse_args()
    if args.time:
        medians = epoch_times(args.slots, args.epochs)
        print("| slots | median epoch (s) | ratio to the first |\n|---|---|---|")
        for k, median in zip(args.slots, medians, strict=True):
            print(f"| {k} | {median:.2f} | {median / medians[0]:.3f} |")
        return
    datasets = datasets_of(parser, args)
    print(f"{args.model}, seeds {args.seeds}, outer folds {args.only or 'all'}\n")
    header = " | ".join(f"slots {k}" for k in args.slots)
    print(f"| data | fits | {header} | difference to slots {args.slots[0]} | above / below |")
    print("|---|---|" + "---|" * (len(args.slots) + 2))
    for title, splits in datasets:
        rows = fit_side_by_side(splits, args.model, args.slots, args.seeds, args.only)
        means = " | ".join(f"{m:.4f}" for m in rows.mean(axis=0))
        gain = rows[:, -1] - rows[:, 0]
        print(
            f"| {title} | {len(rows)} | {means} | {gain.mean():+.4f} ± {gain.std():.4f} "
            f"| {int(np.sum(gain > 0))} / {int(np.sum(gain < 0))} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
