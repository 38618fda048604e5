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

from .augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter
from .baselines import MarkovClassifier, VariableOrderMarkovClassifier
from .chords import LEVELS, normalize_chord
from .encoding import StateEncoder
from .estimators import NextStateClassifier
from .hybrid import HybridClassifier

MODELS = {
    "LSTMModel": lambda: NextStateClassifier("lstm"),
    "LSTMModelWithAttention": lambda: NextStateClassifier("attention"),
    "TransformerModel": lambda: NextStateClassifier("transformer"),
    "GPTModel": lambda: NextStateClassifier("transformer"),
    "MarkovModel": lambda: MarkovClassifier(),
    "VariableOrderMarkovModel": lambda: VariableOrderMarkovClassifier(),
    "MultiLSTMModel": lambda: NextStateClassifier("lstm"),
    "MultiLSTMAttentionModel": lambda: NextStateClassifier("attention"),
    "MultiTransformerModel": lambda: NextStateClassifier("transformer"),
    "MultiGPTModel": lambda: NextStateClassifier("transformer"),
    # ours, not SeqLab's: networks mixed with Kneser-Ney; "epochs" and network__* set the nets
    "HybridModel": lambda: HybridClassifier(NextStateClassifier()),
}
"""SeqLab's model names and the estimators they map to, and our ``HybridModel``.

SeqLab's ``TransformerModel`` (an encoder) and ``GPTModel`` (GPT-2) both become the causal
transformer; the ``Multi*`` models of ``many_to_one`` experiments are the same networks, fed
multi-feature events by the experiment's encoder (see :meth:`Experiment.encoder`).
"""

MANY_TO_ONE_MODELS = {name for name in MODELS if name.startswith("Multi")}
"""The models SeqLab allows only in ``many_to_one`` experiments."""

ALIASES = {"embed_size": "embedding_dim", "max_context_length": "max_order"}
"""SeqLab's parameter names that ours spell differently (``TransformerModel``'s
``embed_size``, ``VariableOrderMarkovModel``'s ``max_context_length``)."""

IGNORED = {
    ("VariableOrderMarkovModel", "alpha"): (
        "SeqLab's variable-order model adds alpha to its counts and samples its prediction; "
        "ours is interpolated Kneser-Ney (tuned by 'discount') and takes the most probable "
        "state, so alpha has no counterpart"
    ),
}
"""Parameters of SeqLab's models that ours do not have, read and left out with a reason
(:attr:`ModelSpec.ignored`, which the runner reports), so that SeqLab's own configs run."""

FEATURE_DIMENSIONS = ("one_to_one", "many_to_one")

