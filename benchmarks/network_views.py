"""Networks with and without a view of their input, side by side on the same splits.

Two parameters of ``NextStateClassifier`` give its module a view beside the states'
embeddings: ``repetition_slots=k`` (each state's first-occurrence index in the input, and
``k`` outcomes "the next state is the k-th distinct state of the context" in the output) and
``relative_chords`` (chords read and scored by kind and interval, the same in every key).
This script fits, on the outer splits of ``real_data.py``'s protocols, the same network
(``--model net``: ``NextStateClassifier(random_state=seed)``) or the same default hybrid
(``--model hybrid``, whose networks get the value) with each of ``--values`` of ``--param``,
side by side on the same splits and seeds, and prints each fit's test accuracy, then per
data set the mean of each value and the mean difference to the first.

``--time`` measures instead what each value costs per epoch, on 3,000 sequences drawn from
``core.py``'s synthetic chain with its parameters (8-64 states over 60), at the default
sizes (embedding 128, hidden 256, batches of 64): one network per value, trained one epoch
at a time by ``partial_fit``, the values in turn and in alternating order, so that each sees
the same load; medians of skorch's epoch durations. Its states are no chord symbols, so
``relative_chords`` is timed with ``--chords``, which names them as chords, or with
``--mcgill``, on the training phrases of McGill's first outer fold instead.

Usage::

    python benchmarks/network_views.py --mcgill ../shared/data/mcgill_seqlab.txt \\
        [--helpdesk ../shared/data/helpdesk.csv] [--phrases corpora/pop_phrases.tsv] \\
        [--seqlab-csv ../shared/data/seqlab_mcgill.csv] [--model hybrid] \\
        [--param repetition_slots] [--values 0 12] [--seeds 0] [--only 0 1]
    python benchmarks/network_views.py --param relative_chords --values False auto ...
    python benchmarks/network_views.py --time [--epochs 8] [--chords | --mcgill FILE]
"""

import argparse
import statistics
import sys
import time

import numpy as np
from real_data import add_dataset_arguments, datasets_of, mcgill_splits

from sklearn_seqlab import HybridClassifier, NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.hybrid import default_network

# 60 chord symbols for --time --chords: five kinds in each of the twelve keys
CHORDS = [
    f"{root}:{kind}"
    for kind in ("maj", "min", "7", "min7", "maj7")
    for root in ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
]


def parse_value(text):
    """A value of ``--values``: an int, a bool, or a string such as ``auto``."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        return text


def make_model(kind, param, value, seed):
    """The network, or the default hybrid whose networks have ``param=value``."""
    if kind == "net":
        return NextStateClassifier(random_state=seed, **{param: value})
    network = default_network().set_params(**{param: value})
    return HybridClassifier(network=network, random_state=seed)


def fit_side_by_side(splits, kind, param, values, seeds, only):
    """Per split and seed, the test accuracy of each value of ``param`` (rows)."""
    rows = []
    for split, (train, contexts, targets, *_) in enumerate(splits):
        if only is not None and split not in only:
            continue
        truth = np.asarray(targets, dtype=object)
        for seed in seeds:
            row = []
            for value in values:
                start = time.perf_counter()
                model = make_model(kind, param, value, seed).fit(train)
                row.append(float(np.mean(model.predict(contexts) == truth)))
                weight = getattr(model, "network_weight_", None)
                print(
                    f"  split {split}, seed {seed}, {param}={value}: {row[-1]:.4f}"
                    + ("" if weight is None else f", network weight {weight:.2f}")
                    + f" ({time.perf_counter() - start:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            rows.append(row)
    return np.array(rows)


def synthetic_training_data(chords=False):
    """``core.py``'s synthetic chain; with ``chords``, its 60 states renamed as chord symbols
    (``C:maj``, ``Db:min``...)."""
    train = make_markov_sequences(
        3000,
        n_states=60,
        order=2,
        min_length=8,
        max_length=64,
        concentration=0.03,
        random_state=0,
    )
    if chords:
        states = sorted({state for x in train for state in x})
        names = dict(zip(states, CHORDS, strict=True))  # 60 states, 60 chords
        train = [[names[state] for state in x] for x in train]
    return train


def epoch_times(train, param, values, epochs):
    """Median epoch duration of a network per value of ``param`` on ``train``, epochs
    taken in turn."""
    networks = [
        NextStateClassifier(
            validation_fraction=None, patience=None, random_state=0, **{param: value}
        )
        for value in values
    ]
    for epoch in range(epochs):
        turn = range(len(values)) if epoch % 2 == 0 else reversed(range(len(values)))
        for index in turn:
            networks[index].partial_fit(train)
    return [statistics.median(network.history_[:, "dur"]) for network in networks]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["net", "hybrid"], default="net")
    parser.add_argument(
        "--param", choices=["repetition_slots", "relative_chords"], default="repetition_slots"
    )
    parser.add_argument("--values", type=parse_value, nargs="+", default=[0, 12])
    add_dataset_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--time", action="store_true", help="time epochs on synthetic data")
    parser.add_argument("--epochs", type=int, default=8, help="epochs timed per value")
    parser.add_argument("--chords", action="store_true", help="time on states named as chords")
    args = parser.parse_args()
    if args.time:
        if args.mcgill:  # the training phrases of McGill's first outer fold
            train = next(iter(mcgill_splits(args.mcgill, args.folds)))[0]
        else:
            train = synthetic_training_data(args.chords)
        medians = epoch_times(train, args.param, args.values, args.epochs)
        print(f"| {args.param} | median epoch (s) | ratio to the first |\n|---|---|---|")
        for value, median in zip(args.values, medians, strict=True):
            print(f"| {value} | {median:.2f} | {median / medians[0]:.3f} |")
        return
    datasets = datasets_of(parser, args)
    print(f"{args.model}, seeds {args.seeds}, outer folds {args.only or 'all'}\n")
    header = " | ".join(f"{args.param}={value}" for value in args.values)
    first = f"{args.param}={args.values[0]}"
    print(f"| data | fits | {header} | difference to {first} | above / below |")
    print("|---|---|" + "---|" * (len(args.values) + 2))
    for title, splits in datasets:
        rows = fit_side_by_side(splits, args.model, args.param, args.values, args.seeds, args.only)
        means = " | ".join(f"{m:.4f}" for m in rows.mean(axis=0))
        gain = rows[:, -1] - rows[:, 0]
        print(
            f"| {title} | {len(rows)} | {means} | {gain.mean():+.4f} ± {gain.std():.4f} "
            f"| {int(np.sum(gain > 0))} / {int(np.sum(gain < 0))} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
