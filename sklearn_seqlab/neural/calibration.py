"""Temperature scaling: one number that makes a network's probabilities calibrated again.

A network trained past its best validation loss, as stopping on accuracy trains it, is
overconfident: its logits are too large. Dividing them by a temperature ``T > 1`` softens every
distribution alike, so the ranking of the states, and the accuracy, stay as they were, while
the log-loss on new data falls (Guo et al., "On Calibration of Modern Neural Networks",
ICML 2017). ``T`` is the one that minimises the log-loss of the validation split.
"""

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from ..encoding import NO_CLASS

LOG2_BOUNDS = (-2.0, 3.0)
"""The temperatures searched, as powers of 2: from 1/4 to 8."""

MAX_LOGITS = 20_000_000
"""At most this many logits (positions times classes, 80 MB in float32) are kept to fit the
temperature; a larger validation split is thinned to every k-th scored position. One number
needs far fewer positions than that to be estimated well."""


def fit_temperature(net, valid_dataset):
    """The temperature that minimises the log-loss over the scored positions of
    ``valid_dataset``, for the skorch ``net`` as it stands.

    The log-loss is convex in ``1 / T``, so a bounded scalar search finds its minimum. An
    interruption (Ctrl-C) while it searches keeps the network as trained, with ``T = 1``.

    Parameters
    ----------
    net : skorch.NeuralNet
        The trained net, whose module returns logits of shape (batch, time, classes).
    valid_dataset : SequenceDataset
        The validation split, as the net's ``train_split`` made it.

    Returns
    -------
    temperature : float
        In [1/4, 8].
    """
    try:
        logits, targets = _scored_logits(net, valid_dataset)
        if not len(targets):
            return 1.0
        result = minimize_scalar(
            _log_loss, bounds=LOG2_BOUNDS, args=(logits, targets), method="bounded"
        )
        return float(2.0**result.x)
    except KeyboardInterrupt:
        return 1.0


def _scored_logits(net, valid_dataset):
    """The logits (float32) and targets of every k-th scored position of the split, k the
    smallest step that keeps at most ``MAX_LOGITS`` logits."""
    n_scored = sum(int(np.sum(t != NO_CLASS)) for t in valid_dataset.targets)
    kept_logits, kept_targets, seen, step = [], [], 0, None
    net.module_.eval()
    with torch.no_grad():
        for tokens, targets in net.get_iterator(valid_dataset, training=False):
            logits = net.evaluation_step((tokens, targets)).float()
            if step is None:  # ceiling division: the number of classes is known now
                step = max(1, -(-n_scored * logits.shape[-1] // MAX_LOGITS))
            targets = targets.to(logits.device)
            scored = targets != NO_CLASS
            logits, targets = logits[scored], targets[scored]  # (N, C), (N,)
            rows = torch.arange(seen, seen + len(targets), device=logits.device) % step == 0
            seen += len(targets)
            kept_logits.append(logits[rows].cpu())
            kept_targets.append(targets[rows].cpu())
    if not kept_targets:
        return torch.zeros(0, 0), torch.zeros(0, dtype=torch.int64)
    return torch.cat(kept_logits), torch.cat(kept_targets)


def _log_loss(log2_temperature, logits, targets):
    """Mean log-loss of the targets when the logits are divided by ``2 ** log2_temperature``."""
    scaled = logits / float(2.0**log2_temperature)
    log_proba = torch.log_softmax(scaled, dim=-1)
    return -float(log_proba.gather(1, targets[:, None]).mean())
