"""The experiment runner: every model of a config, tuned and cross-validated without leaks.

For each data set and model: an outer cross-validation over whole sequences (grouped when
the data has groups); on each outer training fold, an inner random search with
``number_of_trials`` candidates, cross-validated on that training fold alone; the chosen model
is refitted on the training fold (neural models stop early on a split of it) and scored on the
outer test fold. No test sequence ever takes part in choosing a model.
"""

import inspect
import json
import os
import re
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import torch
from joblib import parallel_config
from joblib.parallel import LokyBackend, get_active_backend
from sklearn import get_config
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline

from ..data.dataset_specs import BUILTIN_CHORDS, load_dataset
from ..hybrid import HybridClassifier
from ..metrics import SCORERS
from ..persistence import save_model
from .config import read_config
from .report import METRICS, ResultsFile, displayed, rows_done, write_report
from .searches import SEARCHES
from .tracking import MlflowTracker

DEFAULT_CONFIG = {
    "experiments": {
        "synthetic_chords": {
            "datasets": [BUILTIN_CHORDS],
            "kfold_splits": 3,
            "number_of_trials": 3,
            "models": [
                {"name": "MarkovModel", "optimization_config": {"alpha": {"values": [0.1, 1.0]}}},
                {
                    "name": "VariableOrderMarkovModel",
                    # the n-gram cache that every chord corpus chose (benchmarks/README.md,
                    # fifteenth round), so that three trials try both repetition weights
                    "params": {"cache_weight": 0.2, "cache_order": 3},
                    "optimization_config": {
                        "max_order": {"values": [3, 4]},
                        "repetition_weight": {"values": [0.0, 0.4]},
                    },
                },
                {
                    "name": "LSTMModel",
                    "epochs": 30,
                    "params": {"embedding_dim": 32},
                    "optimization_config": {
                        "hidden_dim": {"values": [64, 128]},
                        "lr": {"values": [3e-3, 1e-2]},
                        "dropout": {"values": [0.0, 0.3]},
                        "tie_weights": {"values": [True, False]},
                    },
                },
                {
                    "name": "LSTMModelWithAttention",
                    "epochs": 30,
                    "params": {"embedding_dim": 32},
                    "optimization_config": {
                        "hidden_dim": {"values": [64, 128]},
                        "lr": {"values": [3e-3, 1e-2]},
                    },
                },
                {
                    "name": "HybridModel",
                    "epochs": 30,
                    "params": {
                        "n_networks": 2,
                        "network__embedding_dim": 32,
                        "network__hidden_dim": 64,
                    },
                },
            ],
        }
    }
}
"""The embedded default: synthetic chord progressions, every model, a small budget."""


