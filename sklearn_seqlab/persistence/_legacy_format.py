"""Files of format versions 1 and 2, read as version 3.

Versions 1 and 2 wrote each class's state in a layout of its own, its arrays named in a
per-model ``arrays`` map. :func:`upgrade_tree` rewrites such a tree as version 3 writes it
(each fitted attribute by the type of its value), naming the same arrays; the version-3
decoder then reads and checks it. Those layouts are frozen: this module never changes.
"""

import numpy as np

from ._model_file import MAX_DEPTH, Invalid


def upgrade_tree(tree, version, arrays):
    """The version-3 tree of the model ``tree`` of a file of format ``version``."""
    return tree if version >= 3 else _upgrade(tree, arrays, 0)


def _upgrade(tree, arrays, depth):
    if depth > MAX_DEPTH:
        raise Invalid(f"models are nested deeper than {MAX_DEPTH} levels.")
    if not isinstance(tree, dict) or tree.get("class") not in {*_UPGRADES, "Pipeline"}:
        raise Invalid("it names a class this package does not load.")
    if tree["class"] == "Pipeline":
        steps = tree.get("steps")
        if isinstance(steps, list):
            steps = [
                [s[0], _upgrade(s[1], arrays, depth + 1)]
                if isinstance(s, list) and len(s) == 2
                else s
                for s in steps
            ]
        return {"class": "Pipeline", "steps": steps}
    state, own = tree.get("state"), tree.get("arrays")
    if not isinstance(state, dict) or not isinstance(own, dict):
        raise Invalid(f"the {tree['class']} has no 'state' or 'arrays' object.")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in own.items()):
        raise Invalid("'arrays' must map names to names.")
    new = _UPGRADES[tree["class"]](state, _Own(own), arrays, depth)
    return {
        "class": tree["class"],
        "params": tree.get("params"),
        "params_not_saved": tree.get("params_not_saved", []),
        "state": new,
    }


class _Own:
    """The arrays one model of an old tree names: its keys mapped to names in arrays.npz."""

    def __init__(self, mapping):
        self.mapping = mapping

    def __getitem__(self, key):
        if key not in self.mapping:
            raise Invalid(f"the model names no array {key!r}.")
        return self.mapping[key]

    def keys(self):
        return self.mapping.keys()

    def ndarray(self, key):
        return {"type": "ndarray", "array": self[key]}

    def csr(self, key, arrays):
        # old files held the shape as an array; version 3 holds it in JSON
        shape = arrays.get(self[f"{key}.shape"], "iu")
        return {
            "type": "csr_matrix",
            "shape": shape.tolist(),
            **{part: self[f"{key}.{part}"] for part in ("data", "indices", "indptr")},
        }


def _state(state):
    if isinstance(state, dict) and set(state) == {"tuple"} and isinstance(state["tuple"], list):
        return {"type": "tuple", "items": [_state(s) for s in state["tuple"]]}
    if isinstance(state, dict):  # the version-3 decoder refuses it
        return {"type": "not a state"}
    return state


def _states(states):
    if not isinstance(states, list):
        raise Invalid(f"a vocabulary must be a list of states, got {type(states).__name__}.")
    return {"type": "states", "items": [_state(s) for s in states]}


def _encoder(state, own, arrays, depth):
    names, vocabularies = state.get("feature_names", []), state.get("feature_states", [])
    if not isinstance(names, list) or not isinstance(vocabularies, list):
        raise Invalid("the encoder's feature_names and feature_states must be lists.")
    return {
        "states": _states(state.get("states")),
        "infrequent_states": _states(state.get("infrequent_states")),
        "state_counts": own.ndarray("state_counts"),
        "feature_names": [_state(name) for name in names],
        "feature_states": [_states(v) for v in vocabularies],
    }


