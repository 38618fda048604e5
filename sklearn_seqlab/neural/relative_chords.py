"""A network's view of chords by their intervals, the same in every key.

A network that embeds ``C:maj`` and ``Db:maj`` as unrelated states must learn every
progression separately in each of the twelve keys, from a twelfth of the data; a chord type
met in one key only cannot be predicted in another. Transposing the training data into all
keys (``StateEncoder(augment=KeyTransposer())``) fixes this at twelve times the training
cost. :class:`RelativeChords` builds the symmetry into the modules of
:mod:`sklearn_seqlab.neural.modules` instead:

- **input**: a chord is embedded by its *kind* (its quality and bass, ``min7``, ``maj/3``),
  the interval of its root above the previous state's root (when that state is a chord),
  and the interval of its root above the root of the context's first chord (its degree,
  when that chord is the tonic). A state that is no chord symbol (``N``, an unknown state)
  keeps its own embedding.
- **output**: a chord class is scored by its kind and the interval of its root above an
  *anchor*: the context's last state (when it is a chord), and the context's first chord.
  The scores of the two anchors are added. A context with no chord yet scores the chord
  classes as a network without this view does.

Intervals are spelled, as a number of letters and of semitones: ``C#`` and ``Db`` are one
pitch class, but a key writes one of them (A major has ``C#``, A flat major ``Db``), and a
chord read by its pitch class alone could not tell which. Every input and output is then
the same after a transposition of the whole sequence by a spelled interval: what is learned
of a progression in one key serves all twelve.
"""

from typing import NamedTuple

import torch
from torch import nn

from ..data.chord_symbols import parse_chord
from ..encoding import N_RESERVED
from .batching import state_tokens

CHORD_SHARE = 0.9
"""``relative_chords="auto"`` turns the view on when at least this share of the input
vocabulary's distinct states are chord symbols (Harte or plain,
:func:`~sklearn_seqlab.data.parse_chord`): chord corpora have a few states that are not
(``N``, ``X``, ``END``)."""

LETTERS = "CDEFGAB"
"""The letters a chord's root is spelled with: ``C#`` and ``Db`` are one pitch class, spelled
on two letters, and a key writes one of them."""

NO_INTERVAL = 7 * 12
"""The interval index of a position whose root or anchor is no chord; the others are
``12 * letter step + semitones``."""

RANK = 64
"""Width of the layer between the module's readout and the chord scores. Scored from the
readout directly, every (interval, kind) made a network's epoch on McGill 2.9 times that
without relative chords (221 kinds: 5,304 scores per position against 973 classes); through
64 units, 1.9 times, and the inner splits scored as high (0.411 against 0.407; 0.423
through 128; ``benchmarks/README.md``, twenty-fourth round)."""


class ChordGeometry(NamedTuple):
    """The spelled root and the kind of each input code and of each class
    (:func:`chord_geometry`): a module's view of its vocabulary as chords."""

    code_roots: list
    code_kinds: list
    class_roots: list
    class_kinds: list


def chord_geometry(states, classes):
    """The spelled root and kind of each input code and of each class.

    Parameters
    ----------
    states : sequence
        The input vocabulary: state ``states[i]`` has code ``i + N_RESERVED``.
    classes : sequence
        The classes the module scores (a class need not be an input state).

    Returns
    -------
    ChordGeometry
        Roots are spelled: ``12 * letter + pitch class`` (letter 0-6 for C-B, pitch class
        0-11), so that ``C#`` and ``Db`` differ; -1 for what is no chord symbol (reserved
        codes, ``N``, Roman numerals). A kind is the index of a chord's quality as written
        and its bass interval, shared by codes and classes: two chords of one kind differ
        by a transposition. -1 for what is no chord symbol.
    """
    index = {}

    def read(state):
        chord = parse_chord(state)
        if chord is None:
            return -1, -1
        letter = LETTERS.index(str(state)[0])  # both notations start with the root's letter
        return 12 * letter + chord.root, index.setdefault((chord.quality, chord.bass), len(index))

    codes = [(-1, -1)] * N_RESERVED + [read(state) for state in states]
    read_classes = [read(state) for state in classes]
    return ChordGeometry(
        [root for root, _ in codes],
        [kind for _, kind in codes],
        [root for root, _ in read_classes],
        [kind for _, kind in read_classes],
    )


def is_chord_vocabulary(states):
    """Whether at least ``CHORD_SHARE`` of ``states`` are chord symbols (the test of
    ``relative_chords="auto"``)."""
    states = list(states)
    chords = sum(parse_chord(state) is not None for state in states)
    return bool(states) and chords >= CHORD_SHARE * len(states)


def reads_by_interval(relative_chords, states, has_features):
    """Whether a network with this ``relative_chords`` setting reads ``states`` by interval.

    ``"auto"`` reads a chord vocabulary (:func:`is_chord_vocabulary`) by interval unless the
    events carry extra features: a melody note is not transposed with its chord, so the
    network must know the key.
    """
    if relative_chords == "auto":
        return not has_features and is_chord_vocabulary(states)
    return bool(relative_chords)


class ChordStructure(NamedTuple):
    """What :meth:`RelativeChords.structure` reads in a batch of tokens, each (B, T)."""

    is_chord: torch.Tensor
    """Whether each position's state is a chord symbol."""
    step: torch.Tensor
    """Spelled interval of its root above the previous position's root (``NO_INTERVAL`` if
    either is no chord)."""
    degree: torch.Tensor
    """Spelled interval of its root above the root of the row's first chord."""
    anchors: tuple
    """The spelled roots the output is read against: each position's own root, and the root
    of its row's first chord up to it (-1 where none is a chord yet)."""


