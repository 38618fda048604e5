"""Model files that loading cannot turn into code execution.

A model file is a zip archive of two members:

- ``model.json``: the format and its version, package versions, and the model as a tree of
  plain JSON: class name (from a fixed list), parameters, vocabulary, classes, history;
- ``arrays.npz``: every numeric array (weights, counts, optimizer and random state), read
  with ``allow_pickle=False``.

Nothing is unpickled, so a crafted file can at worst be refused. joblib and pickle files,
by contrast, run code when loaded: load those only from sources you trust.

The checksum inside catches accidental damage, not tampering: anyone who edits a file can
recompute it. So :func:`load_model` treats every file as untrusted input. It bounds what it
reads (:data:`MAX_JSON_BYTES`, :data:`MAX_EXPANSION`), reads only the arrays the model names
and refuses any other, checks the parameters as ``fit`` does and every array's shape and
values against them before building anything, and never takes a path from the file.
"""

import hashlib
import io
import json
import numbers
import os
import zipfile
import zlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import torch
from scipy import sparse
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._validation import as_state_array
from .baselines import MarkovClassifier, VariableOrderMarkovClassifier
from .chords import chord_parts
from .encoding import N_RESERVED, NO_CLASS, StateEncoder
from .estimators import NextStateClassifier
from .hybrid import HybridClassifier
from .training import check_device

FORMAT = "sklearn_seqlab.model"
FORMAT_VERSION = 2
"""Version 2 adds the input vocabulary, the random and optimizer state; version 1 files load."""

MAX_JSON_BYTES = 64 * 2**20
"""Largest ``model.json`` read: room for a vocabulary of millions of states."""
MAX_EXPANSION = 100
"""Largest ratio of a member's size to its compressed size (beyond 4 MiB). Real model files
expand 1 to 12 times; a file of zeros or blanks expands about 1000 times."""
_EXPANSION_FLOOR = 4 * 2**20
FUNCTIONS = {"sklearn_seqlab.chords.chord_parts": chord_parts}
"""The functions a parameter may name in a model file (``StateEncoder(state_features=)``)."""
MAX_DEPTH = 64
"""Deepest nesting of JSON values (and of Pipelines) read."""
_DOCUMENT_KEYS = {"format", "format_version", "versions", "model", "checksum"}


def save_model(model, path):
    """Save a fitted model in the safe format.

    Parameters
    ----------
    model : StateEncoder, NextStateClassifier, count baseline, or Pipeline of these
        A fitted model.
    path : str or path-like
        File to write.

    Raises
    ------
    TypeError
        If the model, a step, or one of its states cannot be stored in this format.
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
    arrays = {}
    tree = _dump(model, arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    npz = buffer.getvalue()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": {name: _version(name) for name in ("sklearn-seqlab", "torch", "skorch")},
        "model": tree,
    }
    document["checksum"] = _checksum(document["model"], npz)
    text = json.dumps(document, separators=(",", ":")).encode()
    if len(text) > MAX_JSON_BYTES:
        raise ValueError(
            f"The model's description takes {len(text)} bytes, more than load_model reads "
            f"(MAX_JSON_BYTES={MAX_JSON_BYTES}); use joblib for a model this large."
        )
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in (("model.json", text), ("arrays.npz", npz)):
            # data that compresses too well would look like a zip bomb to load_model
            method = zipfile.ZIP_DEFLATED
            if len(data) > _EXPANSION_FLOOR and len(data) > MAX_EXPANSION * len(
                zlib.compress(data, 1)
            ):
                method = zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)


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
        member that expands more than :data:`MAX_EXPANSION` times, a parameter ``fit``
        would refuse, an array the model does not name, or one whose shape or values do not
        fit the model. Every message names the file and the fault.
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ValueError(f"{name!r} is a directory, not a sklearn_seqlab model file.")
    try:
        with zipfile.ZipFile(path) as archive:
            raw, npz = _read_members(archive, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise ValueError(
            f"{name!r} is not a sklearn_seqlab model file. Pickle and joblib files "
            "are refused, since loading them can run code: load those with joblib only if "
            "you trust their source."
        ) from None
    document = _parse_document(raw, name)
    if document.get("checksum") != _checksum(document["model"], npz):
        raise ValueError(f"{name!r} was modified after it was saved (checksum mismatch).")
    try:
        arrays = _Arrays(npz)
        model = _load(document["model"], arrays, depth=0)
        arrays.check_all_used()
    except _Invalid as exc:
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


class _Invalid(ValueError):
    """What is wrong with a model file; load_model adds the file's name."""


