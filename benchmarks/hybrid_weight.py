"""The default hybrid's networks' weight over seeds: when it is kept, and what it costs.

``HybridClassifier()`` keeps its networks only when their mixture with its count model gains
on its validation split. This script fits the default hybrid for each ``random_state`` of
``--seeds`` on the outer splits of ``real_data.py``'s protocols (``--only`` picks some), and
prints each fit's test accuracy beside that of its own count model alone and of
``VariableOrderMarkovClassifier()``, with the networks' weight. Per data set it then gives
the means, how many fits kept a weight, and how many of those were less accurate than their
count model alone: a weight kept by chance. To compare two versions of the package, run it
twice, once with ``PYTHONPATH`` set to the other checkout.

Usage::

    python benchmarks/hybrid_weight.py --helpdesk ../shared/data/helpdesk.csv \\
        [--phrases corpora/pop_phrases.tsv] [--mcgill ../shared/data/mcgill_seqlab.txt] \\
        [--seqlab-csv ../shared/data/seqlab_mcgill.csv] [--seeds 0 1 2 3 4] [--only 0]
"""

import argparse
import sys
import time

import numpy as np
from real_data import add_dataset_arguments, datasets_of

from sklearn_seqlab import HybridClassifier, VariableOrderMarkovClassifier


def fit_over_seeds(splits, seeds, only):
    """Per split and seed: the hybrid's accuracy, its count model's alone, the default count
    model's, and the networks' weight."""
    rows = []
    for split, (train, contexts, targets, *_) in enumerate(splits):
        if only is not None and split not in only:
            continue
        truth = np.asarray(targets, dtype=object)
        default = VariableOrderMarkovClassifier().fit(train)
        default_accuracy = float(np.mean(default.predict(contexts) == truth))
        for seed in seeds:
            start = time.perf_counter()
            hybrid = HybridClassifier(random_state=seed).fit(train)
            accuracy = float(np.mean(hybrid.predict(contexts) == truth))
            # its count model was fitted on the hybrid's encoding of the sequences
            count = hybrid.count_model_.predict(hybrid.encoder_.transform(contexts))
            alone = float(np.mean(count == truth))
            rows.append((accuracy, alone, default_accuracy, hybrid.network_weight_))
            print(
                f"  split {split}, seed {seed}: hybrid {accuracy:.4f}, its count model "
                f"{alone:.4f}, default {default_accuracy:.4f}, weight "
                f"{hybrid.network_weight_:.2f} ({time.perf_counter() - start:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return np.array(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_dataset_arguments(parser)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    datasets = datasets_of(parser, args)
    print(f"seeds {args.seeds}, outer folds {args.only or 'all'}\n")
    print(
        "| data | hybrid | its count model alone | default count model | fits with a weight "
        "| of which below their count model | largest loss |"
    )
    print("|---|---|---|---|---|---|---|")
    for title, splits in datasets:
        rows = fit_over_seeds(splits, args.seeds, args.only)
        hybrid, alone, default, weight = rows.T
        kept = weight > 0
        below = kept & (hybrid < alone)
        loss = float(np.max(alone - hybrid, initial=0.0))
        print(
            f"| {title} | {hybrid.mean():.4f} | {alone.mean():.4f} | {default.mean():.4f} | "
            f"{int(kept.sum())} of {len(rows)} | {int(below.sum())} | {loss:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