def _classifier(state, own, arrays, depth):
    encoder = state.get("encoder")
    if encoder is not None:
        encoder = _upgrade(encoder, arrays, depth + 1)
        input_states = encoder["state"]["states"] if encoder["class"] == "StateEncoder" else None
    elif state.get("input_states") is not None:
        input_states = _states(state["input_states"])
    else:  # version 1 did not save it
        input_states = None
    return {
        "classes": _states(state.get("classes")),
        "n_codes": state.get("n_codes"),
        "feature_sizes": {"type": "tuple", "items": state.get("feature_sizes", [])},
        "unknown_proba": state.get("unknown_proba"),
        "encoder": encoder,
        "_input_states": input_states,
        "_code_to_class": own.ndarray("code_to_class"),
    }


def _neural(state, own, arrays, depth):
    new = _classifier(state, own, arrays, depth)
    new["history"] = {"type": "History", "epochs": state.get("history")}
    weights = [
        [key[len("weight:") :], {"type": "tensor", "array": own[key]}]
        for key in own.keys()
        if key.startswith("weight:")
    ]
    moments = {}
    for key in own.keys():
        if key.startswith("optimizer:"):
            parts = key.split(":")
            if len(parts) != 3 or not parts[1].isdigit():
                raise Invalid(f"{key!r} names no parameter of the optimizer.")
            tensor = {"type": "tensor", "array": own[key]}
            moments.setdefault(int(parts[1]), []).append([parts[2], tensor])
    new["net"] = {
        "type": "NeuralNet",
        "module": {"type": "dict", "items": weights},
        "optimizer": {
            "type": "dict",
            "items": [[i, {"type": "dict", "items": m}] for i, m in moments.items()],
        },
    }
    saved = state.get("random_state")
    if saved is not None:  # version 1: the streams start afresh from random_state
        if not isinstance(saved, dict):
            raise Invalid("random_state must be an object.")
        new["_split_salt"] = saved.get("split_salt")
        new["_rng"] = {"type": "RandomState", "keys": own["rng_keys"]} | {
            key: saved.get(key) for key in ("pos", "has_gauss", "cached_gaussian")
        }
    return new


def _markov(state, own, arrays, depth):
    new = _classifier(state, own, arrays, depth)
    new["transition_counts"] = own.csr("transitions", arrays)
    new["unigram_counts"] = own.ndarray("unigram_counts")
    return new


def _variable_order(state, own, arrays, depth):
    new = _classifier(state, own, arrays, depth)
    new["discounts"] = own.ndarray("discounts") if state.get("has_discounts") else None
    new["_unigram"] = own.ndarray("unigram")
    orders = range(sum(1 for key in own.keys() if key.startswith("contexts")))
    new["contexts"] = [{"type": "index", "keys": own[f"contexts{k}"]} for k in orders]
    new["counts"] = [own.csr(f"counts{k}", arrays) for k in orders]
    new["_tables"] = [
        {"type": "tuple", "items": [own.csr(f"probs{k}", arrays), own.ndarray(f"backoff{k}")]}
        for k in orders
    ]
    return new


def _hybrid(state, own, arrays, depth):
    new = _classifier(state, own, arrays, depth)
    networks = state.get("networks")
    if not isinstance(networks, list):
        raise Invalid("a HybridClassifier needs a non-empty list of networks.")
    new["networks"] = [_upgrade(tree, arrays, depth + 1) for tree in networks]
    new["count_model"] = _upgrade(state.get("count_model"), arrays, depth + 1)
    new["network_weight"] = state.get("network_weight")
    log_likelihood = state.get("validation_log_likelihood")
    if log_likelihood is not None:
        if not isinstance(log_likelihood, list) or not all(
            isinstance(v, float) for v in log_likelihood
        ):
            raise Invalid("validation_log_likelihood must be a list of floats.")
        name = arrays.add("validation_log_likelihood", np.asarray(log_likelihood))
        log_likelihood = {"type": "ndarray", "array": name}
    new["validation_log_likelihood"] = log_likelihood
    return new


_UPGRADES = {
    "StateEncoder": _encoder,
    "NextStateClassifier": _neural,
    "MarkovClassifier": _markov,
    "VariableOrderMarkovClassifier": _variable_order,
    "HybridClassifier": _hybrid,
}
