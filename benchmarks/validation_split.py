"""Does the validation split look like new data? Helpdesk, on training cases only by default.

A process log repeats its main paths: on Helpdesk's training cases, one path is 964 of 1,690
cases. The validation split of early stopping and of the hybrid's mixture
(:func:`~sklearn_seqlab.splitting.holdout_split`) holds out a share of each common path's
copies, as new data repeat them; it once held out only rare paths. This script measures:

1. how Kneser-Ney, with and without a cache, scores on the split's validation prefixes (every
   prefix of each held-out case, as the hybrid scores them), beside how it scores on new
   cases, the scored prefixes of Tax's protocol;
2. with ``--seeds N``, what ``HybridClassifier()`` and ``NextStateClassifier()`` with their
   defaults score for ``random_state`` 0 to N-1, beside the default count model, and how
   many epochs the network trained (early stopping's patience included). ``--min-gain-se 0 2``
   fits the hybrid with each rule for keeping its mixture (the same networks for one seed),
   ``--no-network`` skips the network alone, and ``--by-case`` fits every model with each
   case a group of its own (``fit(X, groups=...)``): validation on random cases.

``--phrases FILE`` (``mcgill_phrases.tsv``'s columns: song_id, phrase) asks the same of
phrases grouped by song: on the training songs of outer folds ``--folds`` of
``GroupKFold(7)`` by song (``real_data.py``'s split), the split's validation phrases and a
tenth of the training songs held out whole (the split of ``fit(X, groups=...)``) are scored
beside the test songs, every next state of each phrase. Only part 1 runs there.

``--protocol inner`` (the default) applies Tax's protocol to Helpdesk's training cases alone,
as ``ablation.py --helpdesk`` does: their first 2/3 fitted, the prefixes of their last third
scored. ``--protocol outer`` is Tax's protocol itself (``real_data.py``). ``--helpdesk`` also
takes another log in Helpdesk's columns, such as Tax et al.'s BPI logs.

Usage::

    python benchmarks/validation_split.py --helpdesk ../shared/data/helpdesk.csv \\
        [--protocol inner|outer] [--seeds 10] [--min-gain-se 0 2] [--no-network] [--by-case]
    python benchmarks/validation_split.py --phrases ../shared/data/mcgill_phrases.tsv \
        [--folds 0 1 2]
"""

import argparse

import numpy as np
import torch
from real_data import helpdesk_cases, tax_split
from sklearn.model_selection import GroupKFold