def _read_members(archive, name):
    """The bytes of ``model.json`` and ``arrays.npz``, after checking names and sizes."""
    members = [info.filename for info in archive.infolist()]
    if sorted(members) != ["arrays.npz", "model.json"]:
        if len(set(members)) < len(members):
            raise ValueError(f"{name!r} holds duplicate members {sorted(members)}; refused.")
        raise ValueError(
            f"{name!r} is a zip file but not a model file (members {sorted(members)[:5]}, "
            "expected model.json and arrays.npz)."
        )
    for info in archive.infolist():
        if info.filename == "model.json" and info.file_size > MAX_JSON_BYTES:
            raise ValueError(
                f"{name!r}: model.json holds {info.file_size} bytes, more than a model needs "
                f"(MAX_JSON_BYTES={MAX_JSON_BYTES}); refused."
            )
        if info.file_size > max(_EXPANSION_FLOOR, MAX_EXPANSION * info.compress_size):
            raise ValueError(
                f"{name!r}: {info.filename} expands from {info.compress_size} to "
                f"{info.file_size} bytes, far more than model data does (padding or a zip "
                "bomb); refused."
            )
    # zipfile stops at the declared size (and checks the CRC), so these reads are bounded
    return archive.read("model.json"), archive.read("arrays.npz")


def _parse_document(raw, name):
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(
            f"{name!r} is not a sklearn_seqlab model file: model.json is not JSON."
        ) from None
    except RecursionError:
        raise ValueError(f"{name!r}: model.json is nested too deeply; refused.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{name!r} is not a sklearn_seqlab model file.")
    found = document.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found > FORMAT_VERSION:
        raise ValueError(
            f"{name!r} has format version {found!r}, newer than this package "
            f"reads ({FORMAT_VERSION}); upgrade sklearn-seqlab."
        )
    missing = sorted(_DOCUMENT_KEYS - set(document))
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if missing or unknown:
        raise ValueError(
            f"{name!r} is not a valid model file: model.json "
            + (f"lacks {missing}" if missing else f"has unknown keys {unknown[:5]}")
            + "."
        )
    if _depth(document) > MAX_DEPTH:
        raise ValueError(f"{name!r}: model.json is nested deeper than {MAX_DEPTH} levels; refused.")
    return document


