"""Plain torch modules: they read right-padded token ids and return next-state logits.

Every module offers two readouts:

- ``forward(tokens)`` gives logits at every position, (B, T, C): position t predicts the
  state after ``tokens[:, : t + 1]``. The LSTM is causal and the attention is masked to
  positions <= t, so a position never sees what follows it, nor padding (which only ever
  follows the real tokens). Used in training, where the loss masks padded positions.
- ``forward_last(tokens)`` gives logits at the last real position only, (B, C), gathered
  by length rather than read at ``[:, -1]`` (which would be padding). Used in prediction.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..encoding import NO_CLASS, PAD
from .batching import state_tokens
from .relative_chords import relative_chords_or_none
from .repetition import repetition_slots_or_none
from .views import context_structure, embed_events, output_scores, with_views


def real_positions(tokens):
    """(B, T) mask of the positions that are not padding, for tokens (B, T) or (B, T, 1 + F)."""
    return state_tokens(tokens) != PAD


class LSTMNextState(nn.Module):
    """Embedding, LSTM and a linear layer to next-state logits.

    Parameters
    ----------
    n_codes : int
        Size of the input vocabulary, reserved codes (padding, unknown) included.
    n_classes : int
        Number of next states to score.
    embedding_dim : int, default=64
        Size of the state embedding.
    hidden_dim : int, default=128
        Size of the LSTM state.
    num_layers : int, default=1
        Number of stacked LSTM layers.
    dropout : float, default=0.0
        Dropout on the embeddings, between LSTM layers and before the output layer.
    feature_sizes : sequence of int, default=()
        Number of codes of each extra input feature (see ``StateEncoder(target=...)`` and
        ``state_features``). Each feature has its own embedding, and the embeddings of an
        event's features are summed with its state's: tokens are then (B, T, 1 + F), the
        state codes in column 0.
    class_codes : sequence of int, default=None
        The input code of each class. When given, the output layer is tied to the input
        embedding (Press & Wolf 2017): the logit of a class is the dot product of a
        projection of the readout with that class's embedding, plus a bias, so rare states
        learn from their occurrences as inputs and as targets alike.
    repetition_slots : int, default=0
        How many of a context's distinct states the network tells apart and can point at
        (:mod:`sklearn_seqlab.neural.repetition`); 0 for none.
    code_classes : sequence of int, default=None
        The class of each input code, ``NO_CLASS`` for codes that are no class; needed by
        the repetition slots.
    chord_geometry : ChordGeometry, default=None
        The spelled root and kind of each input code and of each class
        (:func:`~sklearn_seqlab.neural.relative_chords.chord_geometry`): chords are then
        embedded and scored by their kind and intervals, the same in every key
        (:mod:`sklearn_seqlab.neural.relative_chords`). None for states' own embeddings.
    """

    default_dropout = 0.3
    """The dropout of ``NextStateClassifier(dropout="auto")``: 0.3 earned 0.03 over none on
    McGill (``benchmarks/ablation.py``)."""

    def __init__(
        self,
        n_codes,
        n_classes,
        embedding_dim=64,
        hidden_dim=128,
        num_layers=1,
        dropout=0.0,
        feature_sizes=(),
        class_codes=None,
        repetition_slots=0,
        code_classes=None,
        chord_geometry=None,
    ):
        super().__init__()
        self.embedding = nn.Embedding(n_codes, embedding_dim, padding_idx=PAD)
        self.feature_embeddings = nn.ModuleList(
            nn.Embedding(n, embedding_dim, padding_idx=PAD) for n in feature_sizes
        )
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_dim,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        if class_codes is None:
            self.head = nn.Linear(self.readout_dim(hidden_dim), n_classes)
        else:
            self.head = TiedOutput(self.readout_dim(hidden_dim), self.embedding, class_codes)
        readout_dim = self.readout_dim(hidden_dim)
        self.repetition = repetition_slots_or_none(
            repetition_slots, embedding_dim, readout_dim, n_classes, code_classes
        )
        self.chords = relative_chords_or_none(chord_geometry, embedding_dim, readout_dim)

    def __setstate__(self, state):
        super().__setstate__(with_views(state))

    def readout_dim(self, hidden_dim):
        """Width of the vector the output layer reads."""
        return hidden_dim

    def embed(self, tokens, structure=None):
        """Embeddings of the events: -> (B, T, E).

        Tokens of shape (B, T, 1 + F) carry extra features, whose embeddings are added, and
        so are those of the repetition slots; chords read by their intervals replace their
        states' embeddings (``structure``, :func:`~sklearn_seqlab.neural.views.context_structure`
        of the tokens, is computed here when None).
        """
        return embed_events(self, self.embedding, self.feature_embeddings, tokens, structure)

    def hidden(self, tokens, structure=None):
        """LSTM outputs at every position: (B, T) -> (B, T, H)."""
        out, _ = self.lstm(self.dropout(self.embed(tokens, structure)))
        return out

    def forward(self, tokens):
        structure = context_structure(self, tokens)
        h = self.hidden(tokens, structure)  # (B, T, H)
        readout = self.dropout(self.readout(h, real_positions(tokens)))
        return output_scores(self, readout, structure)  # (B, T, C)

    def forward_last(self, tokens):
        mask = real_positions(tokens)  # (B, T)
        structure = context_structure(self, tokens)
        h = self.hidden(tokens, structure)  # (B, T, H)
        last = mask.sum(dim=1) - 1  # (B,)
        readout = self.dropout(self.readout_last(h, mask, last))
        return output_scores(self, readout, structure, last)  # (B, C)

    def readout(self, h, mask):
        """Vectors to score at every position: (B, T, H) -> (B, T, R)."""
        return h

    def readout_last(self, h, mask, last):
        """Vector to score at position ``last`` of each row: -> (B, R)."""
        return h[torch.arange(h.shape[0], device=h.device), last]


class TiedOutput(nn.Module):
    """Output layer that shares its class vectors with the input embedding.

    Parameters
    ----------
    in_dim : int
        Width of the readout vector.
    embedding : nn.Embedding
        The input embedding whose rows are the class vectors.
    class_codes : sequence of int
        Input code of each class.
    """

    def __init__(self, in_dim, embedding, class_codes):
        super().__init__()
        self.embedding = embedding
        self.project = nn.Linear(in_dim, embedding.embedding_dim)
        # derived from the vocabulary, so rebuilt with the module rather than saved with it
        self.register_buffer(
            "class_codes", torch.as_tensor(class_codes, dtype=torch.long), persistent=False
        )
        self.bias = nn.Parameter(torch.zeros(len(class_codes)))

    def forward(self, x):
        classes = self.embedding.weight[self.class_codes]  # (C, E)
        return self.project(x) @ classes.T + self.bias  # (..., C)


class AttentionNextState(LSTMNextState):
    """LSTM with attention over its own outputs, as SeqLab's attention model describes.

    At position t the context vector is ``c_t = sum_i alpha_ti h_i`` with
    ``alpha_ti = softmax_i(e_ti)`` over the positions ``i <= t`` that are not padding, and
    the bilinear alignment score ``e_ti = (W h_t) . h_i / sqrt(H)``. The context is
    concatenated with the current output ``h_t`` and mapped by the linear layer to logits.

    Parameters
    ----------
    n_codes, n_classes, embedding_dim, hidden_dim, num_layers, dropout
        As in :class:`LSTMNextState`.
    **kwargs
        ``feature_sizes`` and ``class_codes``, as in :class:`LSTMNextState`.
    """

    def __init__(
        self,
        n_codes,
        n_classes,
        embedding_dim=64,
        hidden_dim=128,
        num_layers=1,
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(
            n_codes, n_classes, embedding_dim, hidden_dim, num_layers, dropout, **kwargs
        )
        self.query = nn.Linear(hidden_dim, hidden_dim, bias=False)

    def readout_dim(self, hidden_dim):
        return 2 * hidden_dim

    def readout(self, h, mask):
        T = h.shape[1]
        scores = self.query(h) @ h.transpose(1, 2) / math.sqrt(h.shape[-1])  # (B, T, T)
        causal = torch.ones(T, T, dtype=torch.bool, device=h.device).tril()
        # position 0 is always real and allowed, so no row is all -inf
        scores = scores.masked_fill(~(causal & mask[:, None, :]), float("-inf"))
        context = torch.softmax(scores, dim=-1) @ h  # (B, T, H)
        return torch.cat([context, h], dim=-1)  # (B, T, 2H)

    def readout_last(self, h, mask, last):
        h_last = super().readout_last(h, mask, last)  # (B, H)
        scores = (h @ self.query(h_last)[:, :, None]).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~mask, float("-inf")) / math.sqrt(h.shape[-1])
        context = (torch.softmax(scores, dim=-1)[:, None, :] @ h).squeeze(1)  # (B, H)
        return torch.cat([context, h_last], dim=-1)  # (B, 2H)


class SequenceCrossEntropy(nn.Module):
    """Cross-entropy over every position that has a target.

    Targets equal to ``NO_CLASS`` (padding, or positions not trained on) are left out of the
    mean, so padding never reaches the loss.
    """

    def forward(self, logits, targets):
        logits = logits.reshape(-1, logits.shape[-1])  # (B * T, C)
        targets = targets.reshape(-1)  # (B * T,)
        if not (targets != NO_CLASS).any():
            # nothing to learn in this batch; keep the graph so backward still works
            return logits.sum() * 0.0
        return F.cross_entropy(logits, targets, ignore_index=NO_CLASS)


# imported here, below TiedOutput, which the transformer shares
from .transformer import TransformerNextState  # noqa: E402

MODULES = {
    "lstm": LSTMNextState,
    "attention": AttentionNextState,
    "transformer": TransformerNextState,
}
"""Module classes by the name ``NextStateClassifier(module=...)`` takes."""