def _interval(roots, anchor):
    """The spelled interval of ``roots`` above ``anchor``, ``12 * letter step + semitones``
    (a major third: 2 letters, 4 semitones), ``NO_INTERVAL`` where either is -1."""
    known = (roots >= 0) & (anchor >= 0)
    steps = (roots // 12 - anchor // 12) % 7
    semitones = (roots % 12 - anchor % 12) % 12
    return torch.where(known, 12 * steps + semitones, torch.full_like(roots, NO_INTERVAL))


class RelativeChords(nn.Module):
    """Chords embedded and scored by kind and interval, the same in every key.

    Parameters
    ----------
    geometry : ChordGeometry
        The spelled root and kind of each input code and of each class
        (:func:`chord_geometry`).
    embedding_dim : int
        Width of the module's input embeddings.
    readout_dim : int
        Width of the vector the module's output layer reads.
    """

    def __init__(self, geometry, embedding_dim, readout_dim):
        super().__init__()
        # computed on the lists, not on tensors: a model file is first built on the meta
        # device, which holds no values
        self.n_kinds = max(geometry.code_kinds + geometry.class_kinds) + 1
        # the last index of each embedding stands for "no chord"
        self.kind_embedding = nn.Embedding(self.n_kinds + 1, embedding_dim)
        self.step_embedding = nn.Embedding(NO_INTERVAL + 1, embedding_dim)
        self.degree_embedding = nn.Embedding(NO_INTERVAL + 1, embedding_dim)
        # for each anchor, a score per (semitones above it, kind), and one per spelled
        # interval above it, which tells C# from Db
        self.reduce = nn.Linear(readout_dim, RANK)
        self.score = nn.ModuleList(nn.Linear(RANK, 12 * self.n_kinds) for _ in range(2))
        self.spelling = nn.ModuleList(nn.Linear(RANK, NO_INTERVAL) for _ in range(2))
        roots, kinds = geometry.class_roots, geometry.class_kinds
        # the columns of each class's scores for each anchor (row 1 + its pitch class, or
        # row 1 + its spelled root; row 0, no anchor, is masked): one gather each
        kind_columns = [
            [
                (r - a) % 12 * self.n_kinds + k if r >= 0 else 0
                for r, k in zip(roots, kinds, strict=True)
            ]
            for a in range(12)
        ]
        spelled_columns = [
            [12 * ((r // 12 - a // 12) % 7) + (r - a) % 12 if r >= 0 else 0 for r in roots]
            for a in range(NO_INTERVAL)
        ]
        code_kinds = [self.n_kinds if kind < 0 else kind for kind in geometry.code_kinds]
        # derived from the vocabulary, so rebuilt with the module rather than saved with it
        for name, values in (
            ("code_roots", geometry.code_roots),
            ("code_kinds", code_kinds),
            ("class_roots", roots),
            ("kind_columns", [[0] * len(roots), *kind_columns]),
            ("spelled_columns", [[0] * len(roots), *spelled_columns]),
        ):
            self.register_buffer(name, torch.as_tensor(values, dtype=torch.long), persistent=False)

    def structure(self, tokens):
        """The :class:`ChordStructure` of the states of (B, T) or (B, T, 1 + F) tokens."""
        states = state_tokens(tokens)
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
        relative = (
            self.kind_embedding(self.code_kinds[state_tokens(tokens)])
            + self.step_embedding(structure.step)
            + self.degree_embedding(structure.degree)
        )
        return torch.where(structure.is_chord[..., None], relative, state_embeddings)

    def forward(self, logits, readout, structure, last=None):
        """The class logits with each chord class scored by its kind and intervals.

        The arguments are those of every view's output (as
        :meth:`~sklearn_seqlab.neural.repetition.RepetitionSlots.forward`), ``structure``
        being the :class:`ChordStructure` of the module's input. A chord class's logit
        becomes the sum, over the anchors that are chords, of its score for its kind and its
        root's semitones above that anchor and of its score for its root's spelled interval
        above it; the logits of the other classes, and those of every class where no anchor
        is a chord, are kept.
        """
        reduced = self.reduce(readout)
        relative, any_anchor = 0.0, None
        for anchor, score, spelling in zip(
            structure.anchors, self.score, self.spelling, strict=True
        ):
            if last is not None:
                anchor = anchor[torch.arange(len(last), device=last.device), last]  # (B,)
            known = anchor >= 0
            pitch = torch.where(known, anchor % 12 + 1, 0)
            scores = score(reduced).gather(-1, self.kind_columns[pitch])  # (B, ..., C)
            scores = scores + spelling(reduced).gather(-1, self.spelled_columns[anchor + 1])
            relative = relative + scores * known[..., None]
            any_anchor = known if any_anchor is None else any_anchor | known
        return torch.where((self.class_roots >= 0) & any_anchor[..., None], relative, logits)


def relative_chords_or_none(geometry, embedding_dim, readout_dim):
    """A module's :class:`RelativeChords`, or None when ``geometry`` (a
    :class:`ChordGeometry`) is None."""
    if geometry is None:
        return None
    geometry = ChordGeometry(*geometry)
    if max(geometry.class_kinds, default=-1) < 0:
        raise ValueError("chord_geometry holds no class that is a chord symbol.")
    return RelativeChords(geometry, embedding_dim, readout_dim)
