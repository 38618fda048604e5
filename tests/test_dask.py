"""A scikit-learn search over our estimators runs on a Dask cluster and gives n_jobs=1's results."""

import joblib
import numpy as np
import torch
from distributed import Client, LocalCluster, get_task_stream
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.metrics import accuracy_scorer, make_mrr_scorer

X = make_markov_sequences(80, n_states=5, order=2, min_length=3, max_length=8, random_state=0)


def _search(n_jobs):
    pipe = Pipeline(
        [
            ("enc", StateEncoder()),
            (
                "clf",
                NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0),
            ),
        ]
    )
    return GridSearchCV(
        pipe,
        {"clf__module": ["lstm", "attention"]},
        cv=KFold(2, shuffle=True, random_state=0),
        # scorers must come from an importable module: the workers unpickle them
        scoring={"accuracy": accuracy_scorer, "mrr": make_mrr_scorer(3)},
        refit="mrr",
        n_jobs=n_jobs,
    )


def test_grid_search_on_a_local_cluster_matches_n_jobs_1():
    # the workers run torch on one thread each (Dask's nanny sets OMP_NUM_THREADS=1);
    # the reference does too, so both sum in the same order
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        reference = _search(n_jobs=1).fit(X)
    finally:
        torch.set_num_threads(threads)

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        with get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            distributed = _search(n_jobs=-1).fit(X)
    # the fits ran as tasks in the two worker processes, not here
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2

    for key in ("params", "split0_test_accuracy", "split1_test_mrr", "mean_test_mrr"):
        assert list(distributed.cv_results_[key]) == list(reference.cv_results_[key])
    assert distributed.best_params_ == reference.best_params_
    np.testing.assert_array_equal(
        distributed.predict_proba(X[:20]), reference.predict_proba(X[:20])
    )
