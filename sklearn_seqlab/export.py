"""ONNX export of fitted neural next-state models, for serving without Python or PyTorch.

The exported graph reads what :class:`StateEncoder` makes and returns what
``predict_proba`` returns:

- input ``codes``: int64 of shape (batch, length), right-padded with ``PAD`` (0); code 1 is
  an unknown state and code ``c >= 2`` stands for ``states[c - 2]`` of the metadata. Batch
  size and length are free, longer sequences than any seen in training included. Every row
  needs at least one real code.
- output ``proba``: float32 of shape (batch, n_classes), the next-state probabilities in
  the order of ``classes_``; output ``logits``: the same before the softmax (the network's
  logits divided by its fitted ``temperature_``).

The vocabulary goes with the model as JSON in its ``metadata_props`` under the key
``"sklearn_seqlab"``, so a deployment can encode states and decode predictions without
Python: ``{"classes": [...], "states": [...], "pad_code": 0, "unknown_code": 1,
"first_state_code": 2, "max_length": ..., ...}``. Tuple states are JSON arrays.
"""

import contextlib
import copy
import importlib
import json
import logging
import numbers
import os
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import BaseNextStateClassifier
from .encoding import N_RESERVED, NO_CLASS, PAD, UNK, StateEncoder
from .neural.estimators import NextStateClassifier

METADATA_KEY = "sklearn_seqlab"
"""Key of the JSON vocabulary in the exported model's ``metadata_props``."""

INPUT_NAME = "codes"
OUTPUT_NAMES = ("proba", "logits")


class _LastStepProba(torch.nn.Module):
    """Wraps a next-state module: codes (B, T) -> (probabilities, logits), each (B, C)."""

    def __init__(self, module, temperature):
        super().__init__()
        self.module = module
        self.temperature = temperature

    def forward(self, codes):
        logits = self.module.forward_last(codes) / self.temperature  # (B, C)
        return torch.softmax(logits, dim=-1), logits


def export_onnx(model, path):
    """Write a fitted neural next-state model to an ONNX file.

    Parameters
    ----------
    model : NextStateClassifier or Pipeline
        A fitted :class:`NextStateClassifier` (any module of ``MODULES``), or a fitted
        ``Pipeline`` of a :class:`StateEncoder` followed by one.
    path : str or path-like
        File to write (conventionally ``*.onnx``).

    Returns
    -------
    path : str
        The file written.

    Raises
    ------
    TypeError
        For a model that is not a :class:`NextStateClassifier` (the count baselines and
        the hybrid hold counts, which the graph would not carry) or a pipeline of other
        steps.
    sklearn.exceptions.NotFittedError
        For a model that is not fitted.
    ImportError
        Without the optional packages ``onnx`` and ``onnxscript``
        (``pip install "sklearn-seqlab[onnx]"``).

    Notes
    -----
    The graph's input ``codes`` (int64, (batch, length)) is right-padded with 0, as
    :class:`StateEncoder` codes are; its outputs are ``proba`` (next-state probabilities in
    the order of ``classes_``) and ``logits``, each (batch, n_classes). The encoder's
    ``max_length`` truncation, if any, is the caller's to apply; it is in the metadata.

    Examples
    --------
    >>> import json, onnx, onnxruntime
    >>> from sklearn_seqlab import NextStateClassifier, StateEncoder, export_onnx
    >>> X = [["C", "G", "Am", "F"] * 3] * 20
    >>> clf = NextStateClassifier(
    ...     hidden_dim=16, lr=0.05, validation_fraction=None, patience=None, random_state=0
    ... ).fit(X)
    >>> path = export_onnx(clf, getfixture("tmp_path") / "chords.onnx")
    >>> props = {p.key: p.value for p in onnx.load(path).metadata_props}
    >>> meta = json.loads(props["sklearn_seqlab"])
    >>> meta["classes"], meta["states"]
    (['Am', 'C', 'F', 'G'], ['Am', 'C', 'F', 'G'])
    >>> session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> codes = clf.encoder_.transform([["C", "G"]]).codes[0][None]  # (1, 2)
    >>> proba, logits = session.run(None, {"codes": codes})
    >>> meta["classes"][proba.argmax()]
    'Am'
    """
    encoder, clf = _unpack(model)
    try:
        import onnx

        importlib.import_module("onnxscript")  # torch's exporter needs it: fail here, clearly
    except ImportError as exc:
        raise ImportError(
            "export_onnx needs the optional packages onnx and onnxscript: "
            'pip install "sklearn-seqlab[onnx]".'
        ) from exc
    metadata = _metadata(encoder, clf)
    path = os.fspath(path)

    module = copy.deepcopy(clf.net_.module_).cpu().eval()
    wrapper = _LastStepProba(module, clf.temperature_).eval()
    program = _export_program(wrapper)
    proto = program.model_proto
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
    proto.doc_string = (
        f"sklearn_seqlab NextStateClassifier(module={clf.module!r}): right-padded int64 codes "
        f"(batch, length) -> next-state probabilities (batch, {len(clf.classes_)}) in the "
        f"order of metadata_props[{METADATA_KEY!r}]['classes']."
    )
    onnx.save(proto, path)
    return path


