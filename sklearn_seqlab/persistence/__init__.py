"""Model files that loading cannot turn into code execution.

A model file is a zip archive of two members:

- ``model.json``: the format and its version, package versions, and the model as a tree of
  plain JSON: class name (from a fixed list), parameters, and every fitted attribute;
- ``arrays.npz``: every numeric array (weights, counts, optimizer and random state), read
  with ``allow_pickle=False``.

A model is stored by the types of its values, not by its class: its parameters are those of
``get_params``, its fitted attributes are those whose names end in ``_`` and the private ones
its class lists in ``_saved_private``, and each value is written by the encoder of its type
(:mod:`._value_codecs`). A class only says what it derives from them
(``_derived_attributes``, rebuilt by ``_restore_derived`` after loading, which also checks
the values against the parameters and each other). So a new fitted attribute is saved
without any change here, and one of a type the format cannot hold is refused by name.

Nothing is unpickled, so a crafted file can at worst be refused. joblib and pickle files,
by contrast, run code when loaded: load those only from sources you trust.

The checksum inside catches accidental damage, not tampering: anyone who edits a file can
recompute it. So :func:`load_model` treats every file as untrusted input. It bounds what it
reads (:data:`MAX_JSON_BYTES`, :data:`MAX_EXPANSION`), reads only the arrays the model names
and refuses any other, builds only the classes and value types it knows, checks the
parameters as ``fit`` does and the fitted values against them, and never takes a path from
the file.
"""

import os
import zipfile

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._legacy_format import upgrade_tree
from ._model_file import (
    FORMAT,
    FORMAT_VERSION,
    MAX_DEPTH,
    MAX_EXPANSION,
    MAX_JSON_BYTES,
    ArrayReader,
    Invalid,
    _checksum,  # noqa: F401  (tests forge files with it)
    read_model_file,
    write_model_file,
)
from ._model_params import FUNCTIONS, build_model, model_classes, plain_params
from ._value_codecs import decode_value, encode_value

__all__ = [
    "save_model",
    "load_model",
    "FORMAT",
    "FORMAT_VERSION",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPANSION",
    "MAX_JSON_BYTES",
]


def save_model(model, path):
    """Save a fitted model in the safe format.

    Parameters
    ----------
    model : StateEncoder, NextStateClassifier, count baseline, HybridClassifier, or Pipeline
        A fitted model.
    path : str or path-like
        File to write.

    Raises
    ------
    TypeError
        If the model, a step, or one of its fitted values cannot be stored in this format.
    ValueError
        If the model is too large for :func:`load_model` to read back.

    Notes
    -----
    Parameters that are not plain values (``callbacks``, a ``RandomState`` instance) are
    not stored; the loaded model has their default and ``model.json`` lists them under
    ``params_not_saved``. Nor is ``checkpoint_dir``, a path on this machine: a loaded model
    writes no checkpoint until it is given one. Tensors are saved from the CPU, so a model
    trained on a GPU loads on a machine without one.
    """
    writer = _Writer()
    tree = writer.model(model, "model")
    if tree is None:
        raise TypeError(
            f"{type(model).__name__} cannot be saved in the safe format, which holds only "
            f"{sorted(model_classes())} and Pipelines of them; use joblib for other models."
        )
    write_model_file(path, tree, writer.arrays)


def load_model(path):
    """Load a model saved by :func:`save_model`, executing nothing from the file.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    model : estimator or Pipeline
        The fitted model, with the same predictions and fitted attributes as the one saved.
        It writes no checkpoint (``checkpoint_dir`` is None), and a model trained on a
        device this machine lacks (a GPU) is loaded on the CPU.

    Raises
    ------
    ValueError
        If the file is not a model file of this format (for instance a pickle or joblib
        file or a directory), was modified after saving, was written by a newer format
        version, or is malformed: members other than the two expected, a ``model.json``
        larger than :data:`MAX_JSON_BYTES` or nested deeper than :data:`MAX_DEPTH`, a
        member that expands more than :data:`MAX_EXPANSION` times, a class or a type of
        value this package does not load, a parameter ``fit`` would refuse, an array the
        model does not name, or a fitted value that does not fit the model. Every message
        names the file and the fault.
    """
    name = os.fspath(path)
    document, npz = read_model_file(name)
    try:
        reader = _Reader(ArrayReader(npz))
        tree = upgrade_tree(document["model"], document["format_version"], reader.arrays)
        model = reader.model(tree, depth=0)
        reader.arrays.check_all_used()
    except Invalid as exc:
        raise ValueError(f"{name!r} is not a valid model file: {exc}") from None
    except (
        KeyError,
        TypeError,
        IndexError,
        ValueError,
        AttributeError,
        OverflowError,
        zipfile.BadZipFile,
        EOFError,
    ) as exc:
        raise ValueError(
            f"{name!r} is not a valid model file: {type(exc).__name__}: {exc}"
        ) from None
    return model


