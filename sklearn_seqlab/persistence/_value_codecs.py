"""One encoder and one decoder per type of value a fitted model holds.

A value becomes plain JSON, with its numbers in named arrays of ``arrays.npz``: JSON
scalars stay as they are, a list is a JSON list, and every other value is an object
``{"type": ..., ...}`` whose type is one of :data:`DECODERS`. A fitted estimator (a
classifier's encoder, a hybrid's networks) is a model node, which the caller encodes and
decodes (see :mod:`sklearn_seqlab.persistence`). Decoding builds only these types, so a
crafted file can name nothing else; every other type is refused when saving, by name.
"""

import json
import numbers

import numpy as np
import torch
from scipy import sparse
from skorch import NeuralNet
from skorch.history import History

from ._model_file import MAX_DEPTH, Invalid

_SPARSE = {
    cls.__name__: cls
    for cls in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array, sparse.csc_array)
}


def encode_value(value, out, name):
    """``value`` as JSON; ``out.array(name, array)`` stores an array and returns its name in
    the file, ``out.model(value, name)`` encodes a fitted estimator (None if it is none).

    Raises TypeError, saying "a value of type ..." for the caller to name where it is.
    """
    if value is None or type(value) in (bool, str, int, float):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"type": "scalar", "dtype": value.dtype.str, "value": value.item()}
    if type(value) is list:
        return [encode_value(v, out, f"{name}.{i}") for i, v in enumerate(value)]
    if type(value) is tuple:
        return {"type": "tuple", "items": encode_value(list(value), out, name)}
    if type(value) is dict:
        return _encode_dict(value, out, name)
    if type(value) is np.ndarray:
        if value.dtype.kind in "biuf":
            return {"type": "ndarray", "array": out.array(name, value)}
        if value.dtype.kind == "O" and value.ndim == 1:
            return {"type": "states", "items": [_encode_state(s, out) for s in value.tolist()]}
    if type(value) in _SPARSE.values():
        return {
            "type": type(value).__name__,
            "shape": [int(n) for n in value.shape],
            **{part: out.array(f"{name}.{part}", getattr(value, part)) for part in _PARTS},
        }
    if isinstance(value, torch.Tensor):
        # through the CPU, so that a model trained on a GPU loads where there is none
        return {"type": "tensor", "array": out.array(name, value.detach().cpu().numpy())}
    if type(value) is np.random.RandomState:
        _, keys, pos, has_gauss, gaussian = value.get_state()
        return {
            "type": "RandomState",
            "keys": out.array(name, keys),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(gaussian),
        }
    if type(value) is History:
        # skorch logs numbers, strings, booleans and lists: plain JSON once floats are floats
        return {"type": "History", "epochs": json.loads(json.dumps(list(value), default=float))}
    if type(value) is NeuralNet:
        return {
            "type": "NeuralNet",
            "module": encode_value(dict(value.module_.state_dict()), out, f"{name}.module"),
            "optimizer": encode_value(value.optimizer_.state_dict()["state"], out, f"{name}.opt"),
        }
    model = out.model(value, name)
    if model is not None:
        return model
    raise TypeError(
        f"a value of type {type(value).__name__}, which the safe format cannot hold (it "
        f"holds {sorted(DECODERS)}, JSON values, lists and the package's estimators); use "
        "joblib for this model."
    )


_PARTS = ("data", "indices", "indptr")


def _encode_dict(value, out, name):
    keys = list(value)
    # an index (distinct tuples of integers numbered 0 to n-1, as contexts_) is an array
    if (
        keys
        and all(type(k) is tuple and len(k) == len(keys[0]) for k in keys)
        and all(type(c) is int for k in keys for c in k)
        and sorted(value.values()) == list(range(len(keys)))
        and all(type(v) is int for v in value.values())
    ):
        rows = np.array(sorted(keys, key=value.get), dtype=np.int64).reshape(len(keys), -1)
        return {"type": "index", "keys": out.array(name, rows)}
    items = [
        [encode_value(k, out, f"{name}.key{i}"), encode_value(v, out, f"{name}.{i}")]
        for i, (k, v) in enumerate(value.items())
    ]
    return {"type": "dict", "items": items}


