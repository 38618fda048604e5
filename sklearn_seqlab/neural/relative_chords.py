"""A network's view of chords by their intervals, the same in every key.

A network that embeds ``C:maj`` and ``Db:maj`` as unrelated states must learn every
progression separately in each of the twelve keys, from a twelfth of the data; a chord type
met in one key only cannot be predicted in another. Transposing the training data into all
keys (``StateEncoder(augment=KeyTransposer())``) fixes this at twelve times the training
cost. :class:`RelativeChords` builds the symmetry into the modules of
:mod:`sklearn_seqlab.neural.modules` instead:

- **input**: a chord is embedded by its *kind* (its quality and bass, ``min7``, ``maj/3``),
  the interval of its root above the previous chord's root, and the interval of its root
  above the root of the sequence's first chord (its degree, when the first chord is the
  tonic). A state that is no chord symbol (``N``, an unknown state) keeps its own embedding.
- **output**: a chord class is scored by its kind and the interval of its root above an
  *anchor*: the last chord of the context, and the sequence's first chord. The two scores
  are added. A context whose anchors are no chords scores the chord classes as a network
  without this view does.

Every input and output is then the same after a transposition of the whole sequence: what
is learned of a progression in one key serves all twelve.
"""

from typing import NamedTuple

import torch
from torch import nn

from ..data.chord_symbols import parse_chord
from ..encoding import N_RESERVED, NO_CLASS

CHORD_SHARE = 0.9
"""``relative_chords="auto"`` turns the view on when at least this share of the input
states are chord symbols (Harte or plain, :func:`~sklearn_seqlab.data.parse_chord`): chord
corpora have a few states that are not (``N``, ``X``, ``END``)."""

NO_INTERVAL = 12
"""The interval index of a position whose root or anchor is no chord."""

RANK = 64
"""Width of the layer between the module's readout and the chord scores. Scoring every
(interval, kind) from the readout directly tripled a network's epoch on McGill (221 kinds:
5,304 scores per position against 973 classes); through 64 units the epoch takes about 1.5
times that without relative chords, and the inner splits scored as high (0.411 against
0.407; 0.423 through 128; ``benchmarks/README.md``, twenty-fourth round)."""


def chord_geometry(states):
    """The root and kind of each input code, for states ``states`` (code ``i + N_RESERVED``).

    Parameters
    ----------
    states : sequence
        The input vocabulary.

    Returns
    -------
    roots : list of int
        Pitch class of each code's root (0-11), -1 for a code that is no chord symbol
        (reserved codes, ``N``, Roman numerals).
    kinds : list of int
        Index of each code's kind, its quality as written and its bass interval: two chords
        of one kind differ by a transposition. -1 for a code that is no chord symbol.
    """
    roots, kinds, index = [-1] * N_RESERVED, [-1] * N_RESERVED, {}
    for state in states:
        chord = parse_chord(state)
        if chord is None:
            roots.append(-1)
            kinds.append(-1)
        else:
            roots.append(chord.root)
            kinds.append(index.setdefault((chord.quality, chord.bass), len(index)))
    return roots, kinds


def is_chord_vocabulary(states):
    """Whether at least ``CHORD_SHARE`` of ``states`` are chord symbols (the test of
    ``relative_chords="auto"``)."""
    states = list(states)
    chords = sum(parse_chord(state) is not None for state in states)
    return bool(states) and chords >= CHORD_SHARE * len(states)


class ChordStructure(NamedTuple):
    """What :meth:`RelativeChords.structure` reads in a batch of tokens, each (B, T)."""

    is_chord: torch.Tensor
    """Whether each position's state is a chord symbol."""
    step: torch.Tensor
    """Interval of its root above the previous position's root (``NO_INTERVAL`` if either
    is no chord)."""
    degree: torch.Tensor
    """Interval of its root above the root of the row's first chord."""
    anchors: tuple
    """The roots the output is read against: each position's own root, and the root of its
    row's first chord up to it (-1 where none is a chord yet)."""


def _interval(roots, anchor):
    """``roots`` above ``anchor`` in semitones, ``NO_INTERVAL`` where either is -1."""
    known = (roots >= 0) & (anchor >= 0)
    return torch.where(known, (roots - anchor) % 12, torch.full_like(roots, NO_INTERVAL))


