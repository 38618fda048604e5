"""Running searches on a Dask cluster: joblib's ``"dask"`` backend, set up in one place.

scikit-learn's searches and cross-validation parallelise through joblib, so inside
:func:`dask_backend` their ``n_jobs=-1`` work runs as tasks on the cluster's workers. Each
worker should run one task at a time with one torch thread (Dask's nanny sets
``OMP_NUM_THREADS=1`` in the workers it starts); see the user guide for starting workers on
several machines and on GPUs.
"""

import contextlib


@contextlib.contextmanager
def dask_backend(address="local", *, n_workers=None):
    """Make joblib run parallel work on a Dask cluster, inside a ``with`` block.

    Parameters
    ----------
    address : str, default="local"
        ``"local"`` starts a ``LocalCluster`` of worker processes with one thread each, for
        the block's duration; anything else is the address of a running scheduler (started
        with ``dask scheduler``), such as ``"tcp://10.0.0.5:8786"``.
    n_workers : int, default=None
        Worker processes of a local cluster; None lets Dask choose (one per core). Ignored
        with a scheduler address.

    Yields
    ------
    client : distributed.Client
        The client connected to the cluster.

    Raises
    ------
    ImportError
        Without the optional packages ``dask`` and ``distributed``
        (``pip install "sklearn-seqlab[dask]"``).

    Examples
    --------
    A search whose candidates run on a local cluster of two worker processes::

        from sklearn.model_selection import GridSearchCV
        from sklearn_seqlab import MarkovClassifier
        from sklearn_seqlab.experiments import dask_backend

        search = GridSearchCV(MarkovClassifier(), {"alpha": [0.1, 1.0]}, n_jobs=-1)
        with dask_backend("local", n_workers=2):
            search.fit(X)
    """
    try:
        import joblib
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(
            "Running on Dask needs the optional packages dask and distributed: "
            'pip install "sklearn-seqlab[dask]".'
        ) from exc
    with contextlib.ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(address))
        stack.enter_context(joblib.parallel_config(backend="dask"))
        yield client
