"""The report of a run: ``results.csv`` written as the folds finish, ``summary.md``, plots.

The runner scores with :data:`~sklearn_seqlab.metrics.SCORERS`, which are greater-is-better;
the report shows each metric as itself (:func:`displayed`): log-loss and perplexity are the
negated scores, turned back, so that their columns keep their usual meaning.
"""

import csv
import os

import numpy as np
import pandas as pd

from ..inspection import plot_best_attention
from ..metrics import SCORERS

METRICS = [name.removeprefix("neg_") for name in SCORERS]
"""The metrics of the report, in the order of :data:`~sklearn_seqlab.metrics.SCORERS`."""

TITLES = {
    "accuracy": "accuracy",
    "top_3_accuracy": "top-3 accuracy",
    "log_loss": "log-loss",
    "perplexity": "perplexity",
}
"""How ``summary.md`` heads the column of each metric."""

RESULT_COLUMNS = ["experiment", "dataset", "model", "fold", "params", *METRICS, "fit_seconds"]
"""The columns of ``results.csv``: one row per experiment, data set, model and outer fold."""


def displayed(scores):
    """Scores by :data:`~sklearn_seqlab.metrics.SCORERS` name, as the report shows them.

    A ``neg_`` score is the negated metric: it is shown under the metric's own name with its
    sign flipped back (``neg_log_loss`` -0.9 is ``log_loss`` 0.9). Others are kept.
    """
    return {
        name.removeprefix("neg_"): -value if name.startswith("neg_") else value
        for name, value in scores.items()
    }


def write_report(results, curves, finals, output):
    """Write ``summary.md``, ``accuracy.png``, ``learning_curves.png`` and ``attention.png``.

    Parameters
    ----------
    results : pandas.DataFrame
        The rows of ``results.csv``, in the order of the config.
    curves : list of (model, fold, skorch History)
        The training history of each fitted neural model.
    finals : list of (experiment, dataset, model, fitted model, X)
        The final models, for the attention plot
        (:func:`~sklearn_seqlab.inspection.plot_best_attention`).
    output : pathlib.Path
        The report's directory.
    """
    (output / "summary.md").write_text(summarize(results))
    plot_results(results, curves, output)
    plot_best_attention(finals, results, output / "attention.png")


class ResultsFile:
    """``results.csv``, written one row at a time and flushed, so that a killed run keeps
    every row it finished. Rows kept from an earlier run (``done``) stay first."""

    def __init__(self, path, done):
        self.path, self.rows = path, list(done.values())

    def __enter__(self):
        # the kept rows go to a new file that replaces the old one whole: a run killed
        # right now still finds them
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with open(temporary, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, RESULT_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        self.file = open(self.path, "a", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.file, RESULT_COLUMNS, extrasaction="ignore")
        return self

    def write(self, row):
        self.writer.writerow(row)
        self._flush()
        self.rows.append(row)

    def _flush(self):
        self.file.flush()
        os.fsync(self.file.fileno())

    def __exit__(self, *exc):
        self.file.close()

    def ordered(self):
        """Every row, read back from the file, sorted as the config orders them."""
        text = dict.fromkeys(["experiment", "dataset", "model", "params"], str)
        results = pd.read_csv(self.path, keep_default_na=False, dtype=text)
        position = {}
        for i, row in enumerate(self.rows):
            position.setdefault((row["experiment"], row["dataset"], row["model"]), i)
        order = sorted(
            range(len(results)),
            key=lambda i: (
                position[
                    tuple(str(results.iloc[i][c]) for c in ("experiment", "dataset", "model"))
                ],
                int(results.iloc[i]["fold"]),
            ),
        )
        return results.iloc[order].reset_index(drop=True)


def rows_done(output, config_text):
    """The rows of an earlier run of this config in ``output``, by (experiment, data set,
    model, fold)."""
    path = output / "results.csv"
    if not path.exists():
        return {}
    previous = output / "config.json"
    if previous.exists() and previous.read_text() != config_text:
        raise ValueError(
            f"Cannot resume: {str(output)!r} holds the results of another config; use "
            "another output directory, or run without --resume to replace them."
        )
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return {(r["experiment"], r["dataset"], r["model"], int(r["fold"])): r for r in rows}


def summarize(results):
    """Markdown: mean and spread of each metric per data set and model, best first."""
    lines = []
    for (experiment, dataset), table in results.groupby(["experiment", "dataset"], sort=False):
        stats = table.groupby("model", sort=False)[METRICS].agg(["mean", "std"])
        stats = stats.sort_values(("accuracy", "mean"), ascending=False)
        lines += [
            f"## {experiment}: {dataset}",
            "",
            "| model | " + " | ".join(TITLES[m] for m in METRICS) + " |",
            "|---" * (len(METRICS) + 1) + "|",
        ]
        for model, row in stats.iterrows():
            cells = [f"{row[(m, 'mean')]:.3f} ± {row[(m, 'std')]:.3f}" for m in METRICS]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Mean ± standard deviation over the outer folds; models chosen on inner folds.")
    return "\n".join(lines) + "\n"


def plot_results(results, curves, output):
    """``accuracy.png``, the accuracy of each fold and model; ``learning_curves.png``, the
    losses of each neural fit, when there are any."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{d}\n{m}" for (d, m), _ in results.groupby(["dataset", "model"], sort=False)]
    for i, (_, table) in enumerate(results.groupby(["dataset", "model"], sort=False)):
        acc = table["accuracy"].to_numpy()
        ax.errorbar(i, acc.mean(), yerr=acc.std(), fmt="o", capsize=4, color="C0")
        ax.scatter(np.full(len(acc), i + 0.15), acc, s=10, color="C1")
    ax.set_xticks(range(len(labels)), [label.split("\n")[-1] for label in labels], rotation=20)
    ax.set_ylabel("next-state accuracy (outer folds)")
    fig.tight_layout()
    fig.savefig(output / "accuracy.png", dpi=120)
    plt.close(fig)

    if curves:
        fig, ax = plt.subplots(figsize=(7, 4))
        models = sorted({model for model, _, _ in curves})
        for model, fold, history in curves:
            color = f"C{models.index(model)}"
            label = model if fold == 0 else None  # one legend entry per model
            ax.plot(history[:, "train_loss"], color=color, alpha=0.6, label=label)
            if "valid_loss" in history[0]:
                ax.plot(history[:, "valid_loss"], color=color, linestyle="--", alpha=0.6)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (solid: training, dashed: validation)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(output / "learning_curves.png", dpi=120)
        plt.close(fig)