class RelativeChords(nn.Module):
    """Chords embedded and scored by kind and interval, the same in every key.

    Parameters
    ----------
    code_roots, code_kinds : sequence of int
        The root and kind of each input code (:func:`chord_geometry`).
    embedding_dim : int
        Width of the module's input embeddings.
    readout_dim : int
        Width of the vector the module's output layer reads.
    n_classes : int
        Number of classes the module scores.
    code_classes : sequence of int
        The class of each input code, ``NO_CLASS`` for codes that are no class.
    """

    def __init__(self, code_roots, code_kinds, embedding_dim, readout_dim, n_classes, code_classes):
        super().__init__()
        # computed on the lists, not on tensors: a model file is first built on the meta
        # device, which holds no values
        self.n_kinds = max(code_kinds) + 1
        class_roots, class_kinds = [-1] * n_classes, [0] * n_classes
        for root, kind, index in zip(code_roots, code_kinds, code_classes, strict=True):
            if index != NO_CLASS:
                class_roots[index], class_kinds[index] = root, max(kind, 0)
        kinds = [self.n_kinds if kind < 0 else kind for kind in code_kinds]
        # the last index of each embedding stands for "no chord"
        self.kind_embedding = nn.Embedding(self.n_kinds + 1, embedding_dim)
        self.step_embedding = nn.Embedding(NO_INTERVAL + 1, embedding_dim)
        self.degree_embedding = nn.Embedding(NO_INTERVAL + 1, embedding_dim)
        # one score per (interval above the anchor, kind) for each anchor
        self.reduce = nn.Linear(readout_dim, RANK)
        self.score = nn.ModuleList(nn.Linear(RANK, 12 * self.n_kinds) for _ in range(2))
        # the column of each class's score for each anchor root (row 1 + root; row 0, no
        # anchor, is masked): one gather per anchor then reads the classes' scores
        columns = [
            [0] * n_classes,
            *(
                [
                    ((r - a) % 12) * self.n_kinds + k if r >= 0 else 0
                    for r, k in zip(class_roots, class_kinds, strict=True)
                ]
                for a in range(12)
            ),
        ]
        # derived from the vocabulary, so rebuilt with the module rather than saved with it
        for name, values in (
            ("code_roots", code_roots),
            ("code_kinds", kinds),
            ("class_roots", class_roots),
            ("class_columns", columns),
        ):
            self.register_buffer(name, torch.as_tensor(values, dtype=torch.long), persistent=False)

    def structure(self, tokens):
        """The :class:`ChordStructure` of the states of (B, T) or (B, T, 1 + F) tokens."""
        states = tokens if tokens.dim() == 2 else tokens[..., 0]
        roots = self.code_roots[states]  # (B, T), -1 where no chord
        is_chord = roots >= 0
        previous = torch.cat([torch.full_like(roots[:, :1], -1), roots[:, :-1]], dim=1)
        # the root of each row's first chord, from that chord on
        length = states.shape[1]
        positions = torch.arange(length, device=states.device).expand_as(states)
        first = torch.where(is_chord, positions, torch.full_like(positions, length)).min(dim=1)
        first_root = roots.gather(1, first.values.clamp(max=length - 1)[:, None])  # (B, 1)
        tonic = torch.where(positions >= first.values[:, None], first_root, -1)
        return ChordStructure(
            is_chord, _interval(roots, previous), _interval(roots, tonic), (roots, tonic)
        )

    def embed(self, state_embeddings, tokens, structure):
        """The events' embeddings with each chord's replaced by that of its kind, step and
        degree: (B, T, E) -> (B, T, E)."""
        states = tokens if tokens.dim() == 2 else tokens[..., 0]
        relative = (
            self.kind_embedding(self.code_kinds[states])
            + self.step_embedding(structure.step)
            + self.degree_embedding(structure.degree)
        )
        return torch.where(structure.is_chord[..., None], relative, state_embeddings)

    def forward(self, logits, readout, structure, last=None):
        """The class logits with each chord class scored by its kind and intervals.

        Parameters
        ----------
        logits : torch.Tensor of shape (B, T, C) or (B, C)
            The module's class logits, at every position or at position ``last`` of each row.
        readout : torch.Tensor of shape (B, T, R) or (B, R)
            The vectors the logits were read from.
        structure : ChordStructure
            What :meth:`structure` gives for the module's input.
        last : torch.Tensor of shape (B,), default=None
            The position of each row that ``logits`` were read at, or None for every position.

        Returns
        -------
        torch.Tensor of the shape of ``logits``
            A chord class's logit is the sum over the anchors that are chords of its score
            for its kind and its root's interval above that anchor; the logits of the other
            classes, and those of every class where no anchor is a chord, are kept.
        """
        reduced = self.reduce(readout)
        relative, any_anchor = 0.0, None
        for anchor, score in zip(structure.anchors, self.score, strict=True):
            if last is not None:
                anchor = anchor[torch.arange(len(last), device=last.device), last]  # (B,)
            known = (anchor >= 0)[..., None]  # (B, ..., 1)
            scores = score(reduced).gather(-1, self.class_columns[anchor + 1])  # (B, ..., C)
            relative = relative + scores * known
            any_anchor = known if any_anchor is None else any_anchor | known
        return torch.where((self.class_roots >= 0) & any_anchor, relative, logits)


def relative_chords_or_none(geometry, embedding_dim, readout_dim, n_classes, code_classes):
    """A module's :class:`RelativeChords`, or None when ``geometry`` (the ``(roots, kinds)``
    of :func:`chord_geometry`) is None."""
    if geometry is None:
        return None
    if code_classes is None:
        raise ValueError("chord_geometry needs code_classes, the class of each input code.")
    roots, kinds = geometry
    if max(kinds, default=-1) < 0:
        raise ValueError("chord_geometry holds no chord symbol.")
    return RelativeChords(roots, kinds, embedding_dim, readout_dim, n_classes, code_classes)
