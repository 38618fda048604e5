"""Peak memory and time of fitting as the data grows: cost should grow about linearly.

Each measurement runs in a fresh Python process, so that its peak resident memory
(``ru_maxrss``) is its own. Data are sequences of 50 states from a seeded first-order chain
over 200 states: 200, 2,000 and 20,000 sequences, that is 10^4, 10^5 and 10^6 states. The
neural model trains one epoch (the cost of later epochs is the same). A last run fits every
model on data with a vocabulary of 50,000 states.

Usage::

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--out scale.md]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import numpy as np
from sklearn_seqlab import MarkovClassifier, NextStateClassifier, VariableOrderMarkovClassifier
from sklearn_seqlab.datasets import make_markov_sequences

model_name, n_states_total, vocabulary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
length = 50
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
                  "n_classes": len(model.classes_)}))
"""


def measure(model, n_states, vocabulary):
    run = subprocess.run(
        [sys.executable, "-c", CHILD, model, str(n_states), str(vocabulary)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{model} at {n_states} states failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--models", nargs="+", default=["markov", "variable-order", "lstm"])
    parser.add_argument("--large-vocabulary", type=int, default=50_000)
    parser.add_argument("--out", help="also write the markdown tables to this file")
    args = parser.parse_args()

    lines = [
        "| model | states | fit s | s per 10^5 states | peak MB | MB after import |",
        "|---|---|---|---|---|---|",
    ]
    for model in args.models:
        for n_states in args.sizes:
            r = measure(model, n_states, vocabulary=200)
            per = r["fit_s"] / n_states * 1e5
            lines.append(
                f"| {model} | {n_states:,} | {r['fit_s']:.2f} | {per:.2f} | "
                f"{r['peak_mb']:.0f} | {r['baseline_mb']:.0f} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Vocabulary of {args.large_vocabulary:,} states (10^5 states in sequences of 50):",
        "",
        "| model | classes | fit s | predict 1,000 s | peak MB |",
        "|---|---|---|---|---|",
    ]
    for model in args.models:
        r = measure(model, 100_000, vocabulary=args.large_vocabulary)
        lines.append(
            f"| {model} | {r['n_classes']:,} | {r['fit_s']:.1f} | "
            f"{r['predict_1000_s']:.2f} | {r['peak_mb']:.0f} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
