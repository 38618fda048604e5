"""SeqLab's model names and parameters, mapped onto our estimators.

A model of a config names one of SeqLab's models and gives fixed ``params`` and searched
ranges (``optimization_config``)::

    {"name": "LSTMModel", "epochs": 50,
     "params": {"embedding_dim": 32},
     "optimization_config": {
         "lr": {"type": "float", "min": 1e-3, "max": 1e-2},
         "hidden_dim": {"values": [128, 256]},
         "num_layers": {"min": 1, "max": 2}}}

A range ``{"min", "max"}`` of integers is a uniform integer choice; of floats, a log-uniform
one when both bounds are positive and at least a factor 10 apart (``"log": false`` turns it
off), else uniform. ``{"values": [...]}`` is a choice among the values. Every value a search
may draw is checked when the config is read (:func:`read_model`).
"""

import numbers
from dataclasses import dataclass, field

from scipy.stats import loguniform, randint, uniform

from .._config_checks import ConfigError, int_value, no_unknown_keys
from ..counts import MarkovClassifier, VariableOrderMarkovClassifier
from ..hybrid import HybridClassifier, default_network
from ..neural.estimators import NextStateClassifier

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
    # ours, not SeqLab's: networks mixed with Kneser-Ney; "epochs" and network__* set the nets.
    # The runner scores the state that ends each test sequence, so the mixture is chosen there
    "HybridModel": lambda: HybridClassifier(default_network(), validate_on="last"),
}
"""SeqLab's model names and the estimators they map to, and our ``HybridModel``.

SeqLab's ``TransformerModel`` (an encoder) and ``GPTModel`` (GPT-2) both become the causal
transformer; the ``Multi*`` models of ``many_to_one`` experiments are the same networks, fed
multi-feature events by the experiment's encoder
(see :meth:`~sklearn_seqlab.experiments.config.Experiment.encoder`).
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

_MODEL_KEYS = {"name", "epochs", "optimization_config", "params"}
_RANGE_KEYS = {"type", "min", "max", "values", "log"}


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


def read_model(body, where):
    """A model of a config, checked: its :class:`ModelSpec`; ``where`` names it in errors."""
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be an object with a 'name'.")
    no_unknown_keys(body, _MODEL_KEYS, where)
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
        params[epochs] = int_value(body, "epochs", None, 1, where)
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
    no_unknown_keys(spec, _RANGE_KEYS, where)
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
