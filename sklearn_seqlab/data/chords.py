"""Chord symbols normalised at a chosen level and transposed; their parts as features.

The notations read (Harte and plain lead-sheet symbols), :class:`Chord`, :func:`parse_chord`
and :func:`format_chord` live in :mod:`sklearn_seqlab.data.chord_symbols` and are importable
from here too. Whatever a function writes is spelled in one fixed way per pitch class
(:data:`SPELLINGS`), so enharmonic spellings merge.
"""

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._params import Options, check_params
from .._validation import check_sequences
from .chord_symbols import (
    _HARTE_DEGREES,
    SPELLINGS,
    Chord,
    _harte_degree,
    _plain_quality,
    _spelling,
    format_chord,
    harte_degrees,
    parse_chord,
)

# importable from here as before parsing had a module of its own
__all__ = [
    "LEVELS",
    "SPELLINGS",
    "Chord",
    "ChordNormalizer",
    "chord_parts",
    "chord_quality",
    "format_chord",
    "harte_degrees",
    "normalize_chord",
    "parse_chord",
    "transpose_chord",
]

LEVELS = ("full", "seventh", "triad", "root")
"""Levels of :func:`normalize_chord`, from the most detailed to the least."""

_PLAIN_SUFFIX = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "maj7": "maj7", "min7": "m7",
    "7": "7", "dim7": "dim7", "hdim7": "m7b5", "minmaj7": "mMaj7", "sus4": "sus4",
    "sus2": "sus2", "5": "5", "1": "",
}  # fmt: skip


def transpose_chord(symbol, semitones, *, spelling="pop"):
    """Transpose a chord symbol by a number of semitones.

    Parameters
    ----------
    symbol : object
        A chord symbol; anything :func:`parse_chord` does not read is returned unchanged.
    semitones : int
        Semitones up (negative: down).
    spelling : {"pop", "flat", "sharp"}, default="pop"
        How the new root (and a plain symbol's bass note) is spelled.

    Returns
    -------
    symbol : object

    Examples
    --------
    >>> from sklearn_seqlab.data import transpose_chord
    >>> transpose_chord("A:min7/b7", 3), transpose_chord("Am7", 1), transpose_chord("IV", 2)
    ('C:min7/b7', 'Bbm7', 'IV')
    """
    chord = parse_chord(symbol)
    if chord is None:
        return symbol
    return format_chord(chord._replace(root=(chord.root + int(semitones)) % 12), spelling)