def run_experiments(
    config=None,
    output="seqlab_results",
    *,
    search="random",
    n_jobs=None,
    mlflow_uri=None,
    progress=print,
    resume=False,
    threads=1,
):
    """Run every experiment of a config and write the report.

    Parameters
    ----------
    config : str, path-like, dict or None, default=None
        A SeqLab config; None runs :data:`DEFAULT_CONFIG`. Every parameter value is checked
        when it is read, before any model runs.
    output : str or path-like, default="seqlab_results"
        Directory of the report, created if needed. Each (data set, model, fold) row is
        appended to ``results.csv`` as soon as it is done, so a killed run loses at most
        the fold it was in.
    search : {"random", "optuna"}, default="random"
        The inner search: scikit-learn's ``RandomizedSearchCV``, or optuna's ``OptunaSearchCV``
        (needs ``pip install optuna optuna-integration``). Either runs ``number_of_trials``
        candidates on the training folds only.
    n_jobs : int, default=None
        Parallel candidates of each inner search (joblib); results do not depend on it.
    mlflow_uri : str, default=None
        When set, every fold's parameters and metrics and the report's files are also logged
        to this MLflow tracking store (needs ``pip install mlflow-skinny``), in an experiment
        named ``sklearn_seqlab``; see :class:`~sklearn_seqlab.experiments.tracking.MlflowTracker`.
    progress : callable, default=print
        Receives one line of progress at a time; ``lambda line: None`` silences it.
    resume : bool, default=False
        Keep the rows of ``results.csv`` already in ``output`` (from a run of the same config
        that was killed) and run only the folds and final models missing. Without it, an
        earlier ``results.csv`` in ``output`` is replaced.
    threads : int or None, default=1
        Torch threads of each fit. With ``n_jobs`` other than 1, each parallel worker gets
        one thread unless ``threads`` says otherwise. One thread is the default because
        torch's threads busy-wait for each other: on a machine whose cores are busy with
        other work, two threads took 5 to 15 times the wall time and 5 to 7 times the CPU
        time of one (``benchmarks/threads.py``), while on a quiet machine they gain at most
        1.6x. None leaves torch's own setting (as many threads as cores).

    Returns
    -------
    results : pandas.DataFrame
        One row per experiment, data set, model and fold, in the order of the config. Two
        models of the same name are told apart as ``name-1``, ``name-2``, ... in every output.

    Raises
    ------
    ValueError
        If ``output`` is an existing file, ``threads`` is not a positive integer, or
        ``resume`` finds the output of another config.
    ConfigError
        If the config, or any parameter value in it, is invalid.
    """
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {sorted(SEARCHES)}, got {search!r}.")
    if threads is not None and (
        not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1
    ):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}.")
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ValueError(
            f"The output {str(output)!r} is a file; name a directory for the report "
            "(it is created if needed)."
        )
    raw = DEFAULT_CONFIG if config is None else config
    experiments = read_config(raw)
    config_text = json.dumps(raw, indent=2) if isinstance(raw, dict) else Path(raw).read_text()
    done = rows_done(output, config_text) if resume else {}
    (output / "models").mkdir(parents=True, exist_ok=True)
    (output / "config.json").write_text(config_text)

    tracker = None
    if mlflow_uri is not None:
        tracker = MlflowTracker(mlflow_uri, "sklearn_seqlab", artifact_dir=output / "mlartifacts")
    curves, file_names = [], set()
    finals = []  # (experiment, dataset, model, fitted model, X), for the attention plot
    with ExitStack() as stack:
        stack.enter_context(_torch_threads(_thread_count(threads, n_jobs)))
        results_file = stack.enter_context(ResultsFile(output / "results.csv", done))
        for experiment in experiments:
            labels = _model_labels(experiment.models)
            for dataset in experiment.datasets:
                X, groups, n_train = _load_experiment_data(experiment, dataset)
                name = _dataset_name(dataset)
                n_folds = experiment.kfold_splits if n_train is None else 1
                for spec, model_name in zip(experiment.models, labels, strict=True):
                    validation_groups = _validation_groups(
                        experiment, dataset, X, groups, spec.estimator()
                    )
                    key = (experiment.name, name, model_name)
                    label = " / ".join(key)
                    for param, reason in spec.ignored.items():
                        progress(f"{label}: SeqLab's parameter {param!r} is left out: {reason}.")
                    skip = {fold for (*k, fold) in done if tuple(k) == key}
                    for fold, model, row in _cross_validate(
                        spec,
                        experiment,
                        X,
                        groups,
                        search,
                        n_jobs,
                        skip=skip,
                        n_train=n_train,
                        validation_groups=validation_groups,
                    ):
                        row.update(experiment=experiment.name, dataset=name, model=model_name)
                        results_file.write(row)
                        if tracker is not None:
                            tracker.log_fold(row, METRICS)
                        if hasattr(model[-1], "history_"):
                            curves.append((model_name, fold, model[-1].history_))
                        progress(
                            f"{label}: fold {fold + 1}/{n_folds} accuracy "
                            f"{row['accuracy']:.3f} ({row['fit_seconds']:.1f} s)"
                        )
                    path = (
                        output
                        / "models"
                        / _unique(
                            _file_name(experiment.name, Path(name).stem, model_name), file_names
                        )
                    )
                    if not (resume and path.exists()):
                        train = slice(n_train)  # with a test_dataset, never its sequences
                        final = _fit(
                            _search(spec, experiment, search, n_jobs, groups is not None),
                            X[train],
                            None if groups is None else groups[train],
                            None if validation_groups is None else validation_groups[train],
                        )
                        final = getattr(final, "best_estimator_", final)
                        _save_atomically(final, path)
                        finals.append((experiment.name, name, model_name, final, X[train]))

    results = results_file.ordered()
    write_report(results, curves, finals, output)
    if tracker is not None:
        tracker.log_report(output)
        progress(f"Logged to MLflow at {mlflow_uri}")
    progress(f"Report written to {output / 'summary.md'}")
    return results


