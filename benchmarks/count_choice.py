"""The hybrid's choice of its count model, alone: how accurate, and how steady over seeds.

``HybridClassifier`` chooses its default count model on folds of the training sequences
(``_mixture_choice._cross_validated_count``) before it learns the networks' weight. This
script makes that choice without training any network, for each ``random_state`` of
``--seeds`` on every outer split of ``real_data.py``'s protocols, fits the count model kept
on the whole training side and scores it on the test side. It prints, per data set, the mean
accuracy over splits and seeds, and how many distinct count models the seeds chose per split:
1 means the same choice whatever the seed, a measure on training data alone of how much the
choice depends on its folds. ``--count-splits`` sets the number of folds (default: the
package's ``COUNT_SPLITS``).

``--keys`` fits in 12 keys as ``real_data.py``'s augmented configs do (spellings merged, the
training sequences also transposed) and scores in the spelling the model predicts.
``--by-order`` also prints, for each order the hybrid tries, its most often right setting on
the folds, how many of the folds' next states it got right, and that setting's test
accuracy, fitted on the whole training side: whether the folds rank the orders as the test
side does.

Usage::

    python benchmarks/count_choice.py --seqlab-csv ../shared/data/seqlab_mcgill.csv \\
        --helpdesk ../shared/data/helpdesk.csv [--mcgill ../shared/data/mcgill_seqlab.txt] \\
        [--phrases corpora/pop_phrases.tsv] [--seeds 0 1 2 3 4] [--count-splits 5]
    python benchmarks/count_choice.py --mcgill ../shared/data/mcgill_seqlab.txt --keys \\
        --by-order --seeds 0
"""

import argparse
import sys

import numpy as np
from real_data import augmented, named_splits, spelled_as_predicted
from sklearn.base import clone
from sklearn.utils import check_random_state

from sklearn_seqlab import HybridClassifier
from sklearn_seqlab import _mixture_choice as choice
from sklearn_seqlab.encoded import N_RESERVED


class CountChoice(HybridClassifier):
    """A hybrid that makes its count model's choice on folds and nothing else: no network,
    no validation split; it predicts with the count model kept."""

    def _fit_components(self, contexts, targets, encoded, y, groups):
        # the salt the hybrid's fit draws first, so that a seed makes the same folds
        rng = check_random_state(self.random_state)
        target_codes = targets + N_RESERVED if y is None else targets
        salt = int(rng.randint(np.iinfo(np.int32).max))

        def rows_of(rows):
            return encoded[rows], None if y is None else y[rows]

        chosen = self._cross_validated_count(contexts, targets, target_codes, rows_of, salt, groups)
        if chosen is None:
            raise SystemExit("the data are above CROSS_VALIDATION_CELLS: the hybrid has no folds")
        self.fit_data_ = rows_of(np.arange(len(contexts)))
        self.count_model_ = clone(chosen).fit(*self.fit_data_)
        self.networks_, self.network_weight_ = [], 0.0

    def _pooled_scores(self, candidates, parts, grid):
        # kept for --by-order: every setting tried and its hits on the folds of the choice
        self.pooled_ = super()._pooled_scores(candidates, parts, grid)
        return self.pooled_

    def _predict_proba(self, contexts):
        return self._aligned(self.count_model_, contexts)


def best_of_each_order(model):
    """For each order of the fitted ``CountChoice`` ``model``'s candidates: its most often
    right setting on the folds of its choice, as a pair of how many next states that setting
    got right there and the setting (unfitted)."""
    _, _, hits, _, settings = model.pooled_
    best = {}
    for setting, hit in zip(settings, hits, strict=True):
        right = int(hit.sum())
        if setting.max_order not in best or right > best[setting.max_order][0]:
            best[setting.max_order] = (right, setting)
    return best


def choose(splits, seeds, keys=False, by_order=False):
    """Per split and seed, the test accuracy and the count model's settings (and, with
    ``by_order``, each order's best setting on the folds and its test accuracy)."""
    rows = []
    for split, (train, contexts, targets, *_) in enumerate(splits):
        for seed in seeds:
            model = CountChoice(random_state=seed)
            pipe = augmented(model) if keys else model
            pipe.fit(train)
            truth = np.asarray(spelled_as_predicted(pipe, targets), dtype=object)
            accuracy = float(np.mean(pipe.predict(contexts) == truth))
            params = model.count_model_.get_params()
            setting = tuple(
                params[name]
                for name in ("max_order", "cache_weight", "cache_order", "repetition_weight")
            )
            rows.append((split, seed, accuracy, setting))
            print(f"  split {split}, seed {seed}: {accuracy:.4f} {setting}", file=sys.stderr)
            if by_order:
                # the count models are fitted on the hybrid's encoded sequences
                encoder = pipe[:-1] if keys else model.encoder_
                encoded = encoder.transform(contexts)
                best = best_of_each_order(model)
                for order, (right, best_setting) in sorted(best.items()):
                    fitted = clone(best_setting).fit(*model.fit_data_)
                    test = float(np.mean(fitted.predict(encoded) == truth))
                    print(f"| {split} | {seed} | {order} | {right} | {test:.4f} |", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcgill", help="mcgill_seqlab.txt: SeqLab's protocol")
    parser.add_argument("--seqlab-csv", help="one of SeqLab's CSVs: its sections, **harte")
    parser.add_argument("--phrases", help="phrases by song (mcgill_phrases.tsv's columns)")
    parser.add_argument("--helpdesk", help="helpdesk.csv, or a log with its columns")
    parser.add_argument("--folds", type=int, default=7, help="outer folds (7 as SeqLab)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--count-splits", type=int, help="folds of the count model's choice")
    parser.add_argument("--keys", action="store_true", help="fit in 12 keys (chord data)")
    parser.add_argument(
        "--by-order", action="store_true", help="each order's best setting, on folds and test"
    )
    args = parser.parse_args()
    if args.count_splits is not None:
        if args.count_splits < 2:
            parser.error("--count-splits must be at least 2")
        choice.COUNT_SPLITS = args.count_splits
    phrases, logs = [args.phrases] if args.phrases else [], [args.helpdesk] if args.helpdesk else []
    datasets = named_splits(args.mcgill, args.seqlab_csv, phrases, logs, args.folds)
    if not datasets:
        parser.error("give at least one of --mcgill, --seqlab-csv, --phrases, --helpdesk")
    print(f"{choice.COUNT_SPLITS} folds, seeds {args.seeds}\n")
    for title, splits in datasets:
        if args.by_order:
            print(f"{title}\n\n| split | seed | order | right on the folds | test accuracy |")
            print("|---|---|---|---|---|")
        rows = choose(splits, args.seeds, args.keys, args.by_order)
        if args.by_order:
            print()
        print("| data | accuracy | distinct count models per split |")
        print("|---|---|---|")
        accuracy = np.mean([row[2] for row in rows])
        per_split = {}
        for split, _, _, setting in rows:
            per_split.setdefault(split, set()).add(setting)
        distinct = np.mean([len(settings) for settings in per_split.values()])
        print(f"| {title} | {accuracy:.4f} | {distinct:.2f} |", flush=True)


if __name__ == "__main__":
    main()