def normalize_chord(symbol, level="full", *, spelling="pop"):
    """Normalise a chord symbol: one spelling per root, and as much detail as ``level`` keeps.

    Parameters
    ----------
    symbol : object
        A chord symbol; anything :func:`parse_chord` does not read is returned unchanged.
    level : {"full", "seventh", "triad", "root"}, default="full"
        ``"full"`` only merges enharmonic spellings; ``"seventh"`` keeps the seventh chord
        (extensions and inversions dropped, ninths and beyond reduced to their seventh);
        ``"triad"`` keeps the triad (major, minor, diminished, augmented, suspended, power
        chord); ``"root"`` keeps the root alone. SeqLab's ``normalize_chords`` is close to
        ``"seventh"``.
    spelling : {"pop", "flat", "sharp"}, default="pop"
        How roots are spelled.

    Returns
    -------
    symbol : object

    Examples
    --------
    >>> from sklearn_seqlab.data import normalize_chord
    >>> [normalize_chord("Db:9(13)/3", level) for level in ("full", "seventh", "triad", "root")]
    ['Db:9(13)/3', 'Db:7', 'Db:maj', 'Db']
    >>> normalize_chord("C#m7b5", "triad")
    'Dbdim'
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, got {level!r}.")
    chord = parse_chord(symbol)
    if chord is None:
        return symbol
    if level == "full":
        return format_chord(chord, spelling)
    root = _spelling(spelling)[chord.root]
    if level == "root":
        return root
    reduced = chord_quality(chord, level)
    if chord.notation == "harte":
        return f"{root}:{reduced}"
    return root + _PLAIN_SUFFIX[reduced]


def chord_quality(chord, level="seventh"):
    """The Harte shorthand of a chord's quality at the ``"seventh"`` or ``"triad"`` level.

    The quality is read from the chord's degrees, so additions and omissions count: a Harte
    ``aug(b7)`` is a ``"7"``, ``1(b3,b7)`` a ``"min7"``, ``maj(*3)`` (no third) a ``"5"``,
    and ``(1,b3,5)`` a ``"min"``. Ninths and beyond reduce to their seventh, sixths to their
    triad; a chord without a third is ``"sus4"``, ``"sus2"``, ``"5"`` or ``"1"``.

    Parameters
    ----------
    chord : Chord
        A parsed chord.
    level : {"seventh", "triad"}, default="seventh"
        How much detail to keep.

    Returns
    -------
    quality : str
        A Harte shorthand such as ``"min7"`` or ``"maj"``; a quality this module does not
        know is kept as written (its extensions dropped).

    Examples
    --------
    >>> from sklearn_seqlab.data import chord_quality, parse_chord
    >>> [chord_quality(parse_chord(s)) for s in ("C:aug(b7)", "C:(1,b3,5)", "Cm7b5")]
    ['7', 'min', 'hdim7']
    """
    if chord.notation == "harte":
        degrees = harte_degrees(chord.quality)
    else:
        shorthand = _plain_quality(chord.quality)
        degrees = None if shorthand is None else _HARTE_DEGREES[shorthand]
    if degrees is None:
        return chord.quality.split("(")[0]
    triad = _triad(degrees)
    if level == "triad":
        return triad
    seventh = next((a for a in (0, -1, -2) if (7, a) in degrees), None)
    return _SEVENTHS.get((triad, seventh), triad)


# a triad with a major, minor or diminished seventh (7, b7, bb7) -> its seventh chord
_SEVENTHS = {
    ("maj", 0): "maj7", ("maj", -1): "7", ("aug", -1): "7", ("min", 0): "minmaj7",
    ("min", -1): "min7", ("dim", -1): "hdim7", ("dim", -2): "dim7",
}  # fmt: skip


def _triad(degrees):
    """The triad of a set of (degree, alteration) pairs: its third, then its fifth."""
    if (3, 0) in degrees:  # a major third wins over a minor one, which is then a #9
        return "aug" if (5, 1) in degrees and (5, 0) not in degrees else "maj"
    if (3, -1) in degrees:
        return "dim" if (5, -1) in degrees and (5, 0) not in degrees else "min"
    if (4, 0) in degrees:
        return "sus4"
    if (2, 0) in degrees:
        return "sus2"
    return "5" if (5, 0) in degrees else "1"


class ChordNormalizer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Normalise the chord symbols of sequences: a stateless first step of a Pipeline.

    Every state goes through :func:`normalize_chord`; states that are not chord symbols stay
    as they are. Put it before :class:`~sklearn_seqlab.StateEncoder` so that training and
    scored sequences are normalised alike (SeqLab's ``normalize_chords``).

    Parameters
    ----------
    level : {"full", "seventh", "triad", "root"}, default="full"
        How much of each chord to keep; ``"full"`` only merges enharmonic spellings.
    spelling : {"pop", "flat", "sharp"}, default="pop"
        How roots are spelled.

    Examples
    --------
    >>> from sklearn_seqlab.data import ChordNormalizer
    >>> ChordNormalizer(level="triad").fit_transform([["C#:min7", "G:9/3", "N"]])
    [['Db:min', 'G:maj', 'N']]
    """

    _parameter_constraints = {
        "level": [Options(*LEVELS)],
        "spelling": [Options(*sorted(SPELLINGS))],
    }

    def __init__(self, level="full", spelling="pop"):
        self.level = level
        self.spelling = spelling

    def fit(self, X, y=None):
        """Check the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : iterable of sequences
            Sequences of states.
        y : None
            Ignored.

        Returns
        -------
        self : ChordNormalizer
        """
        self._check_params()
        check_sequences(X)
        self.n_features_in_ = 1  # one sample is one sequence
        return self

    def transform(self, X):
        """Normalise every chord symbol.

        Parameters
        ----------
        X : iterable of sequences
            Sequences of states.

        Returns
        -------
        sequences : list of list
            New lists; ``X`` is not modified.
        """
        check_is_fitted(self)
        self._check_params()
        cache = {}
        out = []
        for seq in check_sequences(X):
            row = []
            for state in seq:
                if state not in cache:
                    cache[state] = normalize_chord(state, self.level, spelling=self.spelling)
                row.append(cache[state])
            out.append(row)
        return out

    def _check_params(self):
        check_params(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.requires_fit = False
        return tags


def chord_parts(symbol):
    """Root, quality and bass of a chord symbol, as features for ``state_features``.

    ``StateEncoder(state_features=chord_parts)`` gives the networks these three parts of
    each chord as extra inputs, so that a rare chord (``Db:min9/b3``) shares what is learned
    about its root, its quality and its bass with the common chords that have them.

    Parameters
    ----------
    symbol : object
        A state; anything that is not a chord symbol gets ``("-", "-", "-")``.

    Returns
    -------
    parts : tuple of str
        The root (in ``"pop"`` spelling), the quality at the ``"seventh"`` level (a Harte
        shorthand), and the bass as an interval above the root (``"-"`` in root position).

    Examples
    --------
    >>> from sklearn_seqlab.data import chord_parts
    >>> chord_parts("C#:min9/b3"), chord_parts("F#7"), chord_parts("N")
    (('Db', 'min7', 'b3'), ('F#', '7', '-'), ('-', '-', '-'))
    """
    chord = parse_chord(symbol)
    if chord is None:
        return ("-", "-", "-")
    bass = "-" if chord.bass is None else _harte_degree(chord.bass)
    return (SPELLINGS["pop"][chord.root], chord_quality(chord, "seventh"), bass)