def _model_labels(models):
    """A name per model configuration: SeqLab's name, numbered when it occurs twice."""
    counts = Counter(spec.name for spec in models)
    seen = Counter()
    labels = []
    for spec in models:
        seen[spec.name] += 1
        labels.append(spec.name if counts[spec.name] == 1 else f"{spec.name}-{seen[spec.name]}")
    return labels


def _unique(file_name, used):
    """``file_name``, or a numbered variant when the run already used it."""
    stem, n, candidate = file_name.removesuffix(".seqlab"), 1, file_name
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}.seqlab"
    used.add(candidate)
    return candidate


def _save_atomically(model, path):
    """A model file is complete or absent: resume trusts a file that exists."""
    temporary = path.with_name(f".{path.name}.tmp")
    save_model(model, temporary)
    os.replace(temporary, path)


def _thread_count(threads, n_jobs):
    """Torch threads per fit: one per worker when searches run in parallel."""
    if threads is None and n_jobs is not None and n_jobs != 1:
        return 1
    return threads


@contextmanager
def _torch_threads(threads):
    """Run fits with ``threads`` torch threads, here and in joblib's worker processes."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with ExitStack() as stack:
            # loky starts its workers with OMP_NUM_THREADS and the like set to this; another
            # backend the caller chose (dask, say) is left alone
            if isinstance(get_active_backend()[0], LokyBackend):
                stack.enter_context(parallel_config(backend="loky", inner_max_num_threads=threads))
            yield
    finally:
        torch.set_num_threads(before)


def _load_experiment_data(experiment, dataset):
    """The sequences of a data set as the experiment reads them, with their groups, then
    those of its ``test_dataset`` if it has one; and the number of training sequences
    (None without a test set)."""

    def load(spec):
        X, groups = load_dataset(
            spec,
            experiment.target_feature,
            features=experiment.features(),
            clean_kern=experiment.clean_kern,
        )
        return experiment.prepare(list(X)), groups

    X, groups = load(dataset)
    if experiment.test_dataset is None:
        return X, groups, None
    X_test, _ = load(experiment.test_dataset)
    # test groups never split anything: the test set is one outer fold of its own
    groups = None if groups is None else list(groups) + [None] * len(X_test)
    return X + X_test, groups, len(X)


MIN_GROUPS_FOR_THE_HYBRID = 20
"""The groups a data set needs for the runner to give them to the hybrid by default: with
fewer, an inner fold of its search could leave its networks a single group to stop early on
(with 5 songs every fit failed), so the split goes by content, as before."""


def _validation_groups(experiment, dataset, X, groups, estimator):
    """The groups that ``estimator``'s own validation split holds out whole, or None (by
    content).

    ``validate_by_group`` true: the data set's ``"group"`` column. Absent:

    - for an event log, each case a group of its own (its position), so that validation
      holds out cases at random: in a log, a new case repeats the paths of earlier ones,
      which the split by content keeps off the validation side (``benchmarks/README.md``,
      twelfth round);
    - for a hybrid on a data set with ``MIN_GROUPS_FOR_THE_HYBRID`` groups or more, those
      groups: it chooses its count model and cache on new songs, as the outer folds score
      it. A song's other phrases, left in training by the split by content, stand in for
      its held-out ones and hide what the cache is for (pop phrases: 0.403 against 0.301,
      fifteenth and sixteenth rounds). A network alone stops early by content there, which
      trains it longer and scored better (twelfth round).
    """
    if experiment.validate_by_group is True:
        return groups
    if experiment.validate_by_group is False:
        return None
    if isinstance(dataset, dict) and "state" in dataset:
        return list(range(len(X)))
    if groups is None or not isinstance(estimator, HybridClassifier):
        return None
    # an inner training fold holds about 2/3 of an outer one: with few groups, holding one
    # out for the mixture, and another for early stopping, can leave the networks none
    n_groups = len({label for label in groups if label is not None})  # test rows: None
    return groups if n_groups >= MIN_GROUPS_FOR_THE_HYBRID else None


def _dataset_name(dataset):
    """How a data set is named in the report: its path."""
    return dataset["path"] if isinstance(dataset, dict) else dataset


def _file_name(*parts):
    """A portable file name: characters other than letters, digits, '-' and '.' become '_'."""
    return "__".join(re.sub(r"[^\w.-]", "_", part) for part in parts) + ".seqlab"


def _search(spec, experiment, search, n_jobs, grouped=False):
    """The inner model choice: a pipeline, searched when the model has ranges."""
    estimator = spec.estimator()
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=experiment.random_state)
    pipe = Pipeline([("enc", experiment.encoder()), ("clf", estimator)])
    if not spec.ranges:
        return pipe
    inner = (
        GroupKFold(3) if grouped else KFold(3, shuffle=True, random_state=experiment.random_state)
    )
    return SEARCHES[search](pipe, spec, experiment, inner, n_jobs)


def _fit(searcher, X, groups, validation_groups=None):
    """Fit a search on ``X``, its inner folds split by ``groups`` when there are groups.

    With ``validation_groups`` (see :func:`_validation_groups`), the model's own validation
    split holds out whole groups of them, if its ``fit`` takes ``groups`` (a search slices
    them to each inner training fold). Without metadata routing they reach it as the
    pipeline's ``clf__groups``; with routing on, scikit-learn refuses that form, and the
    model requests them under the alias ``validation_groups`` instead, so that they do not
    take the place of the ``groups`` that split the inner folds.
    """
    params = {}
    if validation_groups is not None:
        pipe = searcher if isinstance(searcher, Pipeline) else searcher.estimator
        if "groups" in inspect.signature(pipe["clf"].fit).parameters:
            if get_config().get("enable_metadata_routing", False):
                pipe["clf"].set_fit_request(groups="validation_groups")
                params["validation_groups"] = validation_groups
            else:
                params["clf__groups"] = validation_groups
    if groups is None or isinstance(searcher, Pipeline):  # a pipeline has no folds to split
        return searcher.fit(X, **params)
    return searcher.fit(X, groups=groups, **params)


def _outer_folds(experiment, X, groups, n_train=None):
    """The outer (train, test) splits over whole sequences; by group when there are groups.

    With ``n_train`` (a ``test_dataset``), one split: the first ``n_train`` sequences, then
    the rest.
    """
    if n_train is not None:
        return [(np.arange(n_train), np.arange(n_train, len(X)))]
    if groups is None:
        outer = KFold(experiment.kfold_splits, shuffle=True, random_state=experiment.random_state)
    else:
        outer = GroupKFold(experiment.kfold_splits)
    return outer.split(X, groups=groups)


def _cross_validate(
    spec, experiment, X, groups, search, n_jobs, skip=(), n_train=None, validation_groups=None
):
    """Yield ``(fold, fitted model, metrics row)`` per outer fold, except the folds in
    ``skip`` (done in an earlier run: the folds are the same, seeded by the config)."""
    for fold, (train, test) in enumerate(_outer_folds(experiment, X, groups, n_train)):
        if fold in skip:
            continue
        searcher = _search(spec, experiment, search, n_jobs, grouped=groups is not None)
        start = time.perf_counter()
        _fit(
            searcher,
            [X[i] for i in train],
            None if groups is None else [groups[i] for i in train],
            None if validation_groups is None else [validation_groups[i] for i in train],
        )
        seconds = time.perf_counter() - start
        model = getattr(searcher, "best_estimator_", searcher)
        params = getattr(searcher, "best_params_", {})
        test_X = [X[i] for i in test]
        row = displayed({name: scorer(model, test_X) for name, scorer in SCORERS.items()})
        row.update(fold=fold, params=json.dumps(params, default=str), fit_seconds=seconds)
        yield fold, model, row