from sklearn_seqlab import (
    HybridClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.data import read_table
from sklearn_seqlab.metrics import next_state_accuracy, next_state_log_loss
from sklearn_seqlab.splitting import check_groups, holdout_split

COUNT_MODELS = {
    "KN order 3": {"max_order": 3},
    "KN order 3 + cache 0.3": {"max_order": 3, "cache_weight": 0.3},
    "KN order 2 + cache 0.3": {"max_order": 2, "cache_weight": 0.3},
}


def _scores(fit, contexts, targets):
    """Accuracy and mean log-likelihood of each count model of ``COUNT_MODELS``."""
    cells = []
    for params in COUNT_MODELS.values():
        model = VariableOrderMarkovClassifier(**params).fit(fit)
        proba = model.predict_proba(contexts)
        accuracy = next_state_accuracy(targets, model.classes_[proba.argmax(axis=1)])
        loss = next_state_log_loss(
            targets, proba, model.classes_, unknown_proba=model.unknown_proba_
        )
        cells.append(f"{accuracy:.3f} / {-loss:.3f}")
    return cells


def _next_states(sequences):
    """Every prefix of each sequence with the state that follows it."""
    contexts = [seq[:k] for seq in sequences for k in range(1, len(seq))]
    return contexts, [seq[k] for seq in sequences for k in range(1, len(seq))]


def split_table(train, contexts, targets, salts=(1, 2, 3), groups=None):
    """Markdown rows: the count models on the validation prefixes of the split with each
    salt, on those of a tenth of the ``groups`` (one per training sequence) held out whole
    when given, and on new cases."""
    encoded = StateEncoder().fit_transform(train)
    last = np.array([codes[-1] for codes in encoded.codes])
    heads = encoded.with_codes([codes[:-1] for codes in encoded.codes])
    lines = [
        "| validation data | salt | prefixes | "
        + " | ".join(f"{name}: accuracy / log-likelihood" for name in COUNT_MODELS)
        + " |",
        "|---|---|---|" + "---|" * len(COUNT_MODELS),
    ]
    splits = [
        ("the validation split", salt, holdout_split(heads, last, 0.1, salt)) for salt in salts
    ]
    if groups is not None:  # the split of fit(X, groups=...)
        groups = check_groups(groups, len(train))
        splits += [
            ("whole groups", salt, holdout_split(heads, last, 0.1, salt, groups)) for salt in salts
        ]
    for name, salt, (fit_rows, valid_rows) in splits:
        valid_contexts, valid_targets = _next_states([train[i] for i in valid_rows])
        cells = _scores([train[i] for i in fit_rows], valid_contexts, valid_targets)
        row = f"| {name} | {salt} | {len(valid_contexts)} | " + " | ".join(cells)
        lines.append(row + " |")
    cells = _scores(train, contexts, targets)
    lines.append(f"| new cases | | {len(contexts)} | " + " | ".join(cells) + " |")
    return lines


def seed_table(train, contexts, targets, n_seeds, gains=(2.0,), network=True, by_case=False):
    """Markdown rows: the default hybrid (with each ``min_gain_se`` of ``gains``) and the
    default network for each seed, and a summary.

    The hybrids of one seed train the same networks on the same split, so they differ only
    in the rule that keeps or drops the mixture. With ``by_case``, every model is fitted with
    each case as a group of its own: a validation split of random cases, not by content.
    """
    groups = {"groups": np.arange(len(train))} if by_case else {}
    count = VariableOrderMarkovClassifier().fit(train)
    kn = next_state_accuracy(targets, count.predict(contexts))
    labels = [f"`HybridClassifier(min_gain_se={gain:g})`" for gain in gains]
    header = "| seed | " + " | ".join(
        f"{label}: accuracy, weight, order, cache" for label in labels
    )
    header += " | `NextStateClassifier()` | its epochs |" if network else " |"
    lines = [
        f"Default count model (`VariableOrderMarkovClassifier()`): {kn:.4f}",
        "",
        header,
        "|---|" + "---|" * (len(gains) + 2 * network),
    ]
    scores = {label: [] for label in labels + ["network"] * network}
    for seed in range(n_seeds):
        cells = []
        for gain, label in zip(gains, labels, strict=True):
            hybrid = HybridClassifier(min_gain_se=gain, random_state=seed).fit(train, **groups)
            scores[label].append(next_state_accuracy(targets, hybrid.predict(contexts)))
            chosen = hybrid.count_model_
            cells.append(
                f"{scores[label][-1]:.4f}, {hybrid.network_weight_:.2f}, {chosen.max_order}, "
                f"{chosen.cache_weight}"
            )
        if network:
            model = NextStateClassifier(random_state=seed).fit(train, **groups)
            scores["network"].append(next_state_accuracy(targets, model.predict(contexts)))
            cells += [f"{scores['network'][-1]:.4f}", str(len(model.history_))]
        row = f"| {seed} | " + " | ".join(cells) + " |"
        lines.append(row)
        print(row, flush=True)
    for label, values in scores.items():
        values = np.asarray(values)
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        below = values < kn - 1e-12
        lines.append(
            f"\n{label}: mean {values.mean():.4f} ± {spread:.4f}, median "
            f"{np.median(values):.4f}, minus the count model {values.mean() - kn:+.4f}, below "
            f"it for {int(below.sum())} of {len(values)} seeds"
        )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--helpdesk", help="path to helpdesk.csv")
    data.add_argument("--phrases", help="path to mcgill_phrases.tsv, or a file of its columns")
    parser.add_argument(
        "--folds", type=int, nargs="+", default=[0, 1, 2], help="outer folds (--phrases)"
    )
    parser.add_argument("--protocol", choices=["inner", "outer"], default="inner")
    parser.add_argument("--seeds", type=int, default=0, help="seeds of the default models")
    parser.add_argument(
        "--min-gain-se",
        type=float,
        nargs="+",
        default=[2.0],
        help="the hybrid's min_gain_se values compared, seed by seed",
    )
    parser.add_argument("--no-network", action="store_true", help="skip the network alone")
    parser.add_argument(
        "--by-case",
        action="store_true",
        help="--seeds: fit with each case a group of its own (fit(X, groups=...)): validation "
        "on random cases instead of the split by content",
    )
    args = parser.parse_args()
    if any(not 0 <= fold < 7 for fold in args.folds):
        parser.error(f"--folds must lie in 0-6 (7 folds by song), got {args.folds}")
    torch.set_num_threads(1)
    if args.phrases:
        phrases, songs = read_table({"path": args.phrases, "phrase": "phrase", "group": "song_id"})
        folds = list(GroupKFold(7).split(phrases, groups=songs))
        for fold in args.folds:
            train_rows, test_rows = folds[fold]
            train_rows = [i for i in train_rows if len(phrases[i]) >= 2]
            train = [phrases[i] for i in train_rows]
            contexts, targets = _next_states([phrases[i] for i in test_rows])
            groups = [songs[i] for i in train_rows]
            print(f"\nfold {fold} (new cases: the test songs)\n", flush=True)
            print("\n".join(split_table(train, contexts, targets, groups=groups)), flush=True)
        return
    cases = helpdesk_cases(args.helpdesk)
    if args.protocol == "inner":
        cases = cases[: int(round(len(cases) * 2 / 3))]
    train, contexts, targets = tax_split(cases)
    lines = split_table(train, contexts, targets)
    print("\n".join(lines), flush=True)
    if args.seeds:
        network = not args.no_network
        rows = seed_table(
            train, contexts, targets, args.seeds, args.min_gain_se, network, args.by_case
        )
        print("\n".join(rows))


if __name__ == "__main__":
    main()
