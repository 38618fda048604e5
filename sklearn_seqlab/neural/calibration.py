"""Temperature scaling: one number that makes a network's probabilities calibrated again.

A network trained past its best validation loss, as stopping on accuracy trains it, is
overconfident: its logits are too large. Dividing them by a temperature ``T > 1`` softens every
distribution alike, so the ranking of the states, and the accuracy, stay as they were, while
the log-loss on new data falls (Guo et al., "On Calibration of Modern Neural Networks",
ICML 2017). ``T`` is the one that minimises the log-loss of the validation split.
"""

import numpy as np
import torch

from ..encoding import NO_CLASS

TEMPERATURES = 2.0 ** np.linspace(-2.0, 3.0, 51)
"""The temperatures tried, from 1/4 to 8 in steps of a tenth of a doubling; 1.0 among them."""


def fit_temperature(net, valid_dataset):
    """The temperature of ``TEMPERATURES`` with the lowest log-loss over every scored
    position of ``valid_dataset``, for the skorch ``net`` as it stands.

    Parameters
    ----------
    net : skorch.NeuralNet
        The trained net, whose module returns logits of shape (batch, time, classes).
    valid_dataset : torch Dataset
        The validation split, as the net's ``train_split`` made it.

    Returns
    -------
    temperature : float
    """
    losses = np.zeros(len(TEMPERATURES))
    net.module_.eval()
    with torch.no_grad():
        for tokens, targets in net.get_iterator(valid_dataset, training=False):
            logits = net.evaluation_step((tokens, targets)).double()
            targets = targets.to(logits.device)
            scored = targets != NO_CLASS
            logits, targets = logits[scored], targets[scored]  # (N, C), (N,)
            for i, temperature in enumerate(TEMPERATURES):  # one (N, C) array at a time
                log_proba = torch.log_softmax(logits / temperature, dim=-1)
                losses[i] -= log_proba.gather(1, targets[:, None]).sum().item()
    return float(TEMPERATURES[int(np.argmin(losses))])
