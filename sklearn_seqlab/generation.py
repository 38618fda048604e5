"""Drawing new sequences from a fitted NextStateClassifier, one state after another.

Each state is drawn from the model's next-state distribution given everything before it,
sharpened or flattened by a temperature; the draws come from a numpy random generator
seeded by ``random_state``, so a seed gives the same sequences again.
"""

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._validation import check_fraction, check_size
from .encoding import N_RESERVED, NO_CLASS, UNK

# sequences scored per forward pass while drawing: the batch size fastest for inference
_BATCH = 256


def sample_sequences(clf, n_sequences, length, *, prefix=None, temperature=1.0, random_state=None):
    """Draw ``n_sequences`` sequences of ``length`` states from a fitted classifier.

    The worker behind :meth:`NextStateClassifier.sample`, whose docstring describes the
    parameters; ``clf`` is the fitted classifier.

    Returns
    -------
    sequences : list of list
        ``n_sequences`` lists of ``length`` states drawn from ``classes_``; a ``prefix`` is
        not repeated in them.
    """
    check_is_fitted(clf)
    check_size(n_sequences, "n_sequences")
    check_size(length, "length")
    check_fraction(temperature, "temperature", high=np.inf)
    if tuple(getattr(clf, "feature_sizes_", ())):
        raise TypeError(
            "sample draws states of the predicted feature only, so it cannot feed a model that "
            "also reads extra features of each event (StateEncoder(target=...) or "
            "state_features)."
        )
    rng = check_random_state(random_state)
    class_to_code = _class_to_code(clf)

    if prefix is None:
        first = _draw(rng, _start_proba(clf), n_sequences, temperature)
        codes = class_to_code[first][:, None]  # (N, 1)
        drawn = [first]
    else:
        prefix_codes = _encode_prefix(clf, prefix, class_to_code)
        codes = np.tile(prefix_codes, (n_sequences, 1))  # (N, P)
        drawn = []

    module = clf.net_.module_
    module.eval()
    while len(drawn) < length:
        logits = _last_logits(module, codes, clf.net_.device)  # (N, C)
        # the network's own fitted temperature first, then the one asked for
        picks = _draw(rng, _softmax(logits / (clf.temperature_ * temperature)), n_sequences, 1.0)
        drawn.append(picks)
        codes = np.concatenate([codes, class_to_code[picks][:, None]], axis=1)
    return [clf.classes_[row].tolist() for row in np.stack(drawn, axis=1)]


def _class_to_code(clf):
    """Input code of each class; a class outside the input vocabulary continues as UNK."""
    class_to_code = np.full(len(clf.classes_), UNK, dtype=np.int64)
    is_class = clf._code_to_class != NO_CLASS
    class_to_code[clf._code_to_class[is_class]] = np.flatnonzero(is_class)
    return class_to_code


def _encode_prefix(clf, prefix, class_to_code):
    if isinstance(prefix, (str, bytes)) or not hasattr(prefix, "__iter__"):
        raise TypeError(f"prefix must be one sequence of states, e.g. ['C', 'G'], got {prefix!r}.")
    prefix = list(prefix)
    if not prefix:
        raise ValueError("prefix is empty; pass None to draw the first state too.")
    if clf.encoder_ is not None:
        return clf.encoder_.transform([prefix]).codes[0]
    # fitted on encoded input (in a Pipeline): known states are found through the classes
    index = {s: i for i, s in enumerate(clf.classes_.tolist())}
    return np.array([class_to_code[index[s]] if s in index else UNK for s in prefix])


def _start_proba(clf):
    """Distribution of the first state: the training frequency of each class's state."""
    encoder = clf.encoder_
    if encoder is None:
        raise ValueError(
            "This model was fitted on encoded sequences, so it does not know how often each "
            "state occurs; pass a prefix of one or more states to start from."
        )
    counts = np.zeros(len(clf.classes_))
    codes = np.arange(N_RESERVED, N_RESERVED + len(encoder.states_))
    classes = clf._code_to_class[codes]
    known = classes != NO_CLASS
    np.add.at(counts, classes[known], encoder.state_counts_[known])
    if counts.sum() == 0:
        raise ValueError(
            "No class of this model occurs as a state of its input (it was fitted with y), so "
            "there is no frequency to draw a first state from; pass a prefix."
        )
    return (counts / counts.sum())[None, :]  # (1, C)


def _last_logits(module, codes, device):
    out = []
    with torch.no_grad():
        for start in range(0, len(codes), _BATCH):
            tokens = torch.from_numpy(codes[start : start + _BATCH]).to(device)
            out.append(module.forward_last(tokens).double().cpu().numpy())
    return np.concatenate(out)


def _softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _draw(rng, proba, n, temperature):
    """Draw one class per row of ``proba`` (a single row is shared by all ``n`` draws)."""
    if temperature != 1.0:
        # p ** (1 / T), renormalised: the softmax of logits / T for a distribution
        proba = _softmax(np.log(np.maximum(proba, np.finfo(np.float64).tiny)) / temperature)
    proba = np.broadcast_to(proba, (n, proba.shape[1]))
    cdf = np.cumsum(proba, axis=1)
    u = rng.random_sample(n) * cdf[:, -1]
    # rounding can leave u past the last cumulative value; clip to the last class
    return np.minimum((cdf <= u[:, None]).sum(axis=1), proba.shape[1] - 1)
