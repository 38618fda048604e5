"""Augmenters: make extra training sequences from the training sequences.

An augmenter is any callable that takes a list of sequences and returns, for each one, a list
of new sequences (its copies), possibly empty. Give one to ``StateEncoder(augment=...)``: the
copies are then made in ``fit_transform`` only, which is what a ``Pipeline`` calls while
fitting, and the classifiers train on the copies of their training sequences only (never on
copies of the sequences they hold out for validation, nor of the sequences they score).
"""

import warnings
from collections import Counter
from collections.abc import Iterable

from sklearn.base import BaseEstimator

from .._params import Instance, Integer, Options, check_params, is_callable
from .chord_symbols import looks_like_chord
from .chords import SPELLINGS, parse_chord, transpose_chord


class KeyTransposer(BaseEstimator):
    """Copies of chord sequences transposed into other keys.

    Each sequence is transposed by every shift in ``semitones``; its chord symbols (Harte,
    such as ``A:min7/b7``, or plain, such as ``F#m`` or ``G7b9``) move, anything else
    (``N``, ``NC``, Roman numerals, which are already relative to the key) stays. A sequence
    without a chord symbol gets no copies. Nor does a sequence with a symbol that starts
    like a chord but cannot be read (``G7omit3``): leaving it where it was would write a
    wrong chord into every copy; a warning names such symbols. Roots are written in one
    spelling per pitch class, so that ``Db`` and ``C#`` merge;
    :class:`~sklearn_seqlab.data.chords.ChordNormalizer` spells the untransposed data the
    same way.

    Parameters
    ----------
    semitones : list of int, default=None
        The shifts to make copies for; None means all 11 other keys (1 to 11).
    spelling : {"pop", "flat", "sharp"}, default="pop"
        How transposed roots are spelled (see :data:`sklearn_seqlab.data.chords.SPELLINGS`).

    Examples
    --------
    >>> from sklearn_seqlab.data import KeyTransposer
    >>> KeyTransposer(semitones=[2, 5])([["C:maj", "A:min7", "N"], ["I", "IV"]])
    [[['D:maj', 'B:min7', 'N'], ['F:maj', 'D:min7', 'N']], []]
    """

    _parameter_constraints = {
        "semitones": [Instance(Iterable, "a list of integers"), None],
        "spelling": [Options(*sorted(SPELLINGS))],
    }

    def __init__(self, semitones=None, spelling="pop"):
        self.semitones = semitones
        self.spelling = spelling

    def __call__(self, sequences):
        shifts = self._check_params()
        moves = {}  # each distinct symbol is parsed once per call, not once per key
        copies, unread, skipped = [], Counter(), 0
        for seq in sequences:
            moved = [_moves(s, shifts, self.spelling, moves) for s in seq]
            misread = [
                s for s, m in zip(seq, moved, strict=True) if m is None and looks_like_chord(s)
            ]
            unread.update(misread)
            skipped += bool(misread)
            if misread or all(m is None for m in moved):
                copies.append([])
                continue
            copies.append(
                [
                    [s if m is None else m[i] for s, m in zip(seq, moved, strict=True)]
                    for i in range(len(shifts))
                ]
            )
        if unread:
            shown = ", ".join(repr(s) for s, _ in unread.most_common(5))
            warnings.warn(
                f"KeyTransposer made no copies of {skipped} sequences "
                f"with symbols that start like chords but are not chord symbols it reads "
                f"({len(unread)} distinct, the commonest: {shown}). Rewrite them as Harte "
                "(G:7) or plain (G7) symbols, or map them to 'N', to have those "
                "sequences transposed.",
                UserWarning,
                stacklevel=2,
            )
        return copies

    def _check_params(self):
        """Check the parameters; return the shifts to make copies for."""
        check_params(self)
        if self.semitones is None:
            return list(range(1, 12))
        try:
            shifts = [int(k) for k in self.semitones]
        except (TypeError, ValueError):
            raise TypeError(
                f"semitones must be a list of integers, got {self.semitones!r}."
            ) from None
        if any(k != s for k, s in zip(shifts, self.semitones, strict=True)):
            raise TypeError(f"semitones must be a list of integers, got {self.semitones!r}.")
        return shifts


