"""SeqLab's experiment configs, read as they are and mapped onto our estimators.

A config is JSON. Experiments stand either under an ``"experiments"`` key (a list, or an
object of named experiments) or, as in SeqLab's own files, as named objects at the top level::

    {"one_to_one": {
        "datasets": ["data/chords.txt"],
        "kfold_splits": 5,
        "number_of_trials": 10,
        "models": [
            {"name": "LSTMModel", "epochs": 50,
             "optimization_config": {
                 "lr": {"type": "float", "min": 1e-3, "max": 1e-2},
                 "hidden_dim": {"values": [128, 256]},
                 "num_layers": {"min": 1, "max": 2}}},
            {"name": "VariableOrderMarkovModel",
             "optimization_config": {"max_order": {"values": [2, 3, 4]}}}]}}

A data set is a path (``.txt``: one sequence a line; ``.csv``/``.tsv``: SeqLab's multi-feature
format, read for ``target_feature``), ``"builtin:chords"``, or a table with named columns:
``{"path": "phrases.tsv", "phrase": "phrase", "group": "song_id"}`` (a column of
whitespace-separated states, one sequence a row) or ``{"path": "log.csv", "sequence":
"CaseID", "state": "ActivityID", "order": "CompleteTimestamp"}`` (an event log). With a
``"group"`` column, the outer folds keep each group on one side (``GroupKFold``).

A range ``{"min", "max"}`` of integers is a uniform integer choice; of floats, a log-uniform
one when both bounds are positive and at least a factor 10 apart (``"log": false`` turns it
off), else uniform. ``{"values": [...]}`` is a choice among the values.
"""

import json
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

from scipy.stats import loguniform, randint, uniform

from .baselines import MarkovClassifier, VariableOrderMarkovClassifier
from .estimators import NextStateClassifier

MODELS = {
    "LSTMModel": lambda: NextStateClassifier("lstm"),
    "LSTMModelWithAttention": lambda: NextStateClassifier("attention"),
    "MarkovModel": lambda: MarkovClassifier(),
    "VariableOrderMarkovModel": lambda: VariableOrderMarkovClassifier(),
}
"""SeqLab's model names and the estimators they map to."""

_EXPERIMENT_KEYS = {
    "datasets",
    "models",
    "kfold_splits",
    "number_of_trials",
    "target_feature",
    "random_state",
}
_MODEL_KEYS = {"name", "epochs", "optimization_config", "params"}
_DATASET_KEYS = {"path", "phrase", "sequence", "state", "order", "group", "sep"}
_RANGE_KEYS = {"type", "min", "max", "values", "log"}


class ConfigError(ValueError):
    """A config that cannot be used; the message names the key at fault."""


@dataclass
class Range:
    """One searched hyper-parameter: a choice among values, or a numeric range."""

    name: str
    values: list = None
    low: float = None
    high: float = None
    kind: str = "choice"  # "choice", "int", "float" or "log"

    def scipy(self):
        """The distribution (or list) ``RandomizedSearchCV`` takes."""
        if self.kind == "choice":
            return list(self.values)
        if self.kind == "int":
            return randint(self.low, self.high + 1)
        if self.kind == "log":
            return loguniform(self.low, self.high)
        return uniform(self.low, self.high - self.low)

    def optuna(self):
        """The distribution optuna's ``OptunaSearchCV`` takes (needs optuna installed)."""
        try:
            from optuna.distributions import (
                CategoricalDistribution,
                FloatDistribution,
                IntDistribution,
            )
        except ImportError as exc:
            raise ImportError(
                "optuna distributions need optuna: pip install optuna optuna-integration"
            ) from exc
        if self.kind == "choice":
            return CategoricalDistribution(list(self.values))
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high))
        return FloatDistribution(self.low, self.high, log=self.kind == "log")


@dataclass
class ModelSpec:
    """A model of an experiment: SeqLab's name, fixed parameters and searched ranges."""

    name: str
    params: dict = field(default_factory=dict)
    ranges: list = field(default_factory=list)

    def estimator(self):
        """A fresh estimator with the fixed parameters set."""
        return MODELS[self.name]().set_params(**self.params)

    def param_distributions(self, prefix=""):
        """``param_distributions`` for ``RandomizedSearchCV``; ``prefix="clf__"`` in a pipeline."""
        return {prefix + r.name: r.scipy() for r in self.ranges}

    def optuna_distributions(self, prefix=""):
        """Distributions for optuna's ``OptunaSearchCV``."""
        return {prefix + r.name: r.optuna() for r in self.ranges}


@dataclass
class Experiment:
    """One experiment: data sets, models, and the evaluation budget."""

    name: str
    datasets: list
    models: list
    kfold_splits: int = 5
    number_of_trials: int = 10
    target_feature: str = None
    random_state: int = 0