def _depth(value):
    """Nesting depth of a JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


class _Arrays:
    """The arrays of ``arrays.npz``, read one by one after checking each header.

    ``get`` reads an array only when its shape and kind are those the model needs;
    ``check_all_used`` refuses a file that holds arrays no part of the model named.
    """

    def __init__(self, npz):
        self.zip = zipfile.ZipFile(io.BytesIO(npz))
        names = [info.filename for info in self.zip.infolist()]
        if len(set(names)) < len(names) or not all(n.endswith(".npy") for n in names):
            raise _Invalid("arrays.npz holds duplicate or non-array members.")
        self.infos = {info.filename[:-4]: info for info in self.zip.infolist()}
        self.used = set()

    def get(self, name, shape, kinds, limit=None):
        """The array ``name``, whose shape must match ``shape`` (None: any length up to
        ``limit``) and whose dtype kind must be in ``kinds``."""
        if not isinstance(name, str) or name not in self.infos:
            raise _Invalid(f"the array {name!r} the model names is missing.")
        if name in self.used:
            raise _Invalid(f"the array {name!r} is named twice.")
        self.used.add(name)
        with self.zip.open(self.infos[name]) as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            found, fortran, dtype = read_header(member)
            expected = tuple(
                found[i] if n is None and i < len(found) else n for i, n in enumerate(shape)
            )
            if found != expected or dtype.kind not in kinds or dtype.hasobject:
                raise _Invalid(
                    f"the array {name!r} has shape {found} and dtype {dtype}; the model needs "
                    f"shape {expected} of kind {kinds!r}."
                )
            if limit is not None and any(
                n is None and found[i] > limit for i, n in enumerate(shape)
            ):
                raise _Invalid(f"the array {name!r} ({found}) is larger than the model needs.")
            if self.infos[name].file_size > dtype.itemsize * int(np.prod(found)) + 65536:
                raise _Invalid(f"the array {name!r} is padded beyond its data.")
            member.seek(0)
            array = np.lib.format.read_array(member, allow_pickle=False)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise _Invalid(f"the array {name!r} holds values that are not finite.")
        return array

    def check_all_used(self):
        extra = sorted(set(self.infos) - self.used)
        if extra:
            raise _Invalid(f"arrays.npz holds arrays the model does not name: {extra[:5]}.")


class _Own:
    """The arrays one model of the tree names: its keys mapped to names in arrays.npz."""

    def __init__(self, mapping, arrays):
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise _Invalid("'arrays' must map names to names.")
        self.mapping, self.arrays = mapping, arrays

    def __contains__(self, key):
        return key in self.mapping

    def keys(self):
        return self.mapping.keys()

    def get(self, key, shape, kinds, limit=None):
        if key not in self.mapping:
            raise _Invalid(f"the model names no array {key!r}.")
        return self.arrays.get(self.mapping[key], shape, kinds, limit)

    def check_all_used(self):
        unused = sorted(set(self.mapping.values()) - self.arrays.used)
        if unused:
            raise _Invalid(f"the model names arrays it does not use: {unused[:5]}.")


def _checksum(tree, npz):
    digest = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    digest.update(npz)
    return digest.hexdigest()


def _version(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# ---- one dumper and one loader per class ---------------------------------------------------


def _dump(model, arrays):
    if isinstance(model, Pipeline):
        return {
            "class": "Pipeline",
            "steps": [[name, _dump(step, arrays)] for name, step in model.steps],
        }
    kind = type(model).__name__
    if kind not in _DUMPERS or type(model) is not _classes()[kind]:
        raise TypeError(
            f"{kind} cannot be saved in the safe format, which holds only "
            f"{sorted(_DUMPERS)} and Pipelines of them; use joblib for other models."
        )
    check_is_fitted(model)
    params, not_saved = _plain_params(model.get_params(deep=False))
    number = len(arrays)
    state, own_arrays = _DUMPERS[kind](model, arrays)
    # nested models (a hybrid's networks) stored theirs meanwhile: keep the names apart
    while any(f"a{number}_{key}" in arrays for key in own_arrays):
        number += 1
    prefix = f"a{number}_"
    for key, value in own_arrays.items():
        arrays[prefix + key] = value
    return {
        "class": kind,
        "params": params,
        "params_not_saved": not_saved,
        "state": state,
        "arrays": {key: prefix + key for key in own_arrays},
    }


def _load(tree, arrays, depth):
    if depth > MAX_DEPTH:
        raise _Invalid(f"models are nested deeper than {MAX_DEPTH} levels.")
    if not isinstance(tree, dict) or tree.get("class") not in {*_LOADERS, "Pipeline"}:
        raise _Invalid("it names a class this package does not load.")
    if tree["class"] == "Pipeline":
        steps = tree.get("steps")
        if not isinstance(steps, list) or not steps:
            raise _Invalid("a Pipeline needs a non-empty list of steps.")
        for step in steps:
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)):
                raise _Invalid("each step of a Pipeline must be a [name, model] pair.")
        names = [name for name, _ in steps]
        if len(set(names)) < len(names) or any("__" in n or not n for n in names):
            raise _Invalid(f"the Pipeline's step names {names[:5]} are not unique plain names.")
        return Pipeline([(name, _load(step, arrays, depth + 1)) for name, step in steps])
    for key in ("params", "state", "arrays"):
        if not isinstance(tree.get(key), dict):
            raise _Invalid(f"the {tree['class']} has no {key!r} object.")
    model = _build(tree["class"], tree["params"])
    own = _Own(tree["arrays"], arrays)
    _LOADERS[tree["class"]](model, tree["state"], own, arrays, depth)
    own.check_all_used()
    return model


def _build(kind, params):
    """The estimator with the file's parameters, checked as ``fit`` checks them."""
    cls = _classes()[kind]
    known = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - known)
    if unknown:
        raise _Invalid(f"{kind} has no parameter(s) {unknown[:5]}.")
    params = {key: _param_value(kind, key, value, 0) for key, value in params.items()}
    if "checkpoint_dir" in params:  # a path from another machine, or a crafted one: never used
        params["checkpoint_dir"] = None
    model = cls(**params)
    if "device" in params:
        try:
            check_device(model.device)
        except ValueError:  # trained on a GPU this machine lacks: load it on the CPU
            model.device = "cpu"
        except TypeError as exc:
            raise _Invalid(str(exc)) from None
    try:
        model._check_params()
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"a parameter of {kind} is refused as fit would refuse it: {exc}") from None
    return model