def _moves(symbol, shifts, spelling, known):
    """``symbol`` transposed by each of ``shifts``, or None if it is not a chord symbol.

    Results are kept in ``known``, keyed by symbol: a corpus repeats a few thousand symbols
    many times, and parsing each occurrence for each key was most of the augmentation's cost.
    """
    if not isinstance(symbol, str):  # only strings are chord symbols (and all are hashable)
        return None
    if symbol not in known:
        chord = parse_chord(symbol)
        known[symbol] = (
            None
            if chord is None
            else [transpose_chord(symbol, k, spelling=spelling) for k in shifts]
        )
    return known[symbol]


class SubsequenceAugmenter(BaseEstimator):
    """Copies of every contiguous subsequence of the sequences, as SeqLab's
    ``augment_by_subsequences`` made them.

    Each sequence of length ``n`` gets its distinct subsequences of ``min_length`` to
    ``n - 1`` states. A subsequence is made once per call: not again for a later sequence,
    nor when it is one of the sequences given. The number of copies grows with the square of
    a sequence's length (about ``n**2 / 2``), so this suits short sequences such as phrases.

    Given to ``StateEncoder(augment=...)``, the copies are made from the training sequences
    only. SeqLab cut them from the whole data set before splitting it into folds, so that
    parts of each test sequence were trained on.

    Parameters
    ----------
    min_length : int, default=2
        The shortest subsequence: 2 states, a context and a target.

    Examples
    --------
    >>> from sklearn_seqlab.data import SubsequenceAugmenter
    >>> SubsequenceAugmenter()([["C", "F", "G", "C"], ["F", "G"]])  # ["F", "G"] is given
    [[['C', 'F'], ['G', 'C'], ['C', 'F', 'G'], ['F', 'G', 'C']], []]
    """

    _parameter_constraints = {"min_length": [Integer(1)]}

    def __init__(self, min_length=2):
        self.min_length = min_length

    def __call__(self, sequences):
        check_params(self)
        seen = {tuple(seq) for seq in sequences}
        copies = []
        for seq in sequences:
            made = []
            for length in range(self.min_length, len(seq)):
                for start in range(len(seq) - length + 1):
                    sub = tuple(seq[start : start + length])
                    if sub not in seen:
                        seen.add(sub)
                        made.append(list(sub))
            copies.append(made)
        return copies


class AugmenterChain(BaseEstimator):
    """Several augmenters in turn: each one copies the sequences and the copies made so far.

    Parameters
    ----------
    augmenters : list of callables
        Augmenters such as :class:`KeyTransposer` and :class:`SubsequenceAugmenter`.

    Examples
    --------
    >>> from sklearn_seqlab.data import (
    ...     AugmenterChain, KeyTransposer, SubsequenceAugmenter)
    >>> chain = AugmenterChain([KeyTransposer(semitones=[2]), SubsequenceAugmenter()])
    >>> chain([["C", "F", "G"]])
    [[['D', 'G', 'A'], ['C', 'F'], ['F', 'G'], ['D', 'G'], ['G', 'A']]]
    """

    _parameter_constraints = {
        "augmenters": [
            Instance(
                lambda value: isinstance(value, (list, tuple)) and all(map(is_callable, value)),
                "a list of augmenters (callables)",
            )
        ]
    }

    def __init__(self, augmenters):
        self.augmenters = augmenters

    def __call__(self, sequences):
        check_params(self)
        pools = [[list(seq)] for seq in sequences]  # each sequence, then its copies
        for augment in self.augmenters:
            made = iter(augment([seq for pool in pools for seq in pool]))
            pools = [pool + [c for _ in pool for c in next(made)] for pool in pools]
        return [pool[1:] for pool in pools]
