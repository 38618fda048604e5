"""Chord symbols: parse them, normalise them at a chosen level, transpose them.

Two notations are read:

- **Harte** (the McGill Billboard and Isophonics annotations): ``root[:quality][/bass]``,
  for example ``C:maj``, ``A:min7``, ``G:maj(9)/5``, ``Bb:7(#9)``; humdrum's ``**harte``
  spells flats with ``-`` (``E-:maj``). The bass is an interval
  above the root (``/3``, ``/b7``), so it does not change when the chord is transposed.
  ``N`` (no chord) and ``X`` (unknown) are not chords.
- **Plain** lead-sheet symbols: ``Am7``, ``F#m``, ``Bbmaj7``, ``Gsus4``, ``C/E``. The bass
  is a note name.

Anything else, Roman numerals (``IV``, ``bVII``) among them, is not a chord symbol here:
:func:`parse_chord` returns None for it, and :func:`transpose_chord` and
:func:`normalize_chord` give it back unchanged, since Roman numerals are already relative to
the key.

Spelling: ``Db`` and ``C#`` are the same pitch class. Whatever a function writes is spelled
in one fixed way per pitch class (:data:`SPELLINGS`), so enharmonic spellings merge.
"""

import re
from typing import NamedTuple

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._params import Options, check_params
from .._validation import check_sequences

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

SPELLINGS = {
    "sharp": ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"),
    "flat": ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"),
    # the spelling most frequent in pop annotations (McGill Billboard): flats but F#
    "pop": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
}
"""Names written for the pitch classes 0-11, by spelling."""

LEVELS = ("full", "seventh", "triad", "root")
"""Levels of :func:`normalize_chord`, from the most detailed to the least."""

# humdrum's **harte spells flats with "-" (E-:maj); a plain symbol's "-" means minor (C-7)
_HARTE = re.compile(r"^([A-G])([#b-]*)(?::([^/]*))?(?:/(.+))?$")
_PLAIN = re.compile(r"^([A-G])([#b]*)([^/]*)(?:/([A-G][#b]*))?$")
_DEGREE = re.compile(r"^([#b]*)(\d+)$")
_DEGREE_SEMITONES = {1: 0, 2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 11, 9: 2, 11: 5, 13: 9}

# Harte shorthands (and plain suffixes) -> (seventh-level quality, triad-level quality)
_HARTE_QUALITIES = {
    "maj": ("maj", "maj"), "min": ("min", "min"), "dim": ("dim", "dim"), "aug": ("aug", "aug"),
    "maj7": ("maj7", "maj"), "min7": ("min7", "min"), "7": ("7", "maj"),
    "dim7": ("dim7", "dim"), "hdim7": ("hdim7", "dim"), "minmaj7": ("minmaj7", "min"),
    "maj6": ("maj", "maj"), "min6": ("min", "min"), "9": ("7", "maj"), "maj9": ("maj7", "maj"),
    "min9": ("min7", "min"), "11": ("7", "maj"), "min11": ("min7", "min"), "13": ("7", "maj"),
    "maj13": ("maj7", "maj"), "min13": ("min7", "min"), "sus4": ("sus4", "sus4"),
    "sus2": ("sus2", "sus2"), "5": ("5", "5"), "1": ("1", "1"),
}  # fmt: skip
_PLAIN_QUALITIES = {
    "": "maj", "M": "maj", "maj": "maj", "m": "min", "min": "min", "-": "min",
    "dim": "dim", "o": "dim", "aug": "aug", "+": "aug", "7": "7", "dom7": "7",
    "maj7": "maj7", "M7": "maj7", "m7": "min7", "min7": "min7", "-7": "min7",
    "dim7": "dim7", "o7": "dim7", "m7b5": "hdim7", "ø": "hdim7", "ø7": "hdim7",
    "mMaj7": "minmaj7", "mmaj7": "minmaj7", "6": "maj6", "m6": "min6", "9": "9",
    "maj9": "maj9", "m9": "min9", "11": "11", "m11": "min11", "13": "13", "sus4": "sus4",
    "sus": "sus4", "sus2": "sus2", "5": "5", "add9": "maj", "6/9": "maj6",
}  # fmt: skip
_PLAIN_SUFFIX = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "maj7": "maj7", "min7": "m7",
    "7": "7", "dim7": "dim7", "hdim7": "m7b5", "minmaj7": "mMaj7", "sus4": "sus4",
    "sus2": "sus2", "5": "5", "1": "",
}  # fmt: skip