def _plain_params(params):
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
            inner, inner_not_saved = _plain_params(value.get_params(deep=False))
            if inner_not_saved:
                not_saved.append(key)
            else:
                plain[key] = {"estimator": type(value).__name__, "params": inner}
        elif any(value is f for f in FUNCTIONS.values()):
            plain[key] = {"function": next(k for k, f in FUNCTIONS.items() if f is value)}
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
                return cls(**params)
    raise _Invalid(f"parameter {key}={value!r} of {kind} is not a value this format holds.")


def _dump_encoder(enc, arrays):
    if enc.state_features is not None and not any(
        enc.state_features is f for f in FUNCTIONS.values()
    ):
        raise TypeError(
            "This StateEncoder's state_features is a function of your own, which the safe "
            f"format cannot hold (it holds {sorted(FUNCTIONS)}); use joblib for this model."
        )
    state = {
        "states": _states_to_json(enc.states_),
        "infrequent_states": _states_to_json(enc.infrequent_states_),
        "feature_names": [_state_to_json(name) for name in enc.feature_names_],
        "feature_states": [_states_to_json(v) for v in enc.feature_states_],
    }
    return state, {"state_counts": enc.state_counts_}


def _load_encoder(enc, state, own, arrays, depth):
    states = _vocabulary(state.get("states"), "states", minimum=1)
    enc.states_ = as_state_array(states)
    enc.infrequent_states_ = as_state_array(
        _vocabulary(state.get("infrequent_states"), "infrequent_states", minimum=0)
    )
    counts = own.get("state_counts", (len(states),), "iu")
    if (counts < 1).any():
        raise _Invalid("the encoder's state counts must be positive.")
    enc.state_counts_ = counts
    names = state.get("feature_names", [])  # format version 1 had no extra features
    vocabularies = state.get("feature_states", [])
    if not isinstance(names, list) or not isinstance(vocabularies, list):
        raise _Invalid("the encoder's feature_names and feature_states must be lists.")
    expected = len(names) if enc.state_features is None else None
    if len(vocabularies) < len(names) or expected not in (None, len(vocabularies)):
        raise _Invalid("the encoder's feature_states do not match its features.")
    enc.feature_names_ = [_state_from_json(name) for name in names]
    enc.feature_states_ = [
        as_state_array(_vocabulary(v, "feature_states", minimum=0)) for v in vocabularies
    ]
    enc._index_vocabulary()


def _dump_classifier_base(clf, arrays):
    """What every next-state classifier holds: classes, input vocabulary, encoder."""
    state = {
        "classes": _states_to_json(clf.classes_),
        "n_codes": int(clf.n_codes_),
        "feature_sizes": [int(n) for n in clf.feature_sizes_],
        "unknown_proba": float(clf.unknown_proba_),
        "encoder": None if clf.encoder_ is None else _dump(clf.encoder_, arrays),
        # fitted on encoded input, the vocabulary of its codes is not the encoder's
        "input_states": None if clf.encoder_ is not None else _states_to_json(clf._input_states),
    }
    return state, {"code_to_class": clf._code_to_class}


