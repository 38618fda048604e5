"""The report of a run: metrics shown as themselves, the summary's table, results.csv's columns."""

import pandas as pd

from sklearn_seqlab.metrics import SCORERS
from sklearn_seqlab.report import METRICS, RESULT_COLUMNS, displayed, summarize


def test_the_report_shows_the_scorers_metrics_with_losses_as_losses():
    scores = {
        "accuracy": 0.5,
        "top_3_accuracy": 0.75,
        "neg_log_loss": -1.25,
        "neg_perplexity": -3.5,
    }
    assert displayed(scores) == {
        "accuracy": 0.5,
        "top_3_accuracy": 0.75,
        "log_loss": 1.25,
        "perplexity": 3.5,
    }
    assert list(displayed(dict.fromkeys(SCORERS, 1.0))) == METRICS


def test_results_csv_keeps_its_columns():
    assert RESULT_COLUMNS == [
        "experiment",
        "dataset",
        "model",
        "fold",
        "params",
        "accuracy",
        "top_3_accuracy",
        "log_loss",
        "perplexity",
        "fit_seconds",
    ]


def test_summary_table_is_best_first_with_mean_and_spread():
    rows = [
        {
            "experiment": "e",
            "dataset": "d.txt",
            "model": model,
            "fold": fold,
            "accuracy": acc,
            "top_3_accuracy": 0.9,
            "log_loss": 1.0,
            "perplexity": 2.0 + fold,
        }
        for model, acc in (("MarkovModel", 0.2), ("LSTMModel", 0.4))
        for fold in (0, 1)
    ]
    text = summarize(pd.DataFrame(rows))
    assert text.splitlines()[:6] == [
        "## e: d.txt",
        "",
        "| model | accuracy | top-3 accuracy | log-loss | perplexity |",
        "|---|---|---|---|---|",
        "| LSTMModel | 0.400 ± 0.000 | 0.900 ± 0.000 | 1.000 ± 0.000 | 2.500 ± 0.707 |",
        "| MarkovModel | 0.200 ± 0.000 | 0.900 ± 0.000 | 1.000 ± 0.000 | 2.500 ± 0.707 |",
    ]
    assert text.endswith("models chosen on inner folds.\n")