def _unpack(model):
    """Return ``(encoder or None, classifier)``, both fitted, or raise a clear error."""
    encoder = None
    clf = model
    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        clf = steps[-1]
        if not (
            len(steps) == 2
            and isinstance(steps[0], StateEncoder)
            and isinstance(clf, NextStateClassifier)
        ):
            names = ", ".join(type(s).__name__ for s in steps)
            raise TypeError(
                "export_onnx exports a Pipeline of a StateEncoder followed by a "
                f"NextStateClassifier; got Pipeline({names})."
            )
        encoder = steps[0]
        check_is_fitted(encoder)
    if isinstance(clf, BaseNextStateClassifier) and not isinstance(clf, NextStateClassifier):
        raise TypeError(
            f"{type(clf).__name__} has no single network to export (count models and hybrids "
            "hold n-gram counts); export_onnx exports NextStateClassifier models. Use "
            "save_model to store it instead."
        )
    if not isinstance(clf, NextStateClassifier):
        raise TypeError(
            "export_onnx exports a fitted NextStateClassifier or a Pipeline(StateEncoder, "
            f"NextStateClassifier); got {type(model).__name__}."
        )
    check_is_fitted(clf)
    if encoder is None:
        encoder = clf.encoder_
    if tuple(getattr(clf, "feature_sizes_", ())):
        raise TypeError(
            "export_onnx exports models that read the predicted feature alone; this one also "
            "reads extra features of each event (StateEncoder(target=...) or state_features), "
            "which the graph's (batch, length) input does not carry."
        )
    return encoder, clf


def _metadata(encoder, clf):
    """The vocabulary and the input conventions, as JSON-ready values."""
    if encoder is not None:
        states = encoder.states_
    else:
        # fitted on encoded input: the input states are known only through the classes
        to_class = clf._code_to_class[N_RESERVED:]
        if np.any(to_class == NO_CLASS):
            raise ValueError(
                "This model was fitted on encoded sequences whose states are not all among "
                "its classes, so the input vocabulary is unknown; fit and export a "
                "Pipeline(StateEncoder, NextStateClassifier) instead."
            )
        states = clf.classes_[to_class]
    return {
        "format": "sklearn_seqlab.next_state",
        "format_version": 1,
        "module": clf.module,
        "input": INPUT_NAME,
        "outputs": list(OUTPUT_NAMES),
        "classes": _json_states(clf.classes_),
        "states": _json_states(states),
        "pad_code": PAD,
        "unknown_code": UNK,
        "first_state_code": N_RESERVED,
        "max_length": getattr(encoder, "max_length", None),
        "unknown_proba": float(clf.unknown_proba_),
    }


def _json_states(states):
    out = [_json_state(s) for s in np.asarray(states, dtype=object).tolist()]
    json.dumps(out)  # fail here, naming nothing half-written
    return out


def _json_state(state):
    if isinstance(state, tuple):
        return [_json_state(s) for s in state]
    if isinstance(state, (str, bool)) or state is None:
        return state
    if isinstance(state, numbers.Integral):
        return int(state)
    if isinstance(state, numbers.Real):
        return float(state)
    raise TypeError(
        f"The state {state!r} of type {type(state).__name__} cannot be written to the ONNX "
        "metadata, which holds strings, numbers, booleans and tuples of these."
    )


def _export_program(wrapper):
    """Run torch's dynamo exporter with dynamic batch and length; return the ONNXProgram."""
    from torch.export import Dim

    # example sizes of at least 2 (a size of 1 would be baked in as a constant), rows of
    # different lengths; codes 1 (unknown) and 2 (the first state) exist in every vocabulary
    example = torch.tensor([[2, 1, 2, 1], [1, 2, PAD, PAD], [2, PAD, PAD, PAD]])
    with _quiet_exporter(), _fresh_rnn_dispatch():
        return torch.onnx.export(
            wrapper,
            (example,),
            dynamo=True,
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_shapes={"codes": {0: Dim.DYNAMIC, 1: Dim.DYNAMIC}},
            verbose=False,
        )


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's internal warnings and log lines, which users cannot act on
    (deprecations inside torch, optional torchvision ops it skips)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _fresh_rnn_dispatch():
    """Clear the dispatch caches of the RNN ops around an export.

    With dynamic shapes torch 2.13's exporter swaps in a while-loop LSTM kernel and swaps it
    back without clearing the op's dispatch cache, so the stale kernel pins the length of
    the second export in a process to its example. Clearing before and after makes each
    export behave as the first.
    """
    ops = [torch.ops.aten.lstm.input, torch.ops.aten.gru.input]
    caches = [getattr(op, "_dispatch_cache", None) for op in ops]
    for cache in caches:
        if cache is not None:
            cache.clear()
    try:
        yield
    finally:
        for cache in caches:
            if cache is not None:
                cache.clear()