def _load_classifier_base(clf, state, own, arrays, depth):
    classes = _vocabulary(state.get("classes"), "classes", minimum=2)
    n_codes = state.get("n_codes")
    if not isinstance(n_codes, int) or isinstance(n_codes, bool) or n_codes <= N_RESERVED:
        raise _Invalid(f"n_codes must be an integer > {N_RESERVED}, got {n_codes!r}.")
    unknown = state.get("unknown_proba")
    if not isinstance(unknown, float) or not 0 < unknown < 1:
        raise _Invalid(f"unknown_proba must be a float in (0, 1), got {unknown!r}.")
    encoder = state.get("encoder")
    if encoder is not None:
        encoder = _load(encoder, arrays, depth + 1)
        if not isinstance(encoder, StateEncoder):
            raise _Invalid("a classifier's encoder must be a StateEncoder.")
        vocabulary = encoder.states_
    elif state.get("input_states") is not None:
        vocabulary = as_state_array(_vocabulary(state["input_states"], "input_states", 1))
    else:  # format version 1 did not save it: only the vocabulary's size is checked
        vocabulary = None
    if vocabulary is not None and len(vocabulary) + N_RESERVED != n_codes:
        raise _Invalid(f"the vocabulary holds {len(vocabulary)} states, but n_codes={n_codes}.")
    feature_sizes = state.get("feature_sizes", [])  # format version 1 had no extra features
    if not isinstance(feature_sizes, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= N_RESERVED for n in feature_sizes
    ):
        raise _Invalid(f"feature_sizes must be integers >= {N_RESERVED}, got {feature_sizes!r}.")
    feature_sizes = tuple(feature_sizes)
    code_to_class = own.get("code_to_class", (n_codes,), "i")
    if ((code_to_class < NO_CLASS) | (code_to_class >= len(classes))).any():
        raise _Invalid("code_to_class names classes that do not exist.")
    clf.classes_ = as_state_array(classes)
    clf.n_codes_ = n_codes
    clf.feature_sizes_ = feature_sizes
    clf.unknown_proba_ = unknown
    clf.encoder_ = encoder
    clf._code_to_class = code_to_class
    clf._input_states = vocabulary


