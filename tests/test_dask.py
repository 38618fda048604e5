"""Searches over our estimators run on a Dask cluster and give n_jobs=1's results."""

import contextlib
import json

import dask
import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from distributed import get_task_stream
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.cli import main
from sklearn_seqlab.dask_support import dask_backend
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.metrics import accuracy_scorer, make_mrr_scorer

X = make_markov_sequences(80, n_states=5, order=2, min_length=3, max_length=8, random_state=0)


@pytest.fixture(scope="module")
def client():
    """A 2-worker LocalCluster (processes, 1 thread each), joblib's backend meanwhile."""
    with dask_backend("local", n_workers=2) as client:
        yield client


@contextlib.contextmanager
def one_thread():
    """One torch thread here, like each worker (Dask's nanny sets OMP_NUM_THREADS=1 there),
    so that fits here (the reference, and the search's refit) sum in the same order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def in_this_process():
    """n_jobs=1's reference: every fit here, on one thread."""
    with one_thread(), joblib.parallel_config(backend="sequential"):
        yield


def _search(n_jobs):
    clf = NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0)
    return GridSearchCV(
        Pipeline([("enc", StateEncoder()), ("clf", clf)]),
        {"clf__module": ["lstm", "attention"]},
        cv=KFold(2, shuffle=True, random_state=0),
        # scorers must come from an importable module: the workers unpickle them
        scoring={"accuracy": accuracy_scorer, "mrr": make_mrr_scorer(3)},
        refit="mrr",
        n_jobs=n_jobs,
    )


def test_grid_search_on_a_local_cluster_matches_n_jobs_1(client):
    with in_this_process():
        reference = _search(n_jobs=1).fit(X)
    with get_task_stream(client) as stream, one_thread():
        distributed = _search(n_jobs=-1).fit(X)
    # the fits ran as tasks in the two worker processes, not here
    assert len({task["worker"] for task in stream.data}) == 2

    for key in ("params", "split0_test_accuracy", "split1_test_mrr", "mean_test_mrr"):
        assert list(distributed.cv_results_[key]) == list(reference.cv_results_[key])
    assert distributed.best_params_ == reference.best_params_
    np.testing.assert_array_equal(
        distributed.predict_proba(X[:20]), reference.predict_proba(X[:20])
    )


def test_runner_dask_option_uses_a_running_scheduler(client, tmp_path, capsys):
    data = tmp_path / "chords.txt"
    data.write_text("\n".join(" ".join(s) for s in X) + "\n")
    config = tmp_path / "config.json"
    markov = {"name": "MarkovModel", "optimization_config": {"alpha": {"values": [0.1, 1]}}}
    tiny = {"datasets": [str(data)], "kfold_splits": 2, "number_of_trials": 2, "models": [markov]}
    config.write_text(json.dumps({"experiments": {"tiny": tiny}}))
    address = client.scheduler.address
    with get_task_stream(client) as stream:
        assert (
            main(
                [
                    "run",
                    str(config),
                    "--output",
                    str(tmp_path / "dask"),
                    "--quiet",
                    "--dask",
                    address,
                ]
            )
            == 0
        )
    assert stream.data  # the candidates ran on the cluster
    with in_this_process():
        assert main(["run", str(config), "--output", str(tmp_path / "serial"), "--quiet"]) == 0
    on_dask = pd.read_csv(tmp_path / "dask" / "results.csv").drop(columns="fit_seconds")
    serial = pd.read_csv(tmp_path / "serial" / "results.csv").drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(on_dask, serial)
    assert "Report written" in capsys.readouterr().out


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    args = ["run", "--output", str(tmp_path), "--dask", "tcp://127.0.0.1:1", "--quiet"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(args)
    assert code == 2
    assert "error" in capsys.readouterr().err
