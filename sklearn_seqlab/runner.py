"""The experiment runner: every model of a config, tuned and cross-validated without leaks.

For each data set and model: an outer cross-validation over whole sequences (grouped when
the data has groups); on each outer training fold, an inner random search with
``number_of_trials`` candidates, cross-validated on that training fold alone; the chosen model
is refitted on the training fold (neural models stop early on a split of it) and scored on the
outer test fold. No test sequence ever takes part in choosing a model.
"""

import csv
import json
import os
import re
import time
import warnings
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import parallel_config
from joblib.parallel import LokyBackend, get_active_backend
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold, ParameterSampler, RandomizedSearchCV
from sklearn.pipeline import Pipeline

from .config import read_config
from .datasets import make_chord_progressions
from .inspection import plot_best_attention
from .metrics import (
    accuracy_scorer,
    make_top_k_scorer,
    neg_log_loss_scorer,
    neg_perplexity_scorer,
)
from .persistence import save_model
from .readers import read_seqlab_csv, read_txt, sequences_from_frame
from .tracking import MlflowTracker

BUILTIN_CHORDS = "builtin:chords"

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
                    "optimization_config": {"max_order": {"values": [2, 3, 4]}},
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

SCORERS = {
    "accuracy": accuracy_scorer,
    "top_3_accuracy": make_top_k_scorer(3),
    "log_loss": lambda est, X: -neg_log_loss_scorer(est, X),
    "perplexity": lambda est, X: -neg_perplexity_scorer(est, X),
}


def load_dataset(spec, target_feature=None, *, features=None, clean_kern=False):
    """Sequences of a data set named in a config, with their groups (or None).

    ``builtin:chords`` is the bundled synthetic chord data; a ``.txt`` file is SeqLab's TXT
    format; a ``.csv`` or ``.tsv`` file is SeqLab's multi-feature format, read for
    ``target_feature``, or as tuples of ``features`` when given (see
    :func:`~sklearn_seqlab.readers.read_seqlab_csv`, also for ``clean_kern``); an object
    names the columns of a table (see :mod:`sklearn_seqlab.config`). Sequences shorter than 2
    states are dropped: they have no target.
    """
    if isinstance(spec, dict):
        return _load_table(spec)
    if spec == BUILTIN_CHORDS:
        return make_chord_progressions(600, min_length=8, max_length=24, random_state=0), None
    path = _existing(spec)
    if path.suffix == ".txt":
        return read_txt(path, min_length=2), None
    if path.suffix in (".csv", ".tsv"):
        if features is not None:
            target_feature = None  # the events are tuples of all the features
        sequences = read_seqlab_csv(
            path, target=target_feature, features=features, clean_kern=clean_kern
        )
        return [s for s in sequences if len(s) >= 2], None
    raise ValueError(
        f"Data set {spec!r}: unknown format {path.suffix!r}; use .txt (one sequence a line) or "
        ".csv/.tsv (SeqLab's multi-feature format), or 'builtin:chords'."
    )