def _dump_neural(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    state["history"] = _history_to_json(clf.history_)
    state["checkpoint_path"] = None  # a path on this machine: never saved, never read
    # tensors go through the CPU, so a model trained on a GPU loads where there is none
    for key, tensor in clf.net_.module_.state_dict().items():
        own["weight:" + key] = tensor.detach().cpu().numpy()
    rng = clf._rng.get_state()
    state["random_state"] = {
        "split_salt": int(clf._split_salt),
        "pos": int(rng[2]),
        "has_gauss": int(rng[3]),
        "cached_gaussian": float(rng[4]),
    }
    own["rng_keys"] = rng[1]
    # the optimizer's moments, so that partial_fit continues as it would have
    optimizer = clf.net_.optimizer_.state_dict()
    for index, values in optimizer["state"].items():
        for name, value in values.items():
            own[f"optimizer:{index}:{name}"] = torch.as_tensor(value).detach().cpu().numpy()
    return state, own


def _load_neural(clf, state, own, arrays, depth):
    _load_classifier_base(clf, state, own, arrays, depth)
    history = state.get("history")
    if not isinstance(history, list) or not all(isinstance(e, dict) for e in history):
        raise _Invalid("the history must be a list of objects, one per epoch.")
    clf.checkpoint_path_ = None  # whatever the file says: a loaded model writes nowhere
    clf._reset_random_streams()
    expected = _weight_shapes(clf)
    names = {k[len("weight:") :] for k in own.keys() if k.startswith("weight:")}
    if names != set(expected):
        raise _Invalid(
            f"the weights {sorted(names ^ set(expected))[:5]} do not fit a "
            f"{clf.module!r} module of these parameters."
        )
    weights = {k: own.get("weight:" + k, shape, "f") for k, shape in expected.items()}
    clf._build_net()  # on the CPU when the device saved is not on this machine
    clf.net_.module_.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    clf.net_.module_.eval()
    _load_optimizer(clf, own, expected)
    _load_random_state(clf, state.get("random_state"), own)
    clf.net_.history = History(history)
    clf.history_ = clf.net_.history


def _weight_shapes(clf):
    """The shape of every weight of the module the parameters describe, built on the meta
    device: nothing is allocated, so a crafted ``hidden_dim`` costs no memory here."""
    device = clf.device
    clf.device = None  # skorch leaves a module where it was built when device is None
    try:
        with torch.device("meta"):
            clf._build_net()
        return {k: tuple(v.shape) for k, v in clf.net_.module_.state_dict().items()}
    finally:
        clf.device = device
        clf._reset_random_streams()


def _load_optimizer(clf, own, shapes):
    """Put back the optimizer's state (absent from version 1 files: a fresh one then)."""
    keys = [k for k in own.keys() if k.startswith("optimizer:")]
    if not keys:
        return
    optimizer = clf.net_.optimizer_
    params = optimizer.state_dict()["param_groups"][0]["params"]
    sizes = [tuple(p.shape) for p in clf.net_.module_.parameters()]
    state = {}
    for key in keys:
        parts = key.split(":")
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) not in params:
            raise _Invalid(f"{key!r} names no parameter of the optimizer.")
        index = int(parts[1])
        value = own.get(key, sizes[params.index(index)] if parts[2] != "step" else (), "f")
        state.setdefault(index, {})[parts[2]] = torch.from_numpy(value)
    fresh = optimizer.state_dict()
    optimizer.load_state_dict({"state": state, "param_groups": fresh["param_groups"]})


def _load_random_state(clf, saved, own):
    if saved is None:  # version 1 files: the streams start afresh from random_state
        return
    if not isinstance(saved, dict):
        raise _Invalid("random_state must be an object.")
    salt, pos = saved.get("split_salt"), saved.get("pos")
    has_gauss, gauss = saved.get("has_gauss"), saved.get("cached_gaussian")
    if not (
        isinstance(salt, int)
        and isinstance(pos, int)
        and 0 <= pos <= 624
        and has_gauss in (0, 1)
        and isinstance(gauss, float)
    ):
        raise _Invalid("random_state holds values out of range.")
    keys = own.get("rng_keys", (624,), "u")
    rng = np.random.RandomState()
    rng.set_state(("MT19937", keys.astype(np.uint32), pos, has_gauss, gauss))
    clf._rng, clf._split_salt = rng, salt


