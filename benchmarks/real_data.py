"""Next-state accuracy on real data, under protocols that do not leak, beside published figures.

Protocols (see ``../shared/data/README.md``):

- **McGill, SeqLab's protocol** (``mcgill_seqlab.txt``): duplicate phrases removed, 7-fold
  ``KFold(shuffle=True, random_state=42)`` over phrases; each test phrase's last chord is
  predicted from the rest; phrases whose context has length <= 1 are not scored.
- **McGill, grouped by song** (``mcgill_phrases.tsv``, optional): ``GroupKFold(7)`` over
  ``song_id``, so no song has phrases on both sides; the same scoring.
- **Helpdesk, Tax et al.'s protocol** (``helpdesk.csv``): cases in file order, the first 2/3
  train, the last 1/3 test; every test prefix of length >= 2 that has a following event is
  scored on that event.

Unlike SeqLab, no test data takes part in model choice: hyper-parameters are fixed below,
before looking at any test fold, and the neural models stop early on a validation split of
the training sequences only.

Usage::

    python benchmarks/real_data.py --mcgill ../shared/data/mcgill_seqlab.txt \\
        --helpdesk ../shared/data/helpdesk.csv [--phrases ../shared/data/mcgill_phrases.tsv] \\
        [--models markov vomm lstm attention] [--folds 7] [--out results.md]
"""

import argparse
import time
from pathlib import Path

import pandas as pd
import torch
from sklearn.model_selection import GroupKFold, KFold

from sklearn_seqlab import MarkovClassifier, NextStateClassifier, VariableOrderMarkovClassifier
from sklearn_seqlab.metrics import next_state_accuracy, perplexity, top_k_accuracy

# Fixed a priori for small vocabularies and short sequences; not tuned on any test fold.
NEURAL = dict(
    embedding_dim=64,
    hidden_dim=256,
    dropout=0.3,
    lr=3e-3,
    batch_size=64,
    max_epochs=40,
    patience=4,
    validation_fraction=0.1,
    random_state=0,
)

MODELS = {
    "markov": lambda: MarkovClassifier(alpha=1.0),
    "vomm": lambda: VariableOrderMarkovClassifier(max_order=3),
    "lstm": lambda: NextStateClassifier("lstm", **NEURAL),
    "attention": lambda: NextStateClassifier("attention", **NEURAL),
}
LABELS = {
    "markov": "Markov (order 1)",
    "vomm": "variable-order Markov (KN, order 3)",
    "lstm": "NextStateClassifier lstm",
    "attention": "NextStateClassifier attention",
}

# Published next-state accuracies (shared/data/README.md). SeqLab's used the test fold for
# early stopping and trial choice, so they are optimistic.
PUBLISHED = {
    "mcgill": {"markov": 0.140, "vomm": 0.277, "lstm": 0.191, "attention": 0.329},
    "helpdesk": {"lstm": 0.7123},
}


def mcgill_splits(path, n_folds):
    """SeqLab's protocol on the deduplicated phrases."""
    lines = Path(path).read_text().splitlines()
    phrases = [line.split() for line in dict.fromkeys(lines) if line.strip()]
    folds = KFold(n_folds, shuffle=True, random_state=42).split(phrases)
    for train, test in folds:
        yield _last_state_split([phrases[i] for i in train], [phrases[i] for i in test])


def grouped_splits(path, n_folds):
    """Phrases split by song, so that no song is on both sides."""
    table = pd.read_csv(path, sep="\t", dtype=str)
    phrases = table["phrase"].str.split().tolist()
    folds = GroupKFold(n_folds).split(phrases, groups=table["song_id"])
    for train, test in folds:
        yield _last_state_split([phrases[i] for i in train], [phrases[i] for i in test])


def _last_state_split(train, test):
    train = [p for p in train if len(p) >= 2]  # a phrase of one chord has no next chord
    test = [p for p in test if len(p) > 2]  # contexts of length <= 1 are not scored
    return train, [p[:-1] for p in test], [p[-1] for p in test]


def helpdesk_splits(path):
    """Tax et al.'s protocol: every test prefix of length >= 2 with a following event."""
    log = pd.read_csv(path)
    cases = [g["ActivityID"].tolist() for _, g in log.groupby("CaseID", sort=False)]
    cut = int(round(len(cases) * 2 / 3))
    train, test = cases[:cut], cases[cut:]
    contexts, targets = [], []
    for case in test:
        for k in range(2, len(case)):
            contexts.append(case[:k])
            targets.append(case[k])
    yield [c for c in train if len(c) >= 2], contexts, targets


def evaluate(make_model, splits):
    """Fit and score on each split; return per-split metrics."""
    rows = []
    for train, contexts, targets in splits:
        model = make_model()
        start = time.perf_counter()
        model.fit(train)
        fit_seconds = time.perf_counter() - start
        proba = model.predict_proba(contexts)
        classes = model.classes_
        rows.append(
            {
                "accuracy": next_state_accuracy(targets, classes[proba.argmax(axis=1)]),
                "top3": top_k_accuracy(targets, proba, classes, k=3),
                "perplexity": perplexity(
                    targets, proba, classes, unknown_proba=model.unknown_proba_
                ),
                "fit_s": fit_seconds,
                "epochs": len(model.history_) if hasattr(model, "history_") else None,
            }
        )
    return pd.DataFrame(rows)


def _cell(values, digits=3):
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcgill", help="path to mcgill_seqlab.txt")
    parser.add_argument("--phrases", help="path to mcgill_phrases.tsv (grouped by song)")
    parser.add_argument("--helpdesk", help="path to helpdesk.csv")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--folds", type=int, default=7, help="number of folds (7 as SeqLab)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    datasets = []
    if args.mcgill:
        datasets.append(("McGill, SeqLab protocol", "mcgill", mcgill_splits, args.mcgill))
    if args.phrases:
        datasets.append(("McGill, grouped by song", None, grouped_splits, args.phrases))
    if args.helpdesk:
        datasets.append(("Helpdesk, Tax protocol", "helpdesk", None, args.helpdesk))
    if not datasets:
        parser.error("give at least one of --mcgill, --phrases, --helpdesk")

    lines = [
        "| data | model | accuracy | top-3 | perplexity | fit s | epochs | published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for title, anchor, make_splits, path in datasets:
        for name in args.models:
            splits = helpdesk_splits(path) if make_splits is None else make_splits(path, args.folds)
            table = evaluate(MODELS[name], splits)
            published = PUBLISHED.get(anchor, {}).get(name)
            epochs = "" if table["epochs"].isna().all() else f"{table['epochs'].median():.0f}"
            row = (
                f"| {title} | {LABELS[name]} | {_cell(table['accuracy'])} | "
                f"{_cell(table['top3'])} | {_cell(table['perplexity'], 1)} | "
                f"{table['fit_s'].median():.1f} | {epochs} | "
                f"{'' if published is None else f'{published:.3f}'} |"
            )
            lines.append(row)
            print(row, flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
