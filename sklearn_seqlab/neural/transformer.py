"""A causal Transformer next-state module: self-attention with learned positions.

The same two readouts as the LSTM modules (see :mod:`sklearn_seqlab.neural.modules`): ``forward``
gives logits at every position, ``forward_last`` at the last real one. Attention is masked
to positions ``<= t`` that are not padding, so a position never reads what follows it nor
padding, and a sequence's logits do not depend on the other sequences of its batch.

The blocks are written out (pre-norm, as in GPT-2) rather than taken from
``nn.TransformerEncoder``: its eval-mode fast path turns padded batches into nested tensors
and warns about them, and the mask can then be applied differently in training and in
inference. Here the mask is one boolean tensor, used the same way in both.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..encoding import PAD
from .modules import TiedOutput, real_positions
from .relative_chords import relative_chords_or_none
from .repetition import repetition_slots_or_none
from .views import context_structure, embed_events, output_scores, with_views


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention, masked to earlier real positions.

    Parameters
    ----------
    d_model : int
        Width of the residual stream; a multiple of ``nhead``.
    nhead : int
        Number of attention heads.
    dropout : float
        Dropout on the attention weights and on the output.
    """

    def __init__(self, d_model, nhead, dropout):
        super().__init__()
        self.nhead = nhead
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)
        self.attention_dropout = dropout

    def forward(self, x, allowed):
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)  # 3 x (B, T, D)
        q, k, v = (z.view(B, T, self.nhead, D // self.nhead).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(  # (B, nhead, T, D / nhead)
            q,
            k,
            v,
            attn_mask=allowed,  # (B, 1, T, T), True where a query may read a key
            dropout_p=self.attention_dropout if self.training else 0.0,
        )
        return self.dropout(self.out(y.transpose(1, 2).reshape(B, T, D)))  # (B, T, D)


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attention(norm(x))``, then ``x + feed_forward(norm(x))``."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = CausalSelfAttention(d_model, nhead, dropout)
        self.norm2 = nn.LayerNorm(d_model)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward),
            nn.GELU(),
            nn.Linear(dim_feedforward, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x, allowed):
        x = x + self.attention(self.norm1(x), allowed)
        return x + self.feed_forward(self.norm2(x))  # (B, T, D)


