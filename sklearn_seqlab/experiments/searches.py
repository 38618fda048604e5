"""The inner searches of the runner: how one model is chosen on a training fold alone.

Each search takes the pipeline of a model, its ranges (a
:class:`~sklearn_seqlab.experiments.seqlab_models.ModelSpec`), the experiment's budget and
seed, and the inner folds, and returns an object that holds the pipeline in ``estimator`` and
whose ``fit(X, groups=None, **fit_params)`` leaves the chosen model in ``best_estimator_`` and
its parameters in ``best_params_``. Candidates are scored by next-state accuracy on the inner
folds; ``fit_params`` (such as ``clf__groups``) reach each fit of the pipeline, sliced to its
rows.
"""

import warnings

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler, RandomizedSearchCV

from ..metrics import accuracy_scorer


def random_search(pipe, spec, experiment, inner, n_jobs):
    """scikit-learn's ``RandomizedSearchCV`` over ``number_of_trials`` candidates."""
    distributions = spec.param_distributions("clf__")
    n_iter = experiment.number_of_trials
    if all(isinstance(d, list) for d in distributions.values()):
        # a grid smaller than the budget: try each candidate once
        n_iter = min(n_iter, int(np.prod([len(d) for d in distributions.values()])))
    if n_iter == 1:
        return OneCandidate(pipe, distributions, experiment.random_state)
    return RandomizedSearchCV(
        pipe,
        distributions,
        n_iter=n_iter,
        cv=inner,
        scoring=accuracy_scorer,
        random_state=experiment.random_state,
        n_jobs=n_jobs,
    )


class OneCandidate:
    """The candidate ``RandomizedSearchCV(n_iter=1)`` would draw, fitted without the inner
    folds, which cannot change a choice among one."""

    def __init__(self, pipe, distributions, random_state):
        self.estimator, self.distributions, self.random_state = pipe, distributions, random_state

    def fit(self, X, groups=None, **fit_params):
        sampler = ParameterSampler(self.distributions, 1, random_state=self.random_state)
        self.best_params_ = next(iter(sampler))
        pipe = clone(self.estimator).set_params(**self.best_params_)
        self.best_estimator_ = pipe.fit(X, **fit_params)
        return self


def optuna_search(pipe, spec, experiment, inner, n_jobs):
    """optuna's ``OptunaSearchCV`` over ``number_of_trials`` trials (needs optuna)."""
    try:
        import optuna  # noqa: F401  (checked here for a clear message)
        import optuna_integration  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "search='optuna' needs optuna: pip install optuna optuna-integration"
        ) from exc
    return QuietOptunaSearch(
        pipe,
        spec.optuna_distributions("clf__"),
        n_trials=experiment.number_of_trials,
        cv=inner,
        scoring=accuracy_scorer,
        random_state=experiment.random_state,
        n_jobs=n_jobs if n_jobs is not None else 1,
    )


class QuietOptunaSearch:
    """An ``OptunaSearchCV`` built and fitted without optuna's per-trial log lines and
    upstream notices; optuna's own logging settings are restored afterwards."""

    def __init__(self, pipe, *args, **kwargs):
        self.estimator, self.args, self.kwargs = pipe, args, kwargs

    def fit(self, X, groups=None, **fit_params):
        import optuna
        from optuna_integration import OptunaSearchCV

        if groups is not None and get_config().get("enable_metadata_routing", False):
            # optuna-integration hands cross_validate the groups beside its params, which
            # scikit-learn does not accept with routing on: every trial fails, obscurely
            raise ValueError(
                "search='optuna' cannot split the inner folds by group with scikit-learn's "
                "metadata routing on (optuna-integration does not route groups). Use "
                "search='random', or sklearn.set_config(enable_metadata_routing=False)."
            )

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
                search = OptunaSearchCV(self.estimator, *self.args, **self.kwargs)
                search = search.fit(X, groups=groups, **fit_params)
        finally:
            optuna.logging.set_verbosity(verbosity)
        self.best_estimator_ = search.best_estimator_
        self.best_params_ = search.best_params_
        return self


SEARCHES = {"random": random_search, "optuna": optuna_search}
"""The inner searches by the name ``run_experiments(search=...)`` takes."""