def _encode_state(state, out):
    """A state of a vocabulary: a string, number, boolean, or tuple of these."""
    if isinstance(state, tuple):
        return {"type": "tuple", "items": [_encode_state(s, out) for s in state]}
    if isinstance(state, (str, numbers.Number)) and not isinstance(state, complex):
        return encode_value(state, out, "state")
    raise TypeError(
        f"a state of type {type(state).__name__} ({state!r}), which the safe format cannot "
        "hold: it holds strings, numbers, booleans and tuples of these."
    )


def decode_value(node, src, depth):
    """The value ``node`` stands for; ``src.arrays`` reads arrays, ``src.model(node, depth)``
    decodes a model node. Raises :class:`Invalid` for anything but the types above."""
    if depth > MAX_DEPTH:
        raise Invalid(f"values are nested deeper than {MAX_DEPTH} levels.")
    if node is None or type(node) in (bool, str, int, float):
        return node
    if type(node) is list:
        return [decode_value(v, src, depth + 1) for v in node]
    if type(node) is dict and "class" in node:
        return src.model(node, depth + 1)
    kind = node.get("type") if type(node) is dict else None
    if kind not in DECODERS:
        raise Invalid(f"it holds a value of type {kind!r}, which this package does not load.")
    return DECODERS[kind](node, src, depth)


def _field(node, key, kinds):
    value = node.get(key)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise Invalid(f"a {node['type']} needs {key!r} of type {kinds}, got {value!r}.")
    return value


def _decode_scalar(node, src, depth):
    try:
        dtype = np.dtype(_field(node, "dtype", str))
    except TypeError:
        raise Invalid(f"{node['dtype']!r} is not a dtype.") from None
    value = _field(node, "value", (bool, int, float))
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise Invalid(f"a scalar of dtype {dtype} is not a number.")
    return dtype.type(value)


def _decode_tuple(node, src, depth):
    return tuple(decode_value(_field(node, "items", list), src, depth + 1))


def _decode_dict(node, src, depth):
    out = {}
    for item in _field(node, "items", list):
        if not (isinstance(item, list) and len(item) == 2):
            raise Invalid("each item of a dict must be a [key, value] pair.")
        key = decode_value(item[0], src, depth + 1)
        try:
            hash(key)
        except TypeError:
            raise Invalid(f"a dict's key {key!r} is not hashable.") from None
        out[key] = decode_value(item[1], src, depth + 1)
    return out


def _decode_index(node, src, depth):
    keys = src.arrays.get(_field(node, "keys", str), "iu")
    if keys.ndim != 2:
        raise Invalid(f"the keys of an index must be a 2-D array, not of shape {keys.shape}.")
    rows = [tuple(row) for row in keys.tolist()]
    index = {row: i for i, row in enumerate(rows)}
    if len(index) < len(rows):
        raise Invalid("an index holds a key twice.")
    return index


def _decode_ndarray(node, src, depth):
    return src.arrays.get(_field(node, "array", str))


def _decode_states(node, src, depth):
    states = [_decode_state(s, src, depth + 1) for s in _field(node, "items", list)]
    out = np.empty(len(states), dtype=object)
    out[:] = states
    return out


def _decode_state(node, src, depth):
    if type(node) is dict and node.get("type") == "tuple":
        return tuple(_decode_state(s, src, depth + 1) for s in _field(node, "items", list))
    state = decode_value(node, src, depth)
    if state is None or not isinstance(state, (str, numbers.Number)):
        raise Invalid(f"a state must be a string, number, boolean or tuple, got {state!r}.")
    return state


def _decode_sparse(node, src, depth):
    shape = _field(node, "shape", list)
    if len(shape) != 2 or not all(type(n) is int and n >= 0 for n in shape):
        raise Invalid(f"a sparse matrix's shape must be two sizes, got {shape!r}.")
    data = src.arrays.get(_field(node, "data", str), "biuf")
    indices, indptr = (src.arrays.get(_field(node, part, str), "iu") for part in _PARTS[1:])
    if data.ndim != 1 or data.shape != indices.shape or indptr.ndim != 1:
        raise Invalid("a sparse matrix's data and indices must be 1-D arrays of one length.")
    try:
        matrix = _SPARSE[node["type"]]((data, indices, indptr), shape=tuple(shape))
        matrix.check_format(full_check=True)
    except ValueError as exc:
        raise Invalid(f"a {node['type']} is malformed: {exc}") from None
    return matrix


