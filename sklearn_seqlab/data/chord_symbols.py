"""Chord symbols: parse them, and write them back in one spelling per pitch class.

Two notations are read:

- **Harte** (the McGill Billboard and Isophonics annotations): ``root[:quality][/bass]``,
  for example ``C:maj``, ``A:min7``, ``G:maj(9)/5``, ``Bb:7(#9)``; humdrum's ``**harte``
  spells flats with ``-`` (``E-:maj``). The bass is an interval
  above the root (``/3``, ``/b7``), so it does not change when the chord is transposed.
  ``N`` (no chord) and ``X`` (unknown) are not chords.
- **Plain** lead-sheet symbols: ``Am7``, ``F#m``, ``Bbmaj7``, ``Gsus4``, ``C/E``, and the
  alterations of jazz lead sheets after them: ``G7b9``, ``C7#9#11``, ``D7alt``, ``Bb7sus4``,
  ``FM7#11``, ``C69``, ``Am(maj7)``. The bass is a note name.

Anything else, Roman numerals (``IV``, ``bVII``) among them, is not a chord symbol here:
:func:`parse_chord` returns None for it, and
:func:`~sklearn_seqlab.data.chords.transpose_chord` and
:func:`~sklearn_seqlab.data.chords.normalize_chord` give it back unchanged, since Roman
numerals are already relative to the key.

Spelling: ``Db`` and ``C#`` are the same pitch class. Whatever a function writes is spelled
in one fixed way per pitch class (:data:`SPELLINGS`), so enharmonic spellings merge.
"""

import re
from typing import NamedTuple

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

SPELLINGS = {
    "sharp": ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"),
    "flat": ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"),
    # the spelling most frequent in pop annotations (McGill Billboard): flats but F#
    "pop": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
}
"""Names written for the pitch classes 0-11, by spelling."""

# humdrum's **harte spells flats with "-" (E-:maj); a plain symbol's "-" means minor (C-7)
_HARTE = re.compile(r"^([A-G])([#b-]*)(?::([^/]*))?(?:/(.+))?$")
# a "/" starts the bass note, except in the quality "6/9"
_PLAIN = re.compile(r"^([A-G])([#b]*)((?:6/9|[^/])*)(?:/([A-G][#b]*))?$")
_DEGREE = re.compile(r"^([#b]*)(\d+)$")
_DEGREE_SEMITONES = {1: 0, 2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 11, 9: 2, 11: 5, 13: 9}


def _read_degree(text):
    """A Harte degree (``"b7"``, ``"#9"``, ``"3"``) as ``(number, alteration in semitones)``,
    or None."""
    match = _DEGREE.match(text)
    if match is None:
        return None
    accidentals, number = match.groups()
    return int(number), accidentals.count("#") - accidentals.count("b")


