"""A network's view of what its sequence repeats: it reads, and can predict, earlier states.

The count models' repetition model (:mod:`sklearn_seqlab.counts.repetition`) reads a
sequence by each state's place among its distinct states in the order they first occur:
``C G C F`` is ``0 1 0 2``, as is ``D A D G``. A network given only state embeddings must
learn a song's form separately in every key, and must learn a rare chord's embedding before
it can predict the chord coming back. :class:`RepetitionSlots` gives the modules of
:mod:`sklearn_seqlab.neural.modules` both halves of that view:

- **input**: each position's first-occurrence index has an embedding, added to its state's;
- **output**: beside the logits of the classes, the network scores ``slots`` more outcomes,
  "the next state is the k-th distinct state of the context"; the two are normalised
  together, and each slot's probability goes to the class of its state. A chord seen once
  in training can then be predicted whenever its phrase has played it, as the count models'
  caches do, but with a weight that the network sets for each context.

This is a pointer over the context (Vinyals et al., 2015; the pointer-sentinel mixture of
Merity et al., 2016, normalises the two parts together in the same way), indexed by first
occurrence rather than by position, so that a state is one outcome however often it occurs.
"""

import torch
from torch import nn

from ..encoding import NO_CLASS, PAD
from .batching import state_tokens


def first_occurrences(states, mask, slots):
    """Each position's index among the distinct states of its row, in order of first
    occurrence, for the first ``slots`` of them.

    Parameters
    ----------
    states : torch.Tensor of shape (B, T)
        Input codes.
    mask : torch.Tensor of shape (B, T)
        Whether each position is real (not padding).
    slots : int
        How many distinct states to tell apart.

    Returns
    -------
    index : torch.Tensor of shape (B, T)
        The index (``C G C F`` -> ``0 1 0 2``); ``slots`` for a state that first occurs
        after ``slots`` others, and for padding.
    distinct : torch.Tensor of shape (B, slots)
        The code of each row's k-th distinct state, ``PAD`` where the row has fewer.
    seen : torch.Tensor of shape (B, T)
        How many of the first ``slots`` distinct states occur up to each position: the
        slots that position may point at.
    """
    # one pass per slot, O(slots * B * T): a pairwise comparison of positions would take
    # (B, T, T), 256 MB for a batch of 64 sequences of 2,000 states
    remaining = mask.clone()
    index = torch.full_like(states, slots)
    seen = torch.zeros_like(states)
    positions = torch.arange(states.shape[1], device=states.device)
    distinct = []
    for k in range(slots):
        present = remaining.any(dim=1)  # (B,)
        first = remaining.to(torch.uint8).argmax(dim=1)  # the first maximum: first remaining
        state = states.gather(1, first[:, None])  # (B, 1)
        same = (states == state) & remaining & present[:, None]
        index = torch.where(same, torch.full_like(index, k), index)
        seen = seen + ((positions[None, :] >= first[:, None]) & present[:, None]).long()
        remaining = remaining & ~same
        distinct.append(torch.where(present, state[:, 0], torch.full_like(state[:, 0], PAD)))
    return index, torch.stack(distinct, dim=1), seen


class RepetitionSlots(nn.Module):
    """First-occurrence embeddings for a module's input, slot scores for its output.

    Parameters
    ----------
    slots : int
        How many of a context's distinct states (the first to occur) the network tells
        apart and can point at.
    embedding_dim : int
        Width of the module's input embeddings.
    readout_dim : int
        Width of the vector the module's output layer reads.
    n_classes : int
        Number of classes the module scores.
    code_classes : sequence of int
        The class of each input code, ``NO_CLASS`` for codes that are no class (padding,
        unknown, states never seen as targets): a slot holding such a code is left out.
    """

    def __init__(self, slots, embedding_dim, readout_dim, n_classes, code_classes):
        super().__init__()
        self.slots = slots
        # index ``slots`` stands for later states and padding
        self.embedding = nn.Embedding(slots + 1, embedding_dim)
        self.score = nn.Linear(readout_dim, slots)
        code_classes = torch.as_tensor(code_classes, dtype=torch.long)
        # no class goes to an extra column, dropped after the slots are added up
        code_classes = torch.where(code_classes == NO_CLASS, n_classes, code_classes)
        # derived from the vocabulary, so rebuilt with the module rather than saved with it
        self.register_buffer("code_classes", code_classes, persistent=False)

    def structure(self, tokens):
        """:func:`first_occurrences` of the states of (B, T) or (B, T, 1 + F) tokens."""
        states = state_tokens(tokens)
        return first_occurrences(states, states != PAD, self.slots)

    def embed(self, tokens, structure=None):
        """The embedding of each position's first-occurrence index: -> (B, T, E).
        ``structure`` is what :meth:`structure` gives for ``tokens``, computed here when
        None."""
        if structure is None:
            structure = self.structure(tokens)
        index, _, _ = structure
        return self.embedding(index)

    def forward(self, logits, readout, structure, last=None):
        """The class logits with the slots' scores merged in: the classes and the slots are
        normalised together, and each slot's share goes to the class of its state.

        Parameters
        ----------
        logits : torch.Tensor of shape (B, T, C) or (B, C)
            The module's class logits, at every position or at position ``last`` of each row.
        readout : torch.Tensor of shape (B, T, R) or (B, R)
            The vectors the logits were read from.
        structure : tuple
            What :meth:`structure` gives for the module's input.
        last : torch.Tensor of shape (B,), default=None
            The position of each row that ``logits`` were read at, or None for every position.

        Returns
        -------
        torch.Tensor of the shape of ``logits``
            Logits whose softmax is that joint distribution over the classes. A slot that
            holds no class (an unknown state) is left out, and the rest renormalised, as a
            softmax over the classes alone would.
        """
        _, distinct, seen = structure
        if last is not None:
            seen = seen[torch.arange(len(last), device=last.device), last]  # (B,)
        scores = self.score(readout)  # (B, ..., slots)
        slot = torch.arange(self.slots, device=scores.device)
        scores = scores.masked_fill(slot >= seen[..., None], float("-inf"))
        target = self.code_classes[distinct]  # (B, slots); distinct states, distinct classes
        if scores.dim() == 3:
            target = target[:, None, :].expand_as(scores)
        # exp(logit) + exp(score) for the class a slot points at; a column for no class,
        # finite so that logaddexp's gradient stays finite, dropped at the end
        spare = torch.zeros_like(logits[..., :1])
        padded = torch.cat([logits, spare], dim=-1)
        merged = torch.logaddexp(padded.gather(-1, target), scores)
        return padded.scatter(-1, target, merged)[..., :-1]


def repetition_slots_or_none(slots, embedding_dim, readout_dim, n_classes, code_classes):
    """A module's :class:`RepetitionSlots`, or None without slots."""
    if not slots:
        return None
    if code_classes is None:
        raise ValueError("repetition_slots needs code_classes, the class of each input code.")
    return RepetitionSlots(slots, embedding_dim, readout_dim, n_classes, code_classes)
