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


# every Harte shorthand at the seventh and the triad level
SHORTHANDS = {
    "maj": ("maj", "maj"), "min": ("min", "min"), "dim": ("dim", "dim"), "aug": ("aug", "aug"),
    "maj7": ("maj7", "maj"), "min7": ("min7", "min"), "7": ("7", "maj"),
    "dim7": ("dim7", "dim"), "hdim7": ("hdim7", "dim"), "minmaj7": ("minmaj7", "min"),
    "maj6": ("maj", "maj"), "min6": ("min", "min"), "9": ("7", "maj"), "maj9": ("maj7", "maj"),
    "min9": ("min7", "min"), "11": ("7", "maj"), "min11": ("min7", "min"), "13": ("7", "maj"),
    "maj13": ("maj7", "maj"), "min13": ("min7", "min"), "sus4": ("sus4", "sus4"),
    "sus2": ("sus2", "sus2"), "5": ("5", "5"), "1": ("1", "1"),
}  # fmt: skip


@pytest.mark.parametrize("shorthand", sorted(SHORTHANDS))
def test_each_harte_shorthand_reduces_to_its_seventh_and_triad(shorthand):
    seventh, triad = SHORTHANDS[shorthand]
    assert normalize_chord(f"A:{shorthand}", "seventh") == f"A:{seventh}"
    assert normalize_chord(f"A:{shorthand}/3", "triad") == f"A:{triad}"


@pytest.mark.parametrize(
    "symbol, seventh, triad",
    [
        # degrees listed without a shorthand are the whole chord, not a major triad
        ("C:(1,b3,5)", "C:min", "C:min"),
        ("C:(1,3,5,b7,9,11)", "C:7", "C:maj"),  # SeqLab's McGill CSV
        # added degrees that make a seventh chord (McGill: aug(b7), 1(b3,b7)/b7)
        ("C:aug(b7)", "C:7", "C:aug"),
        ("C:1(b3,b7)/b7", "C:min7", "C:min"),
        ("C:maj6(b7)", "C:7", "C:maj"),
        ("C:maj(7)", "C:maj7", "C:maj"),
        # omitted degrees (RWC-Pop: maj(*3), a chord without its third)
        ("C:maj(*3)", "C:5", "C:5"),
        ("C:min(*b3,*5)", "C:1", "C:1"),
        ("C:7(*5)", "C:7", "C:maj"),
        # additions that change nothing: a #9 beside the major third, an added ninth
        ("C:7(#9)", "C:7", "C:maj"),
        ("C:maj(9)", "C:maj", "C:maj"),
        ("C:sus4(b7,9)", "C:sus4", "C:sus4"),
        # not Harte's shorthands or degrees: kept as written, without the brackets
        ("C:7sus4", "C:7sus4", "C:7sus4"),
        ("C:maj(x)", "C:maj", "C:maj"),
    ],
)
def test_harte_additions_and_omissions_change_the_quality(symbol, seventh, triad):
    assert normalize_chord(symbol, "seventh") == seventh
    assert normalize_chord(symbol, "triad") == triad


def test_chord_normalizer_is_a_stateless_transformer():
    X = [["C#:min7", "N"], ["Db:min7"]]
    out = ChordNormalizer(level="seventh").fit_transform(X)
    assert out == [["Db:min7", "N"], ["Db:min7"]]
    assert X == [["C#:min7", "N"], ["Db:min7"]]  # the caller's data is not changed
    with pytest.raises(ValueError, match="level must be one of"):
        ChordNormalizer(level="bogus").fit(X)
