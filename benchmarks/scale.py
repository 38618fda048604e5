"""Peak memory and time of fitting as the data grows: cost should grow about linearly.

Each measurement runs in a fresh Python process, so that its peak resident memory
(``ru_maxrss``) is its own. Data are sequences of 50 states (``--length``) from a seeded
first-order chain over 200 states (``--vocabularies``; above 1,000 states, states drawn from a
Zipf law, so that all of them occur): 200, 2,000 and 20,000 sequences, that is 10^4, 10^5 and
10^6 states. The neural model trains one epoch (the cost of later epochs is
the same). A last run fits every model on data with a vocabulary of 50,000 states.

The hybrid (``--models hybrid``) trains one such network, then chooses its count model: on
data of up to 2^25 (position x state) probabilities on ten folds of the training sequences,
each scored with 76 count models, and otherwise on its validation split (every prefix of a
tenth of the sequences). That choice is what its row measures beyond the network's.
``--models hybrid3`` is the default hybrid, three such networks, each validated on a fold of
its own.
``--against DIR`` also runs every measurement with the package of another checkout
(``DIR/sklearn_seqlab``), one after the other, and adds the ratios of the two, so that a
change is measured side by side on a busy machine.

Usage::

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--out scale.md]
    python benchmarks/scale.py --models hybrid --sizes 100000 --vocabularies 200 2000 \
        --large-vocabulary 5000 --against ../old-checkout
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
if sys.argv[5]:  # another checkout's package, ahead of the one installed and the cwd
    sys.path.insert(0, sys.argv[5])
import numpy as np
import sklearn_seqlab
from sklearn_seqlab import (HybridClassifier, MarkovClassifier, NextStateClassifier,
                            VariableOrderMarkovClassifier)
from sklearn_seqlab.datasets import make_markov_sequences

model_name, n_states_total, vocabulary, length = sys.argv[1], *map(int, sys.argv[2:5])
if vocabulary <= 1000:
    X = make_markov_sequences(n_states_total // length, n_states=vocabulary, min_length=length,
                              max_length=length, concentration=0.5, random_state=0)
else:  # a large vocabulary: states drawn from a Zipf law, so that all of them occur
    rng = np.random.RandomState(0)
    n = n_states_total // length
    codes = np.concatenate([np.arange(vocabulary), rng.zipf(1.3, n * length - vocabulary)])
    codes = rng.permutation(codes % vocabulary)
    X = [[f"s{c}" for c in row] for row in codes.reshape(n, length)]
models = {
    "markov": lambda: MarkovClassifier(),
    "variable-order": lambda: VariableOrderMarkovClassifier(max_order=3),
    "lstm": lambda: NextStateClassifier(max_epochs=1, patience=None, validation_fraction=None,
                                        random_state=0),
    "hybrid": lambda: HybridClassifier(
        NextStateClassifier(max_epochs=1, patience=None, validation_fraction=None),
        n_networks=1, random_state=0),
    "hybrid3": lambda: HybridClassifier(
        NextStateClassifier(max_epochs=1, patience=None, validation_fraction=None),
        random_state=0),
}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
model = models[model_name]().fit(X)
seconds = time.perf_counter() - start
start = time.perf_counter()
model.predict(X[:1000])
predict_seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"fit_s": seconds, "predict_1000_s": predict_seconds,
                  "peak_mb": peak / 1024, "baseline_mb": before / 1024,
                  "n_classes": len(model.classes_), "package": sklearn_seqlab.__file__}))
"""


def measure(model, n_states, vocabulary, length=50, source=None):
    """Fit ``model`` in a fresh process, with the package of checkout ``source`` if given."""
    source = "" if source is None else str(Path(source).resolve())
    run = subprocess.run(
        [sys.executable, "-c", CHILD, model, str(n_states), str(vocabulary), str(length), source],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{model} at {n_states} states failed:\n{run.stderr}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if source and not result["package"].startswith(source):
        raise RuntimeError(f"measured {result['package']}, not the package in {source}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--models", nargs="+", default=["markov", "variable-order", "lstm"])
    parser.add_argument(
        "--vocabularies", type=int, nargs="+", default=[200], help="states of the first table"
    )
    parser.add_argument(
        "--large-vocabulary", type=int, default=50_000, help="0 skips the second table"
    )
    parser.add_argument("--length", type=int, default=50, help="states per sequence")
    parser.add_argument("--against", help="a checkout whose package is measured beside this one")
    parser.add_argument("--out", help="also write the markdown tables to this file")
    args = parser.parse_args()

    def row(model, n_states, vocabulary):
        """This checkout's measurement and, with --against, the other's and the ratios."""
        here = measure(model, n_states, vocabulary, args.length)
        if args.against is None:
            return here, ""
        there = measure(model, n_states, vocabulary, args.length, source=args.against)
        return here, (
            f" {there['fit_s']:.2f} | {there['peak_mb']:.0f} | "
            f"{here['fit_s'] / there['fit_s']:.2f} | {here['peak_mb'] / there['peak_mb']:.2f} |"
        )

    against = ""
    if args.against is not None:
        against = " fit s there | peak MB there | fit ratio | peak ratio |"
    lines = [
        "| model | states | vocabulary | fit s | s per 10^5 states | peak MB | MB after import |"
        + against,
        "|---|---|---|---|---|---|---|" + "---|" * (4 if args.against else 0),
    ]
    for model in args.models:
        for vocabulary in args.vocabularies:
            for n_states in args.sizes:
                r, there = row(model, n_states, vocabulary)
                per = r["fit_s"] / n_states * 1e5
                lines.append(
                    f"| {model} | {n_states:,} | {vocabulary:,} | {r['fit_s']:.2f} | "
                    f"{per:.2f} | {r['peak_mb']:.0f} | {r['baseline_mb']:.0f} |" + there
                )
                print(lines[-1], flush=True)
    if args.large_vocabulary:
        lines += [
            "",
            f"Vocabulary of {args.large_vocabulary:,} states (10^5 states in sequences of "
            f"{args.length}):",
            "",
            "| model | classes | fit s | predict 1,000 s | peak MB |" + against,
            "|---|---|---|---|---|" + "---|" * (4 if args.against else 0),
        ]
        for model in args.models:
            r, there = row(model, 100_000, args.large_vocabulary)
            lines.append(
                f"| {model} | {r['n_classes']:,} | {r['fit_s']:.1f} | "
                f"{r['predict_1000_s']:.2f} | {r['peak_mb']:.0f} |" + there
            )
            print(lines[-1], flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