_EXPERIMENT_KEYS = {
    "datasets",
    "models",
    "kfold_splits",
    "number_of_trials",
    "target_feature",
    "random_state",
    "feature_dimensions",
    "source_features",
    "augment_by_subsequences",
    "normalize_chords",
    "augment_by_key",
    "test_dataset",
    "clean_kern",
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
    ignored: dict = field(default_factory=dict)
    """SeqLab parameters read but left out (see :data:`IGNORED`), with the reason."""

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
    """One experiment: data sets, models, the evaluation budget, and SeqLab's data options.

    Attributes
    ----------
    feature_dimensions : {"one_to_one", "many_to_one"}
        ``one_to_one`` predicts the next state from the states of one feature
        (``target_feature`` of a CSV file, or the states of a TXT file). ``many_to_one``
        predicts the next ``target_feature`` value from events that hold all
        ``source_features`` of a CSV file.
    source_features : list of str or None
        The features of a ``many_to_one`` experiment, ``target_feature`` among them.
    augment_by_subsequences : bool
        Train also on every contiguous subsequence (of at least 2 states) of each training
        sequence, as SeqLab did; here on the training folds only (SeqLab cut the
        subsequences before splitting, so parts of test sequences were trained on).
    normalize_chords : False or {"full", "seventh", "triad", "root"}
        Normalise the chord symbols of the target feature at this level
        (:func:`~sklearn_seqlab.chords.normalize_chord`) when reading the data; SeqLab's
        ``true`` reads as ``"seventh"``, the closest of the levels to its rules (which drop
        inversions and extensions, and the seventh of ``maj7`` and ``min7`` chords, but keep
        that of ``7`` chords). A fixed map of each state, so applying it before splitting
        leaks nothing.
    augment_by_key : bool
        Train also on copies of each training sequence transposed into the 11 other keys
        (:class:`~sklearn_seqlab.augmentation.KeyTransposer`), on the training folds only.
        SeqLab read this key but never used it.
    test_dataset : str, dict or None
        A data set to score on instead of cross-validating: the models are chosen and
        trained on each of ``datasets`` and scored on it once.
    clean_kern : bool
        Not one of SeqLab's keys: clean ``**kern`` values of CSV files as SeqLab's loader
        always did (see :func:`~sklearn_seqlab.readers.read_seqlab_csv`); off by default.
    """

    name: str
    datasets: list
    models: list
    kfold_splits: int = 5
    number_of_trials: int = 10
    target_feature: str = None
    random_state: int = 0
    feature_dimensions: str = "one_to_one"
    source_features: list = None
    augment_by_subsequences: bool = False
    normalize_chords: object = False
    augment_by_key: bool = False
    test_dataset: object = None
    clean_kern: bool = False

    def features(self):
        """The features to read from a CSV file as event tuples (target first), or None.

        None for ``one_to_one``, where the events are the target feature's states.
        """
        if self.feature_dimensions != "many_to_one":
            return None
        rest = [f for f in self.source_features if f != self.target_feature]
        return [self.target_feature, *rest]

    def augmenter(self):
        """The augmenter of the training sequences that the options ask for, or None."""
        augmenters = []
        if self.augment_by_key:
            augmenters.append(KeyTransposer())
        if self.augment_by_subsequences:
            augmenters.append(SubsequenceAugmenter())
        if len(augmenters) > 1:
            return AugmenterChain(augmenters)
        return augmenters[0] if augmenters else None

    def encoder(self):
        """A fresh encoder for the pipelines of this experiment.

        ``many_to_one`` events are tuples whose first feature is the target, so the encoder
        is ``StateEncoder(target=0)``: every feature is embedded, the target's states are
        predicted, and the count models read the target feature alone.
        """
        kwargs = {"augment": self.augmenter()}
        if self.feature_dimensions == "many_to_one":
            kwargs["target"] = 0
        return StateEncoder(**kwargs)

    def prepare(self, sequences):
        """Apply ``normalize_chords`` to the target feature of sequences as read."""
        if not self.normalize_chords:
            return sequences
        level, cache = self.normalize_chords, {}

        def normal(state):
            if state not in cache:
                cache[state] = normalize_chord(state, level)
            return cache[state]

        if self.feature_dimensions == "many_to_one":
            return [[(normal(e[0]), *e[1:]) for e in seq] for seq in sequences]
        return [[normal(s) if isinstance(s, str) else s for s in seq] for seq in sequences]


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
    where, base = "config", None
    if isinstance(source, (str, os.PathLike)):
        where, base = os.fspath(source), Path(source).parent
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
    return [_experiment(name, body, f"{where}: {name}", base) for name, body in named.items()]


def _experiment(name, body, where, base=None):
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be an object with 'datasets' and 'models'.")
    _no_unknown_keys(body, _EXPERIMENT_KEYS, where)
    datasets = body.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise ConfigError(f"{where}: 'datasets' must be a non-empty list of paths.")
    datasets = [_dataset(d, f"{where}: datasets[{i}]", base) for i, d in enumerate(datasets)]
    test_dataset = body.get("test_dataset")
    if test_dataset is not None:
        test_dataset = _dataset(test_dataset, f"{where}: test_dataset", base)
    models = body.get("models")
    if not isinstance(models, list) or not models:
        raise ConfigError(f"{where}: 'models' must be a non-empty list.")
    experiment = Experiment(
        name=name,
        datasets=datasets,
        models=[_model(m, f"{where}: models[{i}]") for i, m in enumerate(models)],
        kfold_splits=_int(body, "kfold_splits", 5, 2, where),
        number_of_trials=_int(body, "number_of_trials", 10, 1, where),
        target_feature=body.get("target_feature"),
        random_state=_int(body, "random_state", 0, 0, where),
        feature_dimensions=body.get("feature_dimensions", "one_to_one"),
        source_features=body.get("source_features"),
        augment_by_subsequences=_bool(body, "augment_by_subsequences", where),
        normalize_chords=body.get("normalize_chords", False),
        augment_by_key=_bool(body, "augment_by_key", where),
        test_dataset=test_dataset,
        clean_kern=_bool(body, "clean_kern", where),
    )
    _check_features(experiment, where)
    if experiment.normalize_chords is True:
        experiment.normalize_chords = "seventh"
    elif experiment.normalize_chords is not False and experiment.normalize_chords not in LEVELS:
        raise ConfigError(
            f"{where}: 'normalize_chords' must be true, false or a level among {list(LEVELS)}, "
            f"got {experiment.normalize_chords!r}."
        )
    return experiment


def _check_features(experiment, where):
    """The keys of one-to-one and many-to-one experiments, checked together."""
    target, sources = experiment.target_feature, experiment.source_features
    if target is not None and not isinstance(target, str):
        raise ConfigError(f"{where}: 'target_feature' must be a feature name, got {target!r}.")
    if experiment.feature_dimensions not in FEATURE_DIMENSIONS:
        raise ConfigError(
            f"{where}: 'feature_dimensions' must be one of {list(FEATURE_DIMENSIONS)}, got "
            f"{experiment.feature_dimensions!r}."
        )
    if experiment.feature_dimensions == "one_to_one":
        if sources is not None:
            raise ConfigError(
                f"{where}: 'source_features' is for many-to-one experiments; set "
                "'feature_dimensions': 'many_to_one', or remove it."
            )
        for i, spec in enumerate(experiment.models):
            if spec.name in MANY_TO_ONE_MODELS:
                raise ConfigError(
                    f"{where}: models[{i}] ({spec.name}) predicts from several features; it "
                    "needs 'feature_dimensions': 'many_to_one' and 'source_features'."
                )
        return
    if target is None:
        raise ConfigError(f"{where}: a many-to-one experiment needs 'target_feature'.")
    if (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(f, str) for f in sources)
        or len(set(sources)) < len(sources)
    ):
        raise ConfigError(
            f"{where}: a many-to-one experiment needs 'source_features', a list of distinct "
            f"feature names, got {sources!r}."
        )
    if target not in sources:
        raise ConfigError(
            f"{where}: 'target_feature' {target!r} must be one of 'source_features' "
            f"{sources}: the models read the target's own history too."
        )
    for i, dataset in enumerate([*experiment.datasets, experiment.test_dataset]):
        if dataset is None:
            continue
        if not isinstance(dataset, str) or Path(dataset).suffix not in (".csv", ".tsv"):
            name = "test_dataset" if i == len(experiment.datasets) else f"datasets[{i}]"
            raise ConfigError(
                f"{where}: {name} {dataset!r} is not a SeqLab CSV file; a many-to-one "
                "experiment reads its source features from .csv (or .tsv) files."
            )
    if experiment.augment_by_key:
        raise ConfigError(
            f"{where}: 'augment_by_key' transposes chord symbols, but many-to-one events also "
            "hold other features (a melody, say) that it cannot transpose; use it in "
            "one-to-one experiments."
        )


