"""Model files that loading cannot turn into code execution.

A model file is a zip archive of two members:

- ``model.json``: the format and its version, package versions, and the model as a tree of
  plain JSON: class name (from a fixed list), parameters, vocabulary, classes, history;
- ``arrays.npz``: every numeric array (weights, counts), read with ``allow_pickle=False``.

Nothing is unpickled, so a crafted file can at worst be refused. joblib and pickle files,
by contrast, run code when loaded: load those only from sources you trust.
"""

import hashlib
import io
import json
import numbers
import os
import zipfile
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import torch
from scipy import sparse
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._validation import as_state_array
from .baselines import MarkovClassifier, VariableOrderMarkovClassifier
from .encoding import StateEncoder
from .estimators import NextStateClassifier

FORMAT = "sklearn_seqlab.model"
FORMAT_VERSION = 1


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

    Notes
    -----
    Parameters that are not plain values (``callbacks``, a ``RandomState`` instance) are
    not stored; the loaded model has their default and ``model.json`` lists them under
    ``params_not_saved``.
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
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(document, indent=1))
        archive.writestr("arrays.npz", npz)


def load_model(path):
    """Load a model saved by :func:`save_model`, executing nothing from the file.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    model : estimator or Pipeline
        The fitted model, with the same predictions as the one saved.

    Raises
    ------
    ValueError
        If the file is not a model file of this format (for instance a pickle or joblib
        file), was modified after saving, or was written by a newer format version.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {"model.json", "arrays.npz"}:
                raise ValueError(f"{os.fspath(path)!r} is a zip file but not a model file.")
            document = json.loads(archive.read("model.json"))
            npz = archive.read("arrays.npz")
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(
            f"{os.fspath(path)!r} is not a sklearn_seqlab model file. Pickle and joblib files "
            "are refused, since loading them can run code: load those with joblib only if "
            "you trust their source."
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a sklearn_seqlab model file.")
    found = document.get("format_version")
    if not isinstance(found, int) or found > FORMAT_VERSION:
        raise ValueError(
            f"{os.fspath(path)!r} has format version {found!r}, newer than this package "
            f"reads ({FORMAT_VERSION}); upgrade sklearn-seqlab."
        )
    if document.get("checksum") != _checksum(document.get("model"), npz):
        raise ValueError(
            f"{os.fspath(path)!r} was modified after it was saved (checksum mismatch)."
        )
    with np.load(io.BytesIO(npz), allow_pickle=False) as arrays:
        return _load(document["model"], dict(arrays))


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
    prefix = f"a{len(arrays)}_"
    state, own_arrays = _DUMPERS[kind](model, arrays)
    for key, value in own_arrays.items():
        arrays[prefix + key] = value
    return {
        "class": kind,
        "params": params,
        "params_not_saved": not_saved,
        "state": state,
        "arrays": {key: prefix + key for key in own_arrays},
    }


def _load(tree, arrays):
    if not isinstance(tree, dict) or tree.get("class") not in {*_LOADERS, "Pipeline"}:
        raise ValueError("The model file names a class this package does not load.")
    if tree["class"] == "Pipeline":
        return Pipeline([(name, _load(step, arrays)) for name, step in tree["steps"]])
    model = _classes()[tree["class"]](**tree["params"])
    own = {key: arrays[name] for key, name in tree["arrays"].items()}
    _LOADERS[tree["class"]](model, tree["state"], own, arrays)
    return model


def _plain_params(params):
    plain, not_saved = {}, []
    for key, value in params.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if value is None or isinstance(value, (bool, str, numbers.Integral, numbers.Real)):
            plain[key] = value.item() if isinstance(value, np.generic) else value
        else:
            not_saved.append(key)
    return plain, not_saved


def _dump_encoder(enc, arrays):
    state = {
        "states": _states_to_json(enc.states_),
        "infrequent_states": _states_to_json(enc.infrequent_states_),
    }
    return state, {"state_counts": enc.state_counts_}


def _load_encoder(enc, state, own, arrays):
    enc.states_ = as_state_array(_states_from_json(state["states"]))
    enc.infrequent_states_ = as_state_array(_states_from_json(state["infrequent_states"]))
    enc.state_counts_ = own["state_counts"]
    enc._index_vocabulary()


def _dump_classifier_base(clf, arrays):
    """What every next-state classifier holds: classes, input vocabulary, encoder."""
    state = {
        "classes": _states_to_json(clf.classes_),
        "n_codes": int(clf.n_codes_),
        "unknown_proba": float(clf.unknown_proba_),
        "encoder": None if clf.encoder_ is None else _dump(clf.encoder_, arrays),
        # fitted on encoded input, the vocabulary of its codes is not the encoder's
        "input_states": None if clf.encoder_ is not None else _states_to_json(clf._input_states),
    }
    return state, {"code_to_class": clf._code_to_class}


def _load_classifier_base(clf, state, own, arrays):
    clf.classes_ = as_state_array(_states_from_json(state["classes"]))
    clf.n_codes_ = state["n_codes"]
    clf.unknown_proba_ = state["unknown_proba"]
    clf.encoder_ = None if state["encoder"] is None else _load(state["encoder"], arrays)
    clf._code_to_class = own["code_to_class"]
    if clf.encoder_ is not None:
        clf._input_states = clf.encoder_.states_
    else:
        clf._input_states = as_state_array(_states_from_json(state["input_states"]))


def _dump_neural(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    state["history"] = _history_to_json(clf.history_)
    state["checkpoint_path"] = clf.checkpoint_path_
    for key, tensor in clf.net_.module_.state_dict().items():
        own["weight:" + key] = tensor.detach().cpu().numpy()
    return state, own


def _load_neural(clf, state, own, arrays):
    _load_classifier_base(clf, state, own, arrays)
    clf._reset_random_streams()
    clf.checkpoint_path_ = state["checkpoint_path"]
    clf._build_net()
    weights = {k[len("weight:") :]: torch.from_numpy(v) for k, v in own.items() if ":" in k}
    clf.net_.module_.load_state_dict(weights)
    clf.net_.module_.eval()
    clf.net_.history = History(state["history"])
    clf.history_ = clf.net_.history


def _dump_markov(clf, arrays):
    state, own = _dump_classifier_base(clf, arrays)
    own.update(_csr_arrays("transitions", clf.transition_counts_))
    own["unigram_counts"] = clf.unigram_counts_
    return state, own


def _load_markov(clf, state, own, arrays):
    _load_classifier_base(clf, state, own, arrays)
    clf.transition_counts_ = _csr_from(own, "transitions")
    clf.unigram_counts_ = own["unigram_counts"]


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


def _load_variable_order(clf, state, own, arrays):
    _load_classifier_base(clf, state, own, arrays)
    clf.discounts_ = own["discounts"] if state["has_discounts"] else None
    clf._unigram = own["unigram"]
    clf.contexts_, clf.counts_, clf._tables = [], [], []
    for k in range(clf.max_order + 1):
        rows = own[f"contexts{k}"].tolist()
        clf.contexts_.append({tuple(row): i for i, row in enumerate(rows)})
        clf.counts_.append(_csr_from(own, f"counts{k}"))
        clf._tables.append((_csr_from(own, f"probs{k}"), own[f"backoff{k}"]))


def _csr_arrays(name, matrix):
    return {
        f"{name}.data": matrix.data,
        f"{name}.indices": matrix.indices,
        f"{name}.indptr": matrix.indptr,
        f"{name}.shape": np.array(matrix.shape, dtype=np.int64),
    }


def _csr_from(own, name):
    shape = tuple(int(n) for n in own[f"{name}.shape"])
    parts = (own[f"{name}.data"], own[f"{name}.indices"], own[f"{name}.indptr"])
    return sparse.csr_matrix(parts, shape=shape)


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
        return tuple(_state_from_json(s) for s in state["tuple"])
    return state


def _classes():
    return {
        "StateEncoder": StateEncoder,
        "NextStateClassifier": NextStateClassifier,
        "MarkovClassifier": MarkovClassifier,
        "VariableOrderMarkovClassifier": VariableOrderMarkovClassifier,
    }


_DUMPERS = {
    "StateEncoder": _dump_encoder,
    "NextStateClassifier": _dump_neural,
    "MarkovClassifier": _dump_markov,
    "VariableOrderMarkovClassifier": _dump_variable_order,
}
_LOADERS = {
    "StateEncoder": _load_encoder,
    "NextStateClassifier": _load_neural,
    "MarkovClassifier": _load_markov,
    "VariableOrderMarkovClassifier": _load_variable_order,
}