def _existing(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Data set {str(path)!r} does not exist.")
    return path


def _load_table(spec):
    """A table of phrases (one sequence a row) or an event log (one event a row)."""
    path = _existing(spec["path"])
    sep = spec.get("sep", "\t" if path.suffix == ".tsv" else ",")
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    if spec.get("order") in table:  # states stay text; events are ordered by real values
        table[spec["order"]] = _typed(table[spec["order"]])
    group = spec.get("group")
    missing = [c for c in (spec.get("phrase"), group) if c is not None and c not in table]
    if missing:
        raise ValueError(f"Data set {str(path)!r} has no column {missing[0]!r}.")
    if "phrase" in spec:
        sequences = table[spec["phrase"]].str.split().tolist()
        groups = None if group is None else table[group].tolist()
    else:
        series = sequences_from_frame(
            table, sequence=spec["sequence"], state=spec["state"], order=spec.get("order")
        )
        sequences = series.tolist()
        groups = None
        if group is not None:  # the group of a case is that of its first event
            groups = table.groupby(spec["sequence"], sort=False)[group].first()[series.index]
            groups = groups.tolist()
    keep = [i for i, s in enumerate(sequences) if len(s) >= 2]
    sequences = [sequences[i] for i in keep]
    return sequences, None if groups is None else [groups[i] for i in keep]


def _typed(column):
    """An order column as numbers, else as times, else as text: read as text, "10" would
    sort before "2"."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas' notes on format inference
            return pd.to_datetime(column, format="mixed")
    except (ValueError, TypeError, OverflowError):
        return column


RESULT_COLUMNS = ["experiment", "dataset", "model", "fold", "params", *SCORERS, "fit_seconds"]
"""The columns of ``results.csv``: one row per experiment, data set, model and outer fold."""


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
        named ``sklearn_seqlab``; see :class:`~sklearn_seqlab.tracking.MlflowTracker`.
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
    done = _rows_done(output, config_text) if resume else {}
    (output / "models").mkdir(parents=True, exist_ok=True)
    (output / "config.json").write_text(config_text)

    tracker = None
    if mlflow_uri is not None:
        tracker = MlflowTracker(mlflow_uri, "sklearn_seqlab", artifact_dir=output / "mlartifacts")
    curves, file_names = [], set()
    finals = []  # (experiment, dataset, model, fitted model, X), for the attention plot
    with ExitStack() as stack:
        stack.enter_context(_torch_threads(_thread_count(threads, n_jobs)))
        results_file = stack.enter_context(_ResultsFile(output / "results.csv", done))
        for experiment in experiments:
            labels = _model_labels(experiment.models)
            for dataset in experiment.datasets:
                X, groups, n_train = _load_experiment_data(experiment, dataset)
                name = _dataset_name(dataset)
                n_folds = experiment.kfold_splits if n_train is None else 1
                for spec, model_name in zip(experiment.models, labels, strict=True):
                    key = (experiment.name, name, model_name)
                    label = " / ".join(key)
                    for param, reason in spec.ignored.items():
                        progress(f"{label}: SeqLab's parameter {param!r} is left out: {reason}.")
                    skip = {fold for (*k, fold) in done if tuple(k) == key}
                    for fold, model, row in _cross_validate(
                        spec, experiment, X, groups, search, n_jobs, skip=skip, n_train=n_train
                    ):
                        row.update(experiment=experiment.name, dataset=name, model=model_name)
                        results_file.write(row)
                        if tracker is not None:
                            tracker.log_fold(row, SCORERS)
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
                        )
                        final = getattr(final, "best_estimator_", final)
                        _save_atomically(final, path)
                        finals.append((experiment.name, name, model_name, final, X[train]))

    results = results_file.ordered()
    (output / "summary.md").write_text(summarize(results))
    _plot(results, curves, output)
    plot_best_attention(finals, results, output / "attention.png")
    if tracker is not None:
        tracker.log_report(output)
        progress(f"Logged to MLflow at {mlflow_uri}")
    progress(f"Report written to {output / 'summary.md'}")
    return results


class _ResultsFile:
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


def _rows_done(output, config_text):
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


def _random_search(pipe, spec, experiment, inner, n_jobs):
    distributions = spec.param_distributions("clf__")
    n_iter = experiment.number_of_trials
    if all(isinstance(d, list) for d in distributions.values()):
        # a grid smaller than the budget: try each candidate once
        n_iter = min(n_iter, int(np.prod([len(d) for d in distributions.values()])))
    if n_iter == 1:
        return _OneCandidate(pipe, distributions, experiment.random_state)
    return RandomizedSearchCV(
        pipe,
        distributions,
        n_iter=n_iter,
        cv=inner,
        scoring=accuracy_scorer,
        random_state=experiment.random_state,
        n_jobs=n_jobs,
    )


class _OneCandidate:
    """The candidate ``RandomizedSearchCV(n_iter=1)`` would draw, fitted without the inner
    folds, which cannot change a choice among one."""

    def __init__(self, pipe, distributions, random_state):
        self.pipe, self.distributions, self.random_state = pipe, distributions, random_state

    def fit(self, X, groups=None):
        sampler = ParameterSampler(self.distributions, 1, random_state=self.random_state)
        self.best_params_ = next(iter(sampler))
        self.best_estimator_ = clone(self.pipe).set_params(**self.best_params_).fit(X)
        return self


def _optuna_search(pipe, spec, experiment, inner, n_jobs):
    try:
        import optuna  # noqa: F401  (checked here for a clear message)
        import optuna_integration  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "search='optuna' needs optuna: pip install optuna optuna-integration"
        ) from exc
    return _QuietOptunaSearch(
        pipe,
        spec.optuna_distributions("clf__"),
        n_trials=experiment.number_of_trials,
        cv=inner,
        scoring=accuracy_scorer,
        random_state=experiment.random_state,
        n_jobs=n_jobs if n_jobs is not None else 1,
    )


class _QuietOptunaSearch:
    """An ``OptunaSearchCV`` built and fitted without optuna's per-trial log lines and
    upstream notices; optuna's own logging settings are restored afterwards."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def fit(self, X, groups=None):
        import optuna
        from optuna_integration import OptunaSearchCV

        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                # optuna-integration 5.0 calls a function optuna 5.0 deprecates, once per
                # trial: upstream's own noise, nothing a user of this runner can change
                warnings.filterwarnings(
                    "ignore", message="`optuna.terminator` module", category=FutureWarning
                )
                search = OptunaSearchCV(*self.args, **self.kwargs).fit(X, groups=groups)
        finally:
            optuna.logging.set_verbosity(verbosity)
        self.best_estimator_ = search.best_estimator_
        self.best_params_ = search.best_params_
        return self


SEARCHES = {"random": _random_search, "optuna": _optuna_search}


def _fit(searcher, X, groups):
    """Fit a search on ``X``, its inner folds split by ``groups`` when there are groups."""
    if groups is None or isinstance(searcher, Pipeline):  # a pipeline has no folds to split
        return searcher.fit(X)
    return searcher.fit(X, groups=groups)


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


def _cross_validate(spec, experiment, X, groups, search, n_jobs, skip=(), n_train=None):
    """Yield ``(fold, fitted model, metrics row)`` per outer fold, except the folds in
    ``skip`` (done in an earlier run: the folds are the same, seeded by the config)."""
    for fold, (train, test) in enumerate(_outer_folds(experiment, X, groups, n_train)):
        if fold in skip:
            continue
        searcher = _search(spec, experiment, search, n_jobs, grouped=groups is not None)
        start = time.perf_counter()
        _fit(
            searcher, [X[i] for i in train], None if groups is None else [groups[i] for i in train]
        )
        seconds = time.perf_counter() - start
        model = getattr(searcher, "best_estimator_", searcher)
        params = getattr(searcher, "best_params_", {})
        test_X = [X[i] for i in test]
        row = {name: scorer(model, test_X) for name, scorer in SCORERS.items()}
        row.update(fold=fold, params=json.dumps(params, default=str), fit_seconds=seconds)
        yield fold, model, row


def summarize(results):
    """Markdown: mean and spread of each metric per data set and model, best first."""
    lines = []
    for (experiment, dataset), table in results.groupby(["experiment", "dataset"], sort=False):
        stats = table.groupby("model", sort=False)[list(SCORERS)].agg(["mean", "std"])
        stats = stats.sort_values(("accuracy", "mean"), ascending=False)
        lines += [
            f"## {experiment}: {dataset}",
            "",
            "| model | accuracy | top-3 accuracy | log-loss | perplexity |",
            "|---|---|---|---|---|",
        ]
        for model, row in stats.iterrows():
            cells = [f"{row[(m, 'mean')]:.3f} ± {row[(m, 'std')]:.3f}" for m in SCORERS]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Mean ± standard deviation over the outer folds; models chosen on inner folds.")
    return "\n".join(lines) + "\n"


def _plot(results, curves, output):
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
