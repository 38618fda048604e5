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

This module reads the experiments; the models and their parameters are read by
:mod:`sklearn_seqlab.experiments.seqlab_models`, the data sets by
:mod:`sklearn_seqlab.data.dataset_specs`.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .._config_checks import (
    ConfigError,
    bool_value,
    int_value,
    no_unknown_keys,
    optional_bool_value,
)
from ..data.augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter
from ..data.chords import LEVELS, normalize_chord
from ..data.dataset_specs import check_dataset_spec
from ..encoding import StateEncoder
from .seqlab_models import (
    ALIASES,
    IGNORED,
    MANY_TO_ONE_MODELS,
    MODELS,
    ModelSpec,
    Range,
    read_model,
)

__all__ = [
    "ALIASES",
    "FEATURE_DIMENSIONS",
    "IGNORED",
    "MANY_TO_ONE_MODELS",
    "MODELS",
    "ConfigError",
    "Experiment",
    "ModelSpec",
    "Range",
    "read_config",
]

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
    "validate_by_group",
}


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
        (:func:`~sklearn_seqlab.data.chords.normalize_chord`) when reading the data; SeqLab's
        ``true`` reads as ``"seventh"``, the closest of the levels to its rules (which drop
        inversions and extensions, and the seventh of ``maj7`` and ``min7`` chords, but keep
        that of ``7`` chords). A fixed map of each state, so applying it before splitting
        leaks nothing.
    augment_by_key : bool
        Train also on copies of each training sequence transposed into the 11 other keys
        (:class:`~sklearn_seqlab.data.augmentation.KeyTransposer`), on the training folds only.
        The chords as read are then spelled as the copies are (``B-:maj`` and ``A#:maj``
        become ``Bb:maj``), also without ``normalize_chords``. SeqLab read this key but never
        used it.
    test_dataset : str, dict or None
        A data set to score on instead of cross-validating: the models are chosen and
        trained on each of ``datasets`` and scored on it once.
    clean_kern : bool
        Not one of SeqLab's keys: clean ``**kern`` values of CSV files as SeqLab's loader
        always did (see :func:`~sklearn_seqlab.data.readers.read_seqlab_csv`); off by default.
    validate_by_group : bool or None
        Not one of SeqLab's keys: the models that stop early or mix on a validation split
        (``NextStateClassifier``, ``HybridClassifier``) hold out whole groups of their
        training fold there, ``fit(X, groups=...)``. True: the groups of the ``"group"``
        column, which every data set must then have. False: sequences grouped by content.
        None (the key absent): each case of an event log (a table with ``"sequence"`` and
        ``"state"``) is a group of its own, so validation holds out cases at random; on
        other data sets with 20 groups or more the hybrid holds out whole groups, and a
        network alone is split by content, as are smaller and ungrouped data sets.
        With the n-gram cache, whole songs gave the hybrid 0.403 against 0.301 on pop
        phrases and the same accuracy on McGill's (sixteenth round); a network alone
        stopped early on whole songs trains too briefly (twelfth round); on process logs,
        random cases kept the hybrid from mixtures that lost on new cases (twelfth round;
        all in ``benchmarks/README.md``).
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
    validate_by_group: bool | None = None

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
        """Apply ``normalize_chords`` to the target feature of sequences as read.

        With ``augment_by_key`` the chords are respelled even without ``normalize_chords``
        (level ``"full"``, which keeps every chord as it is): the transposed copies spell
        each root one way (``Bb:maj``), and data spelling it another (``B-:maj`` in SeqLab's
        CSVs, ``A#:maj``) would otherwise hold two states for one chord, the originals in
        one and the copies in the other.
        """
        level = self.normalize_chords or ("full" if self.augment_by_key else False)
        if not level:
            return sequences
        cache = {}

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
    no_unknown_keys(body, _EXPERIMENT_KEYS, where)
    datasets = body.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise ConfigError(f"{where}: 'datasets' must be a non-empty list of paths.")
    datasets = [
        check_dataset_spec(d, f"{where}: datasets[{i}]", base) for i, d in enumerate(datasets)
    ]
    test_dataset = body.get("test_dataset")
    if test_dataset is not None:
        test_dataset = check_dataset_spec(test_dataset, f"{where}: test_dataset", base)
    models = body.get("models")
    if not isinstance(models, list) or not models:
        raise ConfigError(f"{where}: 'models' must be a non-empty list.")
    experiment = Experiment(
        name=name,
        datasets=datasets,
        models=[read_model(m, f"{where}: models[{i}]") for i, m in enumerate(models)],
        kfold_splits=int_value(body, "kfold_splits", 5, 2, where),
        number_of_trials=int_value(body, "number_of_trials", 10, 1, where),
        target_feature=body.get("target_feature"),
        random_state=int_value(body, "random_state", 0, 0, where),
        feature_dimensions=body.get("feature_dimensions", "one_to_one"),
        source_features=body.get("source_features"),
        augment_by_subsequences=bool_value(body, "augment_by_subsequences", where),
        normalize_chords=body.get("normalize_chords", False),
        augment_by_key=bool_value(body, "augment_by_key", where),
        test_dataset=test_dataset,
        clean_kern=bool_value(body, "clean_kern", where),
        validate_by_group=optional_bool_value(body, "validate_by_group", where),
    )
    if experiment.validate_by_group is True:
        # a path is a file read without groups; a table names its group column
        grouped = [isinstance(d, dict) and "group" in d for d in datasets]
        ungrouped = [i for i, has_group in enumerate(grouped) if not has_group]
        if ungrouped:
            raise ConfigError(
                f"{where}: 'validate_by_group' holds out whole groups, but "
                f'datasets[{ungrouped[0]}] names no "group" column; add one, or drop '
                "'validate_by_group'."
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
        name = "test_dataset" if i == len(experiment.datasets) else f"datasets[{i}]"
        if isinstance(dataset, dict) and "state" in dataset:  # an event log: features are columns
            if dataset["state"] != target:
                raise ConfigError(
                    f"{where}: {name} is an event log whose 'state' column is "
                    f"{dataset['state']!r}, but 'target_feature' is {target!r}; a many-to-one "
                    "experiment predicts the state column, so name it in both."
                )
            continue
        if not isinstance(dataset, str) or Path(dataset).suffix not in (".csv", ".tsv"):
            raise ConfigError(
                f"{where}: {name} {dataset!r} is not a SeqLab CSV file or an event log; a "
                "many-to-one experiment reads its source features from .csv (or .tsv) files, "
                "or from the columns of an event log."
            )
    if experiment.augment_by_key:
        raise ConfigError(
            f"{where}: 'augment_by_key' transposes chord symbols, but many-to-one events also "
            "hold other features (a melody, say) that it cannot transpose; use it in "
            "one-to-one experiments."
        )