def _dataset(spec, where, base=None):
    """A path, or a table whose columns are named (see the module docstring)."""
    if isinstance(spec, str):
        return _resolve(spec, base)
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
    return {**spec, "path": _resolve(spec["path"], base)}


def _resolve(path, base):
    """A data path as the config means it: relative to the config file's folder.

    SeqLab read its paths relative to the working directory, where its config also lay; so a
    relative path that is not found beside the config file but is in the working directory
    is taken from there. Paths of a config given as a dict, absolute paths and ``builtin:``
    names are kept as they are.
    """
    if base is None or path.startswith("builtin:") or Path(path).is_absolute():
        return path
    beside = base / path
    if not beside.exists() and Path(path).exists():
        return path
    return os.fspath(beside)


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
    if MODELS[name]().get_params().get("module") not in (None, "transformer"):
        valid -= {"nhead", "dim_feedforward"}  # the LSTM modules have no heads
    params, ignored = {}, {}
    seen = set()
    epochs = next((p for p in ("max_epochs", "network__max_epochs") if p in valid), None)
    if "epochs" in body and epochs is not None:
        params[epochs] = _int(body, "epochs", None, 1, where)
        seen.add(epochs)
    searched = body.get("optimization_config", {})
    if not isinstance(searched, dict):
        raise ConfigError(f"{where}: 'optimization_config' must be an object.")
    fixed = body.get("params", {})
    if not isinstance(fixed, dict):
        raise ConfigError(f"{where}: 'params' must be an object.")
    ranges = []
    for section, entries in (("params", fixed), ("optimization_config", searched)):
        for key, spec in entries.items():
            if (name, key) in IGNORED:
                ignored[key] = IGNORED[name, key]
                continue
            param = ALIASES.get(key, key) if ALIASES.get(key) in valid else key
            if param not in valid:
                raise ConfigError(
                    f"{where}: {section} has unknown parameter {key!r}; known: {sorted(valid)}."
                )
            if param in seen:
                raise ConfigError(f"{where}: parameter {param!r} is given twice (as {key!r}).")
            seen.add(param)
            if section == "params":
                params[param] = spec
            else:
                ranges.append(_range(param, spec, f"{where}: optimization_config.{key}"))
    _check_values(name, params, ranges, where)
    spec = ModelSpec(name=name, params=params, ranges=ranges, ignored=ignored)
    if spec.estimator().get_params().get("module") == "transformer":
        _check_heads(spec, where)
    return spec


def _check_heads(spec, where):
    """Every ``nhead`` a search may draw must divide every ``embedding_dim`` it may draw."""
    defaults = spec.estimator().get_params()
    candidates = {}
    for param in ("nhead", "embedding_dim"):
        found = [r for r in spec.ranges if r.name == param]
        if not found:
            candidates[param] = [defaults[param]]
        elif found[0].kind == "choice":
            candidates[param] = found[0].values
        elif found[0].kind == "int" and found[0].high - found[0].low < 4096:
            candidates[param] = list(range(int(found[0].low), int(found[0].high) + 1))
        else:
            return  # a float range: the estimator rejects it with its own message
    for heads in candidates["nhead"]:
        for width in candidates["embedding_dim"]:
            if isinstance(heads, int) and isinstance(width, int) and heads > 0 and width % heads:
                raise ConfigError(
                    f"{where}: nhead={heads} does not divide embedding_dim={width}, and the "
                    f"search may draw both (nhead among {candidates['nhead']}, embedding_dim "
                    f"among {candidates['embedding_dim']}); each head reads embedding_dim / "
                    "nhead of the embedding."
                )


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


def _bool(body, key, where):
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key!r} must be true or false, got {value!r}.")
    return value


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
