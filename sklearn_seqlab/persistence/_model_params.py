"""The classes a model file may name, and their parameters as plain JSON."""

import numbers
import os

import numpy as np

from ..data.chords import chord_parts
from ..neural.training import check_device
from ._model_file import MAX_DEPTH, Invalid

FUNCTIONS = {"sklearn_seqlab.chords.chord_parts": chord_parts}
"""The functions a parameter may name in a model file (``StateEncoder(state_features=)``).

The keys are names written in files, not import paths: ``chord_parts`` was
``sklearn_seqlab.chords.chord_parts`` when files began to name it, and stays so named."""
_PREDICTIONS_NEED = {"state_features"}
"""Parameters that shape predictions, not only fit: refused when they cannot be saved."""


def model_classes():
    """The classes whose fitted instances a model file holds, by name."""
    from ..counts import MarkovClassifier, VariableOrderMarkovClassifier
    from ..encoding import StateEncoder
    from ..hybrid import HybridClassifier
    from ..neural.estimators import NextStateClassifier

    classes = (
        StateEncoder,
        NextStateClassifier,
        MarkovClassifier,
        VariableOrderMarkovClassifier,
        HybridClassifier,
    )
    return {cls.__name__: cls for cls in classes}


def _templates():
    """Classes whose unfitted instances may stand as parameters (see :func:`plain_params`)."""
    from ..data.augmentation import KeyTransposer, SubsequenceAugmenter

    classes = model_classes()
    classes.pop("StateEncoder")
    classes.pop("HybridClassifier")
    return classes | {"KeyTransposer": KeyTransposer, "SubsequenceAugmenter": SubsequenceAugmenter}


def plain_params(params):
    """Parameters as JSON: plain values; unfitted estimators of the allowed classes (a
    hybrid's network, an encoder's augmenter) as ``{"estimator", "params"}``; the package's
    own functions (``chord_parts``) as ``{"function"}``. Anything else is not saved."""
    plain, not_saved = {}, []
    for key, value in params.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if key == "checkpoint_dir" and value is not None:
            not_saved.append(key)  # a path on this machine
        elif value is None or isinstance(value, (bool, str, numbers.Integral, numbers.Real)):
            plain[key] = value.item() if isinstance(value, np.generic) else value
        elif isinstance(value, list) and all(
            isinstance(v, (bool, str, int, float)) and not isinstance(v, np.generic) for v in value
        ):
            plain[key] = list(value)  # KeyTransposer(semitones=[...]), StateEncoder(target=)
        elif type(value) in _templates().values():
            inner, inner_not_saved = plain_params(value.get_params(deep=False))
            if inner_not_saved:
                not_saved.append(key)
            else:
                plain[key] = {"estimator": type(value).__name__, "params": inner}
        elif any(value is f for f in FUNCTIONS.values()):
            plain[key] = {"function": next(k for k, f in FUNCTIONS.items() if f is value)}
        elif key in _PREDICTIONS_NEED:
            raise TypeError(
                f"This model's {key} is a function of your own, which the safe format cannot "
                f"hold (it holds {sorted(FUNCTIONS)}); use joblib for this model."
            )
        else:
            not_saved.append(key)
    return plain, not_saved


def _param_value(kind, key, value, depth):
    """A parameter read from a file: a plain value, a template estimator or a function."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list) and all(isinstance(v, (bool, str, int, float)) for v in value):
        return value
    if isinstance(value, dict) and set(value) == {"function"} and value["function"] in FUNCTIONS:
        return FUNCTIONS[value["function"]]
    if isinstance(value, dict) and set(value) == {"estimator", "params"}:
        cls = _templates().get(value["estimator"])
        if cls is not None and isinstance(value["params"], dict) and depth < MAX_DEPTH:
            params = {k: _param_value(kind, k, v, depth + 1) for k, v in value["params"].items()}
            unknown = sorted(set(params) - set(cls().get_params(deep=False)))
            if not unknown:
                return cls(**_with_params_added_since(cls, params))
    raise Invalid(f"parameter {key}={value!r} of {kind} is not a value this format holds.")


def _with_params_added_since(cls, params):
    """A file's parameters, with those added since it was written set to the value its
    model was fitted with (``_params_before_they_existed``)."""
    return getattr(cls, "_params_before_they_existed", {}) | params


def build_model(cls, params):
    """The estimator with the file's parameters, checked as ``fit`` checks them."""
    kind = cls.__name__
    known = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - known)
    if unknown:
        raise Invalid(f"{kind} has no parameter(s) {unknown[:5]}.")
    params = {key: _param_value(kind, key, value, 0) for key, value in params.items()}
    params = _with_params_added_since(cls, params)
    if "checkpoint_dir" in params:  # a path from another machine, or a crafted one: never used
        params["checkpoint_dir"] = None
    model = cls(**params)
    if "device" in params:
        try:
            check_device(model.device)
        except ValueError:  # trained on a GPU this machine lacks: load it on the CPU
            model.device = "cpu"
        except TypeError as exc:
            raise Invalid(str(exc)) from None
    try:
        model._check_params()
    except (ValueError, TypeError) as exc:
        raise Invalid(f"a parameter of {kind} is refused as fit would refuse it: {exc}") from None
    return model