class TransformerNextState(nn.Module):
    """Token and learned position embeddings, causal Transformer blocks, a linear layer.

    Parameters
    ----------
    n_codes : int
        Size of the input vocabulary, reserved codes (padding, unknown) included.
    n_classes : int
        Number of next states to score.
    embedding_dim : int, default=64
        Width of the embeddings and of every block (``d_model``); a multiple of ``nhead``.
    hidden_dim : int, default=128
        Width of the feed-forward layer of each block, unless ``dim_feedforward`` is given.
    num_layers : int, default=1
        Number of blocks.
    dropout : float, default=0.0
        Dropout on the embeddings, the attention weights and each block's outputs.
    feature_sizes : sequence of int, default=()
        Number of codes of each extra input feature: each has its own embedding, summed
        with the state's, and tokens are then (B, T, 1 + F), the states in column 0, as in
        :class:`~sklearn_seqlab.neural.modules.LSTMNextState`.
    class_codes : sequence of int, default=None
        The input code of each class; when given, the output layer is tied to the input
        embedding, as in :class:`~sklearn_seqlab.neural.modules.LSTMNextState`.
    nhead : int, default=4
        Number of attention heads.
    dim_feedforward : int or None, default=None
        Width of the feed-forward layer of each block; None uses ``hidden_dim``.
    max_len : int, default=512
        Number of learned position embeddings.
    repetition_slots, code_classes, chord_geometry
        The repetition slots and the relative chords of the input and output, as in
        :class:`~sklearn_seqlab.neural.modules.LSTMNextState`.

    Attributes
    ----------
    positions_trained : torch.Tensor
        A buffer (saved with the weights): the longest sequence seen in training mode.

    Notes
    -----
    Positions have learned embeddings, and a position's embedding is learned only if
    training sequences reach it. So position ``t`` reads the embedding of
    ``min(t, positions_trained - 1, max_len - 1)``: contexts longer than any training
    sequence (or than ``max_len``) still work, their later positions sharing the embedding of
    the last trained one, and attention still reads the whole context. A module never put in
    training mode uses all ``max_len`` embeddings.
    """

    default_dropout = 0.0
    """The dropout of ``NextStateClassifier(dropout="auto")``: on inner splits of McGill's
    training folds this module scored 0.253 without dropout, 0.234 with 0.1 and 0.197 with 0.3
    (``benchmarks/README.md``)."""

    estimator_params = ("nhead", "dim_feedforward")
    """``NextStateClassifier`` parameters passed on to this module's constructor."""

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
        *,
        nhead=4,
        dim_feedforward=None,
        max_len=512,
        repetition_slots=0,
        code_classes=None,
        chord_geometry=None,
    ):
        super().__init__()
        if embedding_dim % nhead:
            raise ValueError(
                f"embedding_dim={embedding_dim} must be a multiple of nhead={nhead}: each "
                "attention head reads embedding_dim / nhead of the embedding."
            )
        self.max_len = max_len
        self.token_embedding = nn.Embedding(n_codes, embedding_dim, padding_idx=PAD)
        self.feature_embeddings = nn.ModuleList(
            nn.Embedding(n, embedding_dim, padding_idx=PAD) for n in feature_sizes
        )
        self.position_embedding = nn.Embedding(max_len, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        width = hidden_dim if dim_feedforward is None else dim_feedforward
        self.blocks = nn.ModuleList(
            TransformerBlock(embedding_dim, nhead, width, dropout) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(embedding_dim)
        # a float, as every saved weight is (model files hold float arrays only)
        self.register_buffer("positions_trained", torch.zeros(()))
        self.apply(_init_weights)
        if class_codes is None:
            self.head = nn.Linear(embedding_dim, n_classes)
            _init_weights(self.head)
        else:  # built after the initialisation, which would overwrite its zero bias anyway
            self.head = TiedOutput(embedding_dim, self.token_embedding, class_codes)
        self.repetition = repetition_slots_or_none(
            repetition_slots, embedding_dim, embedding_dim, n_classes, code_classes
        )
        self.chords = relative_chords_or_none(chord_geometry, embedding_dim, embedding_dim)
        for view in (self.repetition, self.chords):
            if view is not None:
                view.apply(_init_weights)

    def __setstate__(self, state):
        super().__setstate__(with_views(state))

    def embed(self, tokens, structure=None):
        """Event embeddings: the state's, plus those of the extra features of (B, T, 1 + F)
        tokens, of the repetition slots and of the relative chords, as in
        :meth:`LSTMNextState.embed <sklearn_seqlab.neural.modules.LSTMNextState.embed>`:
        -> (B, T, D)."""
        return embed_events(self, self.token_embedding, self.feature_embeddings, tokens, structure)

    def hidden(self, tokens, structure=None):
        """Outputs of the last block, normalised, at every position: -> (B, T, D).

        ``tokens`` are (B, T) states, or (B, T, 1 + F) events with extra features.
        """
        x, allowed = self._inputs(tokens, structure)
        for block in self.blocks:
            x = block(x, allowed)
        return self.norm(x)  # (B, T, D)

    def _inputs(self, tokens, structure=None):
        """The first block's input (B, T, D) and the attention mask (B, 1, T, T)."""
        T = tokens.shape[1]
        mask = real_positions(tokens)  # (B, T)
        if self.training:
            longest = mask.sum(dim=1).max().to(self.positions_trained.dtype)
            self.positions_trained.copy_(torch.maximum(self.positions_trained, longest))
        trained = self.positions_trained.long().clamp(max=self.max_len)
        last_position = torch.where(trained > 0, trained, self.max_len) - 1
        positions = torch.minimum(torch.arange(T, device=tokens.device), last_position)  # (T,)
        x = self.dropout(self.embed(tokens, structure) + self.position_embedding(positions))
        causal = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()
        # position 0 is always real and allowed, so no query row is fully masked
        allowed = (causal & mask[:, None, :])[:, None]  # (B, 1, T, T)
        return x, allowed

    def attention_last(self, tokens):
        """The weights the last real position gives each position in the last block's
        attention, averaged over its heads: (B, T), each row summing to 1, padding 0.

        What :func:`~sklearn_seqlab.inspection.attention_weights` shows for this module.
        """
        x, allowed = self._inputs(tokens)
        for block in self.blocks[:-1]:
            x = block(x, allowed)
        attention = self.blocks[-1].attention
        B, T, D = x.shape
        q, k, _ = attention.qkv(self.blocks[-1].norm1(x)).split(D, dim=-1)
        q, k = (z.view(B, T, attention.nhead, -1).transpose(1, 2) for z in (q, k))
        scores = q @ k.transpose(-1, -2) / math.sqrt(D // attention.nhead)  # (B, h, T, T)
        weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
        last = real_positions(tokens).sum(dim=1) - 1  # (B,)
        return weights[torch.arange(B, device=x.device), :, last].mean(dim=1)  # (B, T)

    def forward(self, tokens):
        structure = context_structure(self, tokens)
        h = self.hidden(tokens, structure)  # (B, T, D)
        return output_scores(self, h, structure)  # (B, T, C)

    def forward_last(self, tokens):
        structure = context_structure(self, tokens)
        h = self.hidden(tokens, structure)  # (B, T, D)
        last = real_positions(tokens).sum(dim=1) - 1  # (B,)
        h_last = h[torch.arange(h.shape[0], device=h.device), last]
        return output_scores(self, h_last, structure, last)  # (B, C)


def _init_weights(module):
    """GPT-2's initialisation: small normal weights, zero biases, a zero padding embedding."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        with torch.no_grad():
            module.weight[module.padding_idx].zero_()