def _dump_markov(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    own.update(_csr_arrays("transitions", clf.transition_counts_))
    own["unigram_counts"] = clf.unigram_counts_
    return state, own


def _load_markov(clf, state, own, arrays, depth):
    _load_classifier_base(clf, state, own, arrays, depth)
    n_classes = len(clf.classes_)
    clf.transition_counts_ = _csr_from(own, "transitions", clf.n_codes_, n_classes)
    clf.unigram_counts_ = _nonnegative(own.get("unigram_counts", (n_classes,), "f"), "unigram")


def _dump_variable_order(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    state["has_discounts"] = clf.discounts_ is not None
    if clf.discounts_ is not None:
        own["discounts"] = clf.discounts_
    own["unigram"] = clf._unigram
    for k, (index, counts, (probs, backoff)) in enumerate(
        zip(clf.contexts_, clf.counts_, clf._tables, strict=True)
    ):
        # contexts in row order, as a (n_contexts, k) array of codes
        own[f"contexts{k}"] = np.array(sorted(index, key=index.get), dtype=np.int64).reshape(
            len(index), k
        )
        own.update(_csr_arrays(f"counts{k}", counts))
        own.update(_csr_arrays(f"probs{k}", probs))
        own[f"backoff{k}"] = backoff
    return state, own


def _load_variable_order(clf, state, own, arrays, depth):
    _load_classifier_base(clf, state, own, arrays, depth)
    n_classes, n_codes = len(clf.classes_), clf.n_codes_
    if state.get("has_discounts") is not (clf.method == "kneser_ney"):
        raise _Invalid("discounts are saved exactly when method is 'kneser_ney'.")
    clf.discounts_ = None
    if state["has_discounts"]:
        clf.discounts_ = _nonnegative(
            own.get("discounts", (clf.max_order + 1, 3), "f"), "discounts"
        )
    clf._unigram = _nonnegative(own.get("unigram", (n_classes,), "f"), "unigram")
    clf.contexts_, clf.counts_, clf._tables = [], [], []
    for k in range(clf.max_order + 1):
        contexts = own.get(f"contexts{k}", (None, k), "i")
        if ((contexts < 0) | (contexts >= n_codes)).any():
            raise _Invalid(f"contexts{k} holds codes outside the vocabulary.")
        rows = [tuple(row) for row in contexts.tolist()]
        index = {row: i for i, row in enumerate(rows)}
        if len(index) < len(rows):
            raise _Invalid(f"contexts{k} holds a context twice.")
        clf.contexts_.append(index)
        clf.counts_.append(_csr_from(own, f"counts{k}", len(rows), n_classes))
        probs = _csr_from(own, f"probs{k}", len(rows), n_classes)
        backoff = _nonnegative(own.get(f"backoff{k}", (len(rows),), "f"), f"backoff{k}")
        if (probs.data > 1).any() or (backoff > 1).any():
            raise _Invalid(f"probabilities of order {k} exceed 1.")
        clf._tables.append((probs, backoff))


def _nonnegative(array, name):
    if (array < 0).any():
        raise _Invalid(f"{name} holds negative values.")
    return array


def _csr_arrays(name, matrix):
    return {
        f"{name}.data": matrix.data,
        f"{name}.indices": matrix.indices,
        f"{name}.indptr": matrix.indptr,
        f"{name}.shape": np.array(matrix.shape, dtype=np.int64),
    }


def _csr_from(own, name, n_rows, n_cols):
    """A count or probability matrix of shape (n_rows, n_cols), checked in full."""
    shape = own.get(f"{name}.shape", (2,), "iu").tolist()
    if shape != [n_rows, n_cols]:
        raise _Invalid(f"{name} has shape {shape}; the model needs {[n_rows, n_cols]}.")
    indptr = own.get(f"{name}.indptr", (n_rows + 1,), "iu")
    data = own.get(f"{name}.data", (None,), "f", limit=n_rows * n_cols)
    indices = own.get(f"{name}.indices", (len(data),), "iu")
    try:
        matrix = sparse.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))
        matrix.check_format(full_check=True)
    except ValueError as exc:
        raise _Invalid(f"{name} is not a valid sparse matrix: {exc}") from None
    _nonnegative(matrix.data, name)
    return matrix


def _vocabulary(states, name, minimum):
    """A list of distinct states from JSON, at least ``minimum`` of them."""
    if not isinstance(states, list) or len(states) < minimum:
        raise _Invalid(f"{name} must be a list of at least {minimum} state(s).")
    states = _states_from_json(states)
    if len(set(states)) < len(states):
        raise _Invalid(f"{name} holds a state twice.")
    return states


def _history_to_json(history):
    """skorch's history as plain JSON (its values are numbers, strings, bools and lists)."""
    return json.loads(json.dumps(list(history), default=float))


def _states_to_json(states):
    return [_state_to_json(s) for s in states.tolist()]


def _state_to_json(state):
    if isinstance(state, (bool, np.bool_)):
        return bool(state)
    if isinstance(state, numbers.Integral):
        return int(state)
    if isinstance(state, numbers.Real):
        return float(state)
    if isinstance(state, str):
        return state
    if isinstance(state, tuple):
        return {"tuple": [_state_to_json(s) for s in state]}
    raise TypeError(
        f"A state of type {type(state).__name__} ({state!r}) cannot be saved in the safe "
        "format, which holds strings, numbers, booleans and tuples of these."
    )