def _decode_tensor(node, src, depth):
    return torch.from_numpy(src.arrays.get(_field(node, "array", str)))


def _decode_random_state(node, src, depth):
    keys = src.arrays.get(_field(node, "keys", str), "u")
    pos, has_gauss = _field(node, "pos", int), _field(node, "has_gauss", int)
    gaussian = _field(node, "cached_gaussian", float)
    if keys.shape != (624,) or not 0 <= pos <= 624 or has_gauss not in (0, 1):
        raise Invalid("a RandomState holds values out of range.")
    rng = np.random.RandomState()
    rng.set_state(("MT19937", keys.astype(np.uint32), pos, has_gauss, gaussian))
    return rng


def _decode_history(node, src, depth):
    epochs = _field(node, "epochs", list)
    if not all(isinstance(e, dict) for e in epochs):
        raise Invalid("the history must be a list of objects, one per epoch.")
    return History(epochs)


def _decode_net(node, src, depth):
    module = decode_value(node.get("module"), src, depth + 1)
    optimizer = decode_value(node.get("optimizer"), src, depth + 1)
    return SavedNet(module, optimizer)


DECODERS = {
    "scalar": _decode_scalar,
    "tuple": _decode_tuple,
    "dict": _decode_dict,
    "index": _decode_index,
    "ndarray": _decode_ndarray,
    "states": _decode_states,
    **dict.fromkeys(_SPARSE, _decode_sparse),
    "tensor": _decode_tensor,
    "RandomState": _decode_random_state,
    "History": _decode_history,
    "NeuralNet": _decode_net,
}
"""The types of value a model file may hold, each with its decoder."""


class SavedNet:
    """What a skorch ``NeuralNet`` learned: the module's weights and the optimizer's state.

    The net itself derives from its owner's parameters and vocabulary: the owner builds it
    again and loads this into it (``NextStateClassifier._restore_derived``). Its history is
    the owner's ``history_``.
    """

    def __init__(self, module, optimizer):
        if not (
            isinstance(module, dict)
            and all(isinstance(v, torch.Tensor) for v in module.values())
            and isinstance(optimizer, dict)
            and all(isinstance(v, dict) for v in optimizer.values())
        ):
            raise Invalid("a NeuralNet must hold a dict of tensors and the optimizer's state.")
        self.module, self.optimizer = module, optimizer

    def check_fits(self, net):
        """Refuse weights that do not fit ``net``, which may live on the meta device."""
        expected = {k: tuple(v.shape) for k, v in net.module_.state_dict().items()}
        if set(self.module) != set(expected):
            raise Invalid(
                f"the weights {sorted(set(self.module) ^ set(expected))[:5]} do not fit a "
                "module of these parameters."
            )
        for key, shape in expected.items():
            found = self.module[key]
            if tuple(found.shape) != shape or not found.is_floating_point():
                raise Invalid(
                    f"the weight {key!r} has shape {tuple(found.shape)} and dtype "
                    f"{found.dtype}; the model needs shape {shape} of floats."
                )

    def load_into(self, net):
        """Put the weights and the optimizer's moments (so partial_fit continues) in ``net``."""
        self.check_fits(net)
        net.module_.load_state_dict(self.module)
        net.module_.eval()
        optimizer = net.optimizer_
        fresh = optimizer.state_dict()
        params = fresh["param_groups"][0]["params"]
        sizes = [tuple(p.shape) for p in net.module_.parameters()]
        for index, values in self.optimizer.items():
            if index not in params or not all(isinstance(k, str) for k in values):
                raise Invalid(f"the optimizer's state {index!r} names no parameter.")
            for name, value in values.items():
                shape = () if name == "step" else sizes[params.index(index)]
                if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
                    raise Invalid(f"the optimizer's {name} of parameter {index} is malformed.")
        # the parameter groups (learning rate) come from the parameters, never from a file
        optimizer.load_state_dict({"state": self.optimizer, "param_groups": fresh["param_groups"]})
