"""Two models on the same folds, compared context by context (McNemar's exact test).

A difference of mean accuracies over folds hides how many contexts the two models actually
predict differently. This reads two files written by ``real_data.py --save-predictions DIR``
(same data, same folds) and prints each fold's accuracies and their difference, the mean
difference ± its standard deviation over folds, and the pooled paired test of
``sklearn_seqlab.comparison.paired_accuracy_test``: each context is scored once over the
folds, so the folds' contexts can be pooled.

Usage::

    python benchmarks/real_data.py --helpdesk ../shared/data/helpdesk.csv \\
        --models vomm default_lstm --save-predictions predictions
    python benchmarks/paired.py predictions/Helpdesk_Tax_protocol__default_lstm.json \\
        predictions/Helpdesk_Tax_protocol__vomm.json

A model of chords transposed into 12 keys (``real_data.py``'s ``*_aug`` models) predicts, and
is scored in, ``ChordNormalizer``'s spelling (``Bb:maj``, never ``B-:maj``); ``--respell``
spells both files that way, so that it can be compared with a model of the raw chords.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sklearn_seqlab.chords import ChordNormalizer
from sklearn_seqlab.comparison import paired_accuracy_test
from sklearn_seqlab.metrics import next_state_accuracy


def _load(path, respell=False):
    record = json.loads(Path(path).read_text())

    # JSON gives events of several features back as lists; tuples compare like the originals
    def states(values):
        return [tuple(v) if isinstance(v, list) else v for v in values]

    for key in ("targets", "predicted"):  # a list of folds, each a list of states
        folds = [states(fold) for fold in record[key]]
        record[key] = ChordNormalizer().fit_transform(folds) if respell else folds
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="predictions of model A (real_data.py --save-predictions)")
    parser.add_argument("b", help="predictions of model B, on the same data and folds")
    parser.add_argument(
        "--respell",
        action="store_true",
        help="spell the chords of both files as ChordNormalizer does (to compare a model of "
        "the 12 keys with one of the raw chords)",
    )
    args = parser.parse_args()
    a, b = _load(args.a, args.respell), _load(args.b, args.respell)
    if a["folds"] != b["folds"] or a["targets"] != b["targets"]:
        sys.exit(
            "The two files do not hold the same folds of the same data: run both models "
            "on the same data with the same --folds and --only. If one model respells "
            "chords (12 keys) and the other does not, pass --respell."
        )
    print(f"{a['data']}: A = {a['model']}, B = {b['model']}\n")
    print("| fold | A | B | A - B |\n|---|---|---|---|")
    differences = []
    rows = zip(a["folds"], a["targets"], a["predicted"], b["predicted"], strict=True)
    for fold, truth, pa, pb in rows:
        acc_a, acc_b = next_state_accuracy(truth, pa), next_state_accuracy(truth, pb)
        differences.append(acc_a - acc_b)
        print(f"| {fold} | {acc_a:.3f} | {acc_b:.3f} | {acc_a - acc_b:+.3f} |")
    spread = f" ± {np.std(differences, ddof=1):.3f}" if len(differences) > 1 else ""
    above = sum(d > 0 for d in differences)
    print(
        f"\nA - B: {np.mean(differences):+.3f}{spread} over folds; A above on {above} of "
        f"{len(differences)}"
    )
    pooled = paired_accuracy_test(
        sum(a["targets"], []), sum(a["predicted"], []), sum(b["predicted"], [])
    )
    print(
        f"pooled contexts: only A right {pooled.only_a}, only B right {pooled.only_b}, "
        f"exact McNemar p = {pooled.pvalue:.3g}"
    )


if __name__ == "__main__":
    main()