def read_config(source):
    """Read a SeqLab experiment config.

    Parameters
    ----------
    source : str, path-like or dict
        A JSON file, or the parsed config.

    Returns
    -------
    experiments : list of Experiment

    Raises
    ------
    ConfigError
        If a key is unknown or malformed, a model name or parameter is unknown, or a range
        is empty; the message names the key.
    """
    where = "config"
    if isinstance(source, (str, os.PathLike)):
        where = os.fspath(source)
        try:
            source = json.loads(Path(source).read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(source, dict):
        raise ConfigError(f"{where} must be a JSON object, got {type(source).__name__}.")
    named = source.get("experiments", source)
    if isinstance(named, list):
        named = {f"experiment_{i}": e for i, e in enumerate(named)}
    if not isinstance(named, dict) or not named:
        raise ConfigError(f"{where} holds no experiments.")
    return [_experiment(name, body, f"{where}: {name}") for name, body in named.items()]


def _experiment(name, body, where):
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be an object with 'datasets' and 'models'.")
    if "source_features" in body:
        raise ConfigError(
            f"{where}: 'source_features' (many-to-one experiments) is not supported yet; "
            "use 'target_feature' alone."
        )
    _no_unknown_keys(body, _EXPERIMENT_KEYS, where)
    datasets = body.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise ConfigError(f"{where}: 'datasets' must be a non-empty list of paths.")
    datasets = [_dataset(d, f"{where}: datasets[{i}]") for i, d in enumerate(datasets)]
    models = body.get("models")
    if not isinstance(models, list) or not models:
        raise ConfigError(f"{where}: 'models' must be a non-empty list.")
    return Experiment(
        name=name,
        datasets=datasets,
        models=[_model(m, f"{where}: models[{i}]") for i, m in enumerate(models)],
        kfold_splits=_int(body, "kfold_splits", 5, 2, where),
        number_of_trials=_int(body, "number_of_trials", 10, 1, where),
        target_feature=body.get("target_feature"),
        random_state=_int(body, "random_state", 0, 0, where),
    )


def _dataset(spec, where):
    """A path, or a table whose columns are named (see the module docstring)."""
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise ConfigError(f"{where} must be a path, or an object with a 'path'.")
    _no_unknown_keys(spec, _DATASET_KEYS, where)
    if ("phrase" in spec) == ("state" in spec):
        raise ConfigError(
            f"{where} needs either 'phrase' (a column of whitespace-separated states, one "
            "sequence a row) or 'sequence' and 'state' (an event log, one event a row)."
        )
    if "state" in spec and "sequence" not in spec:
        raise ConfigError(f"{where}: an event log needs 'sequence', the column of case ids.")
    return dict(spec)


def _model(body, where):
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be an object with a 'name'.")
    _no_unknown_keys(body, _MODEL_KEYS, where)
    name = body.get("name")
    if name not in MODELS:
        raise ConfigError(
            f"{where}: unknown model name {name!r}; known: {', '.join(sorted(MODELS))}."
        )
    where = f"{where} ({name})"
    valid = set(MODELS[name]().get_params())
    params = dict(body.get("params", {}))
    if "epochs" in body and "max_epochs" in valid:
        params["max_epochs"] = _int(body, "epochs", None, 1, where)
    for key in params:
        if key not in valid:
            raise ConfigError(f"{where}: unknown parameter {key!r}; known: {sorted(valid)}.")
    ranges = []
    for key, spec in body.get("optimization_config", {}).items():
        if key not in valid:
            raise ConfigError(
                f"{where}: optimization_config has unknown parameter {key!r}; "
                f"known: {sorted(valid)}."
            )
        ranges.append(_range(key, spec, f"{where}: optimization_config.{key}"))
    _check_values(name, params, ranges, where)
    return ModelSpec(name=name, params=params, ranges=ranges)


def _check_values(name, params, ranges, where):
    """Check every value a model can get as its ``fit`` checks it, so that a bad value in
    the last model stops the run before the first one starts, not hours later.

    Each searched value (each choice, and both bounds of a range) is checked on top of the
    fixed parameters.
    """
    try:
        model = MODELS[name]().set_params(**params)
        model._check_params()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for r in ranges:
        for value in r.values if r.kind == "choice" else (r.low, r.high):
            try:
                MODELS[name]().set_params(**params, **{r.name: value})._check_params()
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"{where}: optimization_config.{r.name} holds {value!r}: {exc}"
                ) from None


def _range(name, spec, where):
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be an object with 'values', or 'min' and 'max'.")
    _no_unknown_keys(spec, _RANGE_KEYS, where)
    if "values" in spec:
        if not isinstance(spec["values"], list) or not spec["values"]:
            raise ConfigError(f"{where}: 'values' must be a non-empty list.")
        return Range(name, values=spec["values"])
    if "min" not in spec or "max" not in spec:
        raise ConfigError(f"{where} needs 'values', or both 'min' and 'max'.")
    low, high = spec["min"], spec["max"]
    for bound in (low, high):
        if not isinstance(bound, numbers.Real) or isinstance(bound, bool):
            raise ConfigError(f"{where}: 'min' and 'max' must be numbers, got {bound!r}.")
    if low > high:
        raise ConfigError(f"{where}: 'min' ({low}) is greater than 'max' ({high}).")
    declared = spec.get("type")
    if declared not in (None, "int", "float", "categorical"):
        raise ConfigError(f"{where}: 'type' must be 'int', 'float' or 'categorical'.")
    is_int = declared == "int" or (
        declared is None and all(isinstance(b, numbers.Integral) for b in (low, high))
    )
    if is_int:
        return Range(name, low=int(low), high=int(high), kind="int")
    log = spec.get("log", low > 0 and high >= 10 * low)
    return Range(name, low=float(low), high=float(high), kind="log" if log else "float")


def _int(body, key, default, minimum, where):
    value = body.get(key, default)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _no_unknown_keys(body, known, where):
    unknown = sorted(set(body) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known: {sorted(known)}."
        )