# scikit-learn's own bookkeeping (metadata routing, set_output): never saved, as before
_FRAMEWORK_ATTRIBUTES = ("_metadata_request", "_sklearn_output_config")


def _declared(cls, name):
    """The attribute names ``cls`` and its bases list in the class attribute ``name``."""
    return {attr for klass in cls.__mro__ for attr in vars(klass).get(name, ())}


class _Writer:
    """Encodes models; holds the arrays they name."""

    def __init__(self):
        self.arrays = {}
        self.n_models = 0

    def array(self, name, value):
        while name in self.arrays:
            name += "+"
        self.arrays[name] = value
        return name

    def model(self, model, name):
        """The tree of a fitted model of the allowed classes or a Pipeline, else None."""
        if type(model) is Pipeline:
            steps = [[step, self.model(est, f"{name}.{step}")] for step, est in model.steps]
            for (step, tree), (_, est) in zip(steps, model.steps, strict=True):
                if tree is None:
                    raise TypeError(
                        f"{type(est).__name__} (step {step!r}) cannot be saved in the safe "
                        f"format, which holds only {sorted(model_classes())} and Pipelines "
                        "of them; use joblib for other models."
                    )
            return {"class": "Pipeline", "steps": steps}
        cls = type(model)
        if model_classes().get(cls.__name__) is not cls:
            return None
        check_is_fitted(model)
        params, not_saved = plain_params(model.get_params(deep=False))
        prefix = f"a{self.n_models}_"  # the arrays of each model keep names apart
        self.n_models += 1
        state = {}
        for key, value in _fitted_attributes(model, params.keys() | set(not_saved)).items():
            try:
                state[key] = encode_value(value, self, prefix + key.strip("_"))
            except TypeError as exc:
                attr = key if key.startswith("_") else key + "_"
                raise TypeError(f"{cls.__name__}.{attr} holds {exc}") from None
        return {
            "class": cls.__name__,
            "params": params,
            "params_not_saved": not_saved,
            "state": state,
        }


def _fitted_attributes(model, params):
    """The values to save, by their keys in the file: ``classes_`` as ``classes``, a private
    attribute the class lists in ``_saved_private`` under its own name."""
    cls = type(model)
    private, derived = _declared(cls, "_saved_private"), _declared(cls, "_derived_attributes")
    fitted = {}
    for attr, value in vars(model).items():
        if attr in params or attr in derived or attr in _FRAMEWORK_ATTRIBUTES:
            continue
        if attr in private:
            fitted[attr] = value
        elif not attr.startswith("_") and attr.endswith("_"):
            fitted[attr[:-1]] = value
        else:
            raise TypeError(
                f"{cls.__name__}.{attr} is neither a parameter nor a fitted attribute (whose "
                "name ends in '_'): list it in the class's _saved_private to save it, or in "
                "its _derived_attributes if _restore_derived rebuilds it."
            )
    return fitted


class _Reader:
    """Decodes models from their trees and the file's arrays."""

    def __init__(self, arrays):
        self.arrays = arrays

    def model(self, tree, depth):
        if depth > MAX_DEPTH:
            raise Invalid(f"models are nested deeper than {MAX_DEPTH} levels.")
        classes = model_classes()
        if not isinstance(tree, dict) or tree.get("class") not in {*classes, "Pipeline"}:
            raise Invalid("it names a class this package does not load.")
        if tree["class"] == "Pipeline":
            return self._pipeline(tree.get("steps"), depth)
        unknown = sorted(set(tree) - {"class", "params", "params_not_saved", "state"})
        if unknown:
            raise Invalid(f"the {tree['class']} has unknown keys {unknown[:5]}.")
        for key in ("params", "state"):
            if not isinstance(tree.get(key), dict):
                raise Invalid(f"the {tree['class']} has no {key!r} object.")
        cls = classes[tree["class"]]
        model = build_model(cls, tree["params"])
        private, derived = _declared(cls, "_saved_private"), _declared(cls, "_derived_attributes")
        for key, node in tree["state"].items():
            attr = key if key.startswith("_") else key + "_"
            if attr in derived:  # rebuilt below, whatever the file says (a path, say)
                continue
            if (
                not key.isidentifier()
                or attr.startswith("__")
                or (key.startswith("_") and attr not in private)
            ):
                raise Invalid(f"{cls.__name__} has no fitted attribute {attr!r} to load.")
            setattr(model, attr, decode_value(node, self, depth + 1))
        model._restore_derived()
        return model

    def _pipeline(self, steps, depth):
        if not isinstance(steps, list) or not steps:
            raise Invalid("a Pipeline needs a non-empty list of steps.")
        for step in steps:
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)):
                raise Invalid("each step of a Pipeline must be a [name, model] pair.")
        names = [name for name, _ in steps]
        if len(set(names)) < len(names) or any("__" in n or not n for n in names):
            raise Invalid(f"the Pipeline's step names {names[:5]} are not unique plain names.")
        return Pipeline([(name, self.model(step, depth + 1)) for name, step in steps])