class Chord(NamedTuple):
    """A parsed chord symbol.

    Attributes
    ----------
    root : int
        Pitch class of the root, 0 (C) to 11 (B).
    quality : str
        What follows the root, as written (``"min7"``, ``"maj(9)"``, ``"m7"``); empty for a
        plain major triad.
    bass : int or None
        The bass as semitones above the root (0-11), or None when the root is the bass.
    notation : {"harte", "plain"}
        Which notation the symbol was written in.
    """

    root: int
    quality: str
    bass: int | None
    notation: str


def _pitch_class(letter, accidentals):
    flats = accidentals.count("b") + accidentals.count("-")
    return (_LETTERS[letter] + accidentals.count("#") - flats) % 12


def parse_chord(symbol):
    """Parse a Harte or plain chord symbol.

    Parameters
    ----------
    symbol : object
        A chord symbol. Anything that is not a string, or not a chord symbol of either
        notation (``N``, ``X``, Roman numerals, melody notes), gives None.

    Returns
    -------
    chord : Chord or None

    Examples
    --------
    >>> from sklearn_seqlab.data import parse_chord
    >>> parse_chord("G:maj(9)/5")
    Chord(root=7, quality='maj(9)', bass=7, notation='harte')
    >>> parse_chord("F#m7")
    Chord(root=6, quality='m7', bass=None, notation='plain')
    >>> parse_chord("IV") is None
    True
    """
    if not isinstance(symbol, str):
        return None
    match = _HARTE.match(symbol)
    if match and ":" in symbol or match and match.group(4) and _DEGREE.match(match.group(4)):
        letter, accidentals, quality, bass = match.groups()
        root = _pitch_class(letter, accidentals)
        interval = None
        if bass is not None:
            degree = _DEGREE.match(bass)
            if degree is None:
                return None
            shift = degree.group(1).count("#") - degree.group(1).count("b")
            steps = _DEGREE_SEMITONES.get(int(degree.group(2)))
            if steps is None:
                return None
            interval = (steps + shift) % 12 or None
        return Chord(root, quality or "maj", interval, "harte")
    match = _PLAIN.match(symbol)
    if match is None:
        return None
    letter, accidentals, quality, bass = match.groups()
    if _base_quality(quality, "plain") is None:
        return None
    root = _pitch_class(letter, accidentals)
    interval = None
    if bass is not None:
        interval = (_pitch_class(bass[0], bass[1:]) - root) % 12 or None
    return Chord(root, quality, interval, "plain")


def _base_quality(quality, notation):
    """The Harte shorthand behind a written quality, extensions in brackets dropped."""
    if notation == "harte":
        shorthand = quality.split("(")[0] or "maj"
        return shorthand if shorthand in _HARTE_QUALITIES else None
    core = quality.split("(")[0]
    return _PLAIN_QUALITIES.get(core)


def format_chord(chord, spelling="pop"):
    """Write a :class:`Chord` back as a symbol of its own notation.

    Parameters
    ----------
    chord : Chord
        The chord to write.
    spelling : {"pop", "flat", "sharp"}, default="pop"
        How pitch classes are named (:data:`SPELLINGS`).

    Returns
    -------
    symbol : str
    """
    names = _spelling(spelling)
    root = names[chord.root]
    if chord.notation == "harte":
        symbol = f"{root}:{chord.quality}" if chord.quality else root
        return symbol if chord.bass is None else f"{symbol}/{_harte_degree(chord.bass)}"
    symbol = root + chord.quality
    return symbol if chord.bass is None else f"{symbol}/{names[(chord.root + chord.bass) % 12]}"


def _harte_degree(semitones):
    """The usual Harte degree for an interval in semitones (``/3``, ``/b7``)."""
    return ("1", "b2", "2", "b3", "3", "4", "b5", "5", "b6", "6", "b7", "7")[semitones]


def _spelling(spelling):
    if spelling not in SPELLINGS:
        raise ValueError(f"spelling must be one of {sorted(SPELLINGS)}, got {spelling!r}.")
    return SPELLINGS[spelling]


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
    """
    shorthand = _base_quality(chord.quality, chord.notation)
    if chord.notation == "plain" and shorthand is None:
        shorthand = chord.quality.split("(")[0]
    if shorthand not in _HARTE_QUALITIES:
        return shorthand
    return _HARTE_QUALITIES[shorthand][0 if level == "seventh" else 1]


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