# The degrees of each Harte shorthand (Harte et al., ISMIR 2005), as (degree, alteration in
# semitones); a quality in brackets adds degrees to them or, starred, omits them
_HARTE_DEGREES = {
    name: frozenset(_read_degree(d) for d in degrees.split())
    for name, degrees in {
        "maj": "1 3 5", "min": "1 b3 5", "dim": "1 b3 b5", "aug": "1 3 #5",
        "maj7": "1 3 5 7", "min7": "1 b3 5 b7", "7": "1 3 5 b7", "dim7": "1 b3 b5 bb7",
        "hdim7": "1 b3 b5 b7", "minmaj7": "1 b3 5 7", "maj6": "1 3 5 6", "min6": "1 b3 5 6",
        "9": "1 3 5 b7 9", "maj9": "1 3 5 7 9", "min9": "1 b3 5 b7 9",
        "11": "1 3 5 b7 9 11", "min11": "1 b3 5 b7 9 11", "13": "1 3 5 b7 9 11 13",
        "maj13": "1 3 5 7 9 13", "min13": "1 b3 5 b7 9 11 13", "sus4": "1 4 5",
        "sus2": "1 2 5", "5": "1 5", "1": "1",
    }.items()
}  # fmt: skip
_PLAIN_QUALITIES = {
    "": "maj", "M": "maj", "maj": "maj", "m": "min", "min": "min", "-": "min",
    "dim": "dim", "o": "dim", "aug": "aug", "+": "aug", "7": "7", "dom7": "7",
    "maj7": "maj7", "M7": "maj7", "m7": "min7", "min7": "min7", "-7": "min7",
    "dim7": "dim7", "o7": "dim7", "m7b5": "hdim7", "ø": "hdim7", "ø7": "hdim7",
    "mMaj7": "minmaj7", "mmaj7": "minmaj7", "6": "maj6", "m6": "min6", "9": "9",
    "maj9": "maj9", "m9": "min9", "11": "11", "m11": "min11", "13": "13", "sus4": "sus4",
    "sus": "sus4", "sus2": "sus2", "5": "5", "add9": "maj", "6/9": "maj6",
    "M6": "maj6", "M9": "maj9", "M13": "maj13", "maj13": "maj13", "mM7": "minmaj7",
    "h": "hdim7", "h7": "hdim7", "m6/9": "min6", "mM9": "minmaj7", "mi": "min",
    "mi7": "min7", "ma7": "maj7",
}  # fmt: skip
# What may follow a plain quality on a lead sheet (G7b9, C7#5#9, D7alt, F7sus4, FM7#11, C69,
# Am(maj7)): altered or added degrees, suspensions, omissions. They do not change the
# quality's seventh or triad, so a chord reads as its quality above.
_PLAIN_ALTERATIONS = re.compile(
    r"(?:[#b+-]?(?:2|4|5|6|7|9|11|13)|alt|sus[24]*|add[#b]?\d+|no\d+|M7|maj7|\+|\([^()]*\))*"
)


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
            degree = _read_degree(bass)
            if degree is None or degree[0] not in _DEGREE_SEMITONES:
                return None
            interval = (_DEGREE_SEMITONES[degree[0]] + degree[1]) % 12 or None
        return Chord(root, quality or "maj", interval, "harte")
    match = _PLAIN.match(symbol)
    if match is None:
        return None
    letter, accidentals, quality, bass = match.groups()
    if _plain_quality(quality) is None:
        return None
    root = _pitch_class(letter, accidentals)
    interval = None
    if bass is not None:
        interval = (_pitch_class(bass[0], bass[1:]) - root) % 12 or None
    return Chord(root, quality, interval, "plain")


# a note name, then what a chord's quality or bass starts with: "G7omit3", "Cmaj7/x", not "END"
_CHORD_LIKE = re.compile(r"^[A-G][#b-]*(?:$|[\dmMoø+\-hsadu(:/])")


def looks_like_chord(symbol):
    """Whether a symbol that :func:`parse_chord` may not read starts like a chord symbol.

    Tells an unread chord symbol (``G7omit3``, ``C:maj/x``) from other states (``N``,
    ``END``, ``IV``), so that a tool that moves chords can refuse to leave one of them behind.
    """
    return isinstance(symbol, str) and _CHORD_LIKE.match(symbol) is not None


def _plain_quality(quality):
    """The Harte shorthand behind a plain symbol's quality, or None if it is not one."""
    # the longest known quality that the alterations of a lead sheet follow: "7" in "7#5b9"
    for end in range(len(quality), -1, -1):
        if quality[:end] in _PLAIN_QUALITIES and _PLAIN_ALTERATIONS.fullmatch(quality[end:]):
            return _PLAIN_QUALITIES[quality[:end]]
    return None


def harte_degrees(quality):
    """The degrees of a Harte quality, its additions and omissions in brackets applied.

    Parameters
    ----------
    quality : str
        What follows the colon: ``"maj(9)"``, ``"maj(*3)"``, ``"(1,b3,5,b7)"``.

    Returns
    -------
    degrees : frozenset of tuple or None
        ``(degree, alteration)`` pairs: ``(3, -1)`` is a minor third, ``(7, -2)`` a
        diminished seventh. None if the shorthand or a bracketed degree is not Harte's.

    Examples
    --------
    >>> from sklearn_seqlab.data import harte_degrees
    >>> sorted(harte_degrees("7(*5,#9)"))
    [(1, 0), (3, 0), (7, -1), (9, 1)]
    """
    shorthand, bracket, listed = quality.partition("(")
    if shorthand and shorthand not in _HARTE_DEGREES:
        return None
    # without a shorthand the bracket lists every degree ("C:(1,b3,5)"); "C" alone is major
    degrees = set(_HARTE_DEGREES[shorthand or ("maj" if not bracket else "1")])
    if not bracket:
        return frozenset(degrees)
    if not listed.endswith(")"):
        return None
    for item in listed[:-1].split(","):
        item = item.strip()
        degree = _read_degree(item.removeprefix("*"))
        if degree is None:
            return None
        if item.startswith("*"):
            degrees.discard(degree)
        else:
            degrees.add(degree)
    return frozenset(degrees)


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