def _states_from_json(states):
    return [_state_from_json(s) for s in states]


def _state_from_json(state):
    if isinstance(state, dict):
        if set(state) != {"tuple"} or not isinstance(state["tuple"], list):
            raise _Invalid(f"a state must be a string, number, boolean or tuple, got {state!r}.")
        return tuple(_state_from_json(s) for s in state["tuple"])
    if state is None or not isinstance(state, (str, int, float, bool)):
        raise _Invalid(f"a state must be a string, number, boolean or tuple, got {state!r}.")
    return state


def _templates():
    """Classes whose unfitted instances may stand as parameters (see :func:`_plain_params`)."""
    from .augmentation import KeyTransposer, SubsequenceAugmenter

    return {
        "NextStateClassifier": NextStateClassifier,
        "MarkovClassifier": MarkovClassifier,
        "VariableOrderMarkovClassifier": VariableOrderMarkovClassifier,
        "KeyTransposer": KeyTransposer,
        "SubsequenceAugmenter": SubsequenceAugmenter,
    }


def _dump_hybrid(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    state["networks"] = [_dump(net, arrays) for net in clf.networks_]
    state["count_model"] = _dump(clf.count_model_, arrays)
    state["network_weight"] = float(clf.network_weight_)
    log_likelihood = clf.validation_log_likelihood_
    state["validation_log_likelihood"] = None if log_likelihood is None else log_likelihood.tolist()
    return state, own


def _load_hybrid(clf, state, own, arrays, depth):
    _load_classifier_base(clf, state, own, arrays, depth)
    networks = state.get("networks")
    if not isinstance(networks, list) or not networks:
        raise _Invalid("a HybridClassifier needs a non-empty list of networks.")
    clf.networks_ = [_load(tree, arrays, depth + 1) for tree in networks]
    clf.count_model_ = _load(state.get("count_model"), arrays, depth + 1)
    if not all(isinstance(net, NextStateClassifier) for net in clf.networks_) or not isinstance(
        clf.count_model_, (MarkovClassifier, VariableOrderMarkovClassifier)
    ):
        raise _Invalid("a HybridClassifier's components are of the wrong classes.")
    for component in [*clf.networks_, clf.count_model_]:
        if not set(component.classes_.tolist()) <= set(clf.classes_.tolist()):
            raise _Invalid("a HybridClassifier's component predicts states it does not know.")
    weight = state.get("network_weight")
    if not isinstance(weight, float) or not 0.0 <= weight <= 1.0:
        raise _Invalid(f"network_weight must be a float in [0, 1], got {weight!r}.")
    clf.network_weight_ = weight
    log_likelihood = state.get("validation_log_likelihood")
    if log_likelihood is not None:
        if not isinstance(log_likelihood, list) or not all(
            isinstance(v, float) for v in log_likelihood
        ):
            raise _Invalid("validation_log_likelihood must be a list of floats.")
        log_likelihood = np.asarray(log_likelihood)
    clf.validation_log_likelihood_ = log_likelihood


def _classes():
    return {
        "StateEncoder": StateEncoder,
        "NextStateClassifier": NextStateClassifier,
        "MarkovClassifier": MarkovClassifier,
        "VariableOrderMarkovClassifier": VariableOrderMarkovClassifier,
        "HybridClassifier": HybridClassifier,
    }


_DUMPERS = {
    "StateEncoder": _dump_encoder,
    "NextStateClassifier": _dump_neural,
    "MarkovClassifier": _dump_markov,
    "VariableOrderMarkovClassifier": _dump_variable_order,
    "HybridClassifier": _dump_hybrid,
}
_LOADERS = {
    "StateEncoder": _load_encoder,
    "NextStateClassifier": _load_neural,
    "MarkovClassifier": _load_markov,
    "VariableOrderMarkovClassifier": _load_variable_order,
    "HybridClassifier": _load_hybrid,
}
