import pytest

from sklearn_seqlab.chords import (
    Chord,
    ChordNormalizer,
    normalize_chord,
    parse_chord,
    transpose_chord,
)


@pytest.mark.parametrize(
    "symbol, expected",
    [
        ("C:maj", Chord(0, "maj", None, "harte")),
        ("Db:min7/b7", Chord(1, "min7", 10, "harte")),
        ("G:maj(9)/5", Chord(7, "maj(9)", 7, "harte")),
        ("C#:hdim7", Chord(1, "hdim7", None, "harte")),
        ("E-:maj", Chord(3, "maj", None, "harte")),  # humdrum's flat
        ("C-7", Chord(0, "-7", None, "plain")),  # a plain "-" is minor
        ("Am7", Chord(9, "m7", None, "plain")),
        ("F#m", Chord(6, "m", None, "plain")),
        ("C/E", Chord(0, "", 4, "plain")),
        ("Bb", Chord(10, "", None, "plain")),
        # the alterations of jazz lead sheets, and the quality 6/9 (not a bass note)
        ("G7b9", Chord(7, "7b9", None, "plain")),
        ("Eb7#5#9/G", Chord(3, "7#5#9", 4, "plain")),
        ("C6/9", Chord(0, "6/9", None, "plain")),
        ("FM7#11", Chord(5, "M7#11", None, "plain")),
        ("Am(maj7)", Chord(9, "m(maj7)", None, "plain")),
    ],
)
def test_parse_chord(symbol, expected):
    assert parse_chord(symbol) == expected


@pytest.mark.parametrize(
    "symbol", ["N", "NC", "X", "IV", "bVII", "V7", "", 3, None, "Hmaj", "C:maj/x", "G7omit3"]
)
def test_non_chords_are_none_and_left_alone(symbol):
    assert parse_chord(symbol) is None
    assert transpose_chord(symbol, 5) == symbol
    assert normalize_chord(symbol, "triad") == symbol


def test_transposition_merges_enharmonic_spellings_and_keeps_intervals():
    assert transpose_chord("C#:maj", 0) == transpose_chord("Db:maj", 0) == "Db:maj"
    assert transpose_chord("B:min7/b7", 1) == "C:min7/b7"  # the bass interval does not move
    assert transpose_chord("C/E", 2) == "D/F#"  # a plain bass note does
    assert transpose_chord("E:7", -5, spelling="sharp") == "B:7"
    # twelve semitones is the identity, up to spelling
    assert all(transpose_chord(s, 12) == normalize_chord(s) for s in ["Ab:7", "G#m", "C:maj/3"])


def test_normalize_levels():
    assert normalize_chord("Eb:min9/b3", "seventh") == "Eb:min7"
    assert normalize_chord("Eb:min9/b3", "triad") == "Eb:min"
    assert normalize_chord("D#m7", "root") == "Eb"
    assert normalize_chord("Gmaj7", "triad") == "G"
    # an altered chord keeps its quality: a dominant seventh, a major seventh, a minor sixth
    assert [normalize_chord(s, "seventh") for s in ["C7b9#11", "FM7#11", "Dm69"]] == [
        "C7",
        "Fmaj7",
        "Dm",
    ]
    with pytest.raises(ValueError, match="level must be one of"):
        normalize_chord("C:maj", "ninth")
    with pytest.raises(ValueError, match="spelling must be one of"):
        normalize_chord("C:maj", spelling="german")


def test_chord_normalizer_is_a_stateless_transformer():
    X = [["C#:min7", "N"], ["Db:min7"]]
    out = ChordNormalizer(level="seventh").fit_transform(X)
    assert out == [["Db:min7", "N"], ["Db:min7"]]
    assert X == [["C#:min7", "N"], ["Db:min7"]]  # the caller's data is not changed
    with pytest.raises(ValueError, match="level must be one of"):
        ChordNormalizer(level="bogus").fit(X)
