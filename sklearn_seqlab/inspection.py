"""Looking inside attention models: the weights each prediction gives to earlier states.

A module supports this when it defines ``attention_last(tokens) -> (B, T)``, the weights
its prediction at the last real position gives to every position (rows summing to 1,
padding 0), or when it is the package's :class:`~sklearn_seqlab.neural.modules.AttentionNextState`,
whose weights are recomputed here from its own layers.
"""

import math
import os

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._validation import check_sequences
from .encoding import PAD
from .neural.batching import pad_right
from .neural.modules import AttentionNextState, real_positions

# sequences per forward pass: the batch size fastest for inference
_BATCH = 256


def last_step_attention(module, tokens):
    """Attention weights of the prediction at the last real position of each row.

    Parameters
    ----------
    module : torch.nn.Module
        A next-state module with attention.
    tokens : torch.Tensor of shape (B, T)
        Right-padded codes.

    Returns
    -------
    weights : torch.Tensor of shape (B, T)
        Rows sum to 1; padded positions get 0.
    """
    if hasattr(module, "attention_last"):
        return module.attention_last(tokens)
    if not isinstance(module, AttentionNextState):
        raise TypeError(
            f"The module {type(module).__name__} has no attention to inspect; use "
            "NextStateClassifier(module='attention')."
        )
    # AttentionNextState.readout_last, up to the softmax
    mask = real_positions(tokens)  # (B, T)
    h = module.hidden(tokens)  # (B, T, H)
    last = mask.sum(dim=1) - 1  # (B,)
    h_last = h[torch.arange(h.shape[0], device=h.device), last]  # (B, H)
    scores = (h @ module.query(h_last)[:, :, None]).squeeze(-1)  # (B, T)
    scores = scores.masked_fill(~mask, float("-inf")) / math.sqrt(h.shape[-1])
    return torch.softmax(scores, dim=-1)


def attention_weights(clf, X):
    """Per sequence, the weights over its positions when the state after it is predicted.

    The worker behind :meth:`NextStateClassifier.attention_weights`.

    Parameters
    ----------
    clf : NextStateClassifier
        A fitted classifier with an attention module.
    X : iterable of sequences or EncodedSequences
        Contexts.

    Returns
    -------
    weights : list of ndarray
        One array per sequence, as long as its encoded context (an encoder's
        ``max_length`` keeps only the last states), summing to 1; padding is excluded.
    """
    check_is_fitted(clf)
    module = clf.net_.module_
    if not hasattr(module, "attention_last") and not isinstance(module, AttentionNextState):
        raise TypeError(
            f"attention_weights needs a module with attention; module={clf.module!r} has "
            "none. Use NextStateClassifier(module='attention')."
        )
    encoded = clf._encode(X)
    lengths = encoded.lengths
    order = np.argsort(lengths, kind="stable")
    weights = [None] * len(encoded)
    module.eval()
    with torch.no_grad():
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            tokens = pad_right([encoded.codes[i] for i in rows], PAD).to(clf.net_.device)
            w = last_step_attention(module, tokens).double().cpu().numpy()
            for row, i in zip(w, rows, strict=True):
                weights[i] = row[: lengths[i]]
    return weights


def plot_attention(model, sequence, *, ax=None, cmap="viridis"):
    """Draw the attention of every prediction along one sequence as a heat map.

    Row ``t`` holds the weights the prediction after the first ``t + 1`` states gives to
    each of them (the attention is causal, so it is what ``attention_weights`` returns for
    that prefix); the states of the sequence label both axes. The last row is the
    prediction after the whole sequence.

    Parameters
    ----------
    model : NextStateClassifier or Pipeline
        A fitted classifier with an attention module, or a fitted Pipeline of a
        :class:`StateEncoder` and such a classifier.
    sequence : sequence of states
        The sequence to inspect (raw states).
    ax : matplotlib.axes.Axes, default=None
        Where to draw; None makes a new figure (without pyplot, so no display is needed:
        save it with ``ax.figure.savefig(path)``).
    cmap : str, default="viridis"
        Colour map of the weights.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> from sklearn_seqlab import NextStateClassifier
    >>> from sklearn_seqlab.inspection import plot_attention
    >>> X = [["C", "G", "Am", "F"] * 3] * 20
    >>> clf = NextStateClassifier(
    ...     "attention", hidden_dim=16, max_epochs=2, validation_fraction=None, patience=None
    ... ).fit(X)
    >>> ax = plot_attention(clf, ["C", "G", "Am", "F"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['C', 'G', 'Am', 'F']
    """
    (sequence,) = check_sequences([sequence], min_length=1, name="sequence")
    clf = model[-1] if isinstance(model, Pipeline) else model
    prefixes = [sequence[: t + 1] for t in range(len(sequence))]
    if isinstance(model, Pipeline):
        prefixes = model[:-1].transform(prefixes)
    rows = attention_weights(clf, prefixes)
    # an encoder's max_length keeps the last states only: show what the last prediction
    # read; earlier predictions read windows that may start before it
    n = len(rows[-1])
    offset = len(sequence) - n
    labels = [str(s) for s in sequence[offset:]]
    matrix = np.full((n, n), np.nan)  # NaN (blank) above the diagonal: never attended
    for r in range(n):
        t = offset + r
        w = rows[t]
        cols = np.arange(t - len(w) + 1, t + 1) - offset
        matrix[r, cols[cols >= 0]] = w[cols >= 0]

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(1.2 + 0.45 * n, 1.0 + 0.45 * n)).add_subplot()
    image = ax.imshow(matrix, cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), labels, rotation=90)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("attended state")
    ax.set_ylabel("prediction after this state")
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax


def plot_best_attention(finals, results, path, *, max_states=24):
    """Save the attention heat map of a report's best attention model, if it has one.

    Among the final models that have attention, the one whose cross-validated accuracy is
    the highest is drawn with :func:`plot_attention` on the first sequence of its data with
    4 to ``max_states`` states (else the last ``max_states`` states of the first sequence).

    Parameters
    ----------
    finals : list of (experiment, dataset, model, fitted model, X)
        The final model of each experiment, data set and model name, with its sequences.
    results : pandas.DataFrame
        The report's results, one row per fold, with those three columns and ``accuracy``.
    path : str or path-like
        The PNG file to write.
    max_states : int, default=24
        Longest sequence drawn.

    Returns
    -------
    ax : matplotlib.axes.Axes or None
        The heat map written to ``path``, titled with the model's name; None (and no file)
        when no final model has attention.
    """
    mean = results.groupby(["experiment", "dataset", "model"])["accuracy"].mean()
    best = None
    for experiment, dataset, name, model, X in finals:
        clf = model[-1] if isinstance(model, Pipeline) else model
        module = getattr(getattr(clf, "net_", None), "module_", None)
        if module is None or not (
            hasattr(module, "attention_last") or isinstance(module, AttentionNextState)
        ):
            continue
        score = mean.get((experiment, dataset, name), -np.inf)
        if best is None or score > best[0]:
            # a data set is named by its path: its file name is enough for a title
            label = f"{experiment} / {os.path.basename(str(dataset))} / {name}"
            best = (score, label, model, X)
    if best is None:
        return None
    score, label, model, X = best
    sequences = check_sequences(X)
    shown = next((s for s in sequences if 4 <= len(s) <= max_states), sequences[0][-max_states:])
    ax = plot_attention(model, shown)
    ax.set_title(f"{label} (accuracy {score:.3f})", fontsize=9)
    ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    return ax
