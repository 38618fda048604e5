"""Tests of the readers of real data formats (``readers.py``)."""

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab._validation import check_sequences
from sklearn_seqlab.data import (
    read_event_log,
    read_seqlab_csv,
    read_txt,
    sequences_from_frame,
)


def write(path, text):
    """Write ``text`` as UTF-8 without translating line endings, so CRLF files stay CRLF."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(text)
    return path


@pytest.fixture(params=["str", "path", "file", "stringio"])
def source(request, tmp_path):
    """Turn a file's text into each kind of input the readers take."""
    opened = []

    def make(text):
        path = write(tmp_path / "data.txt", text)
        if request.param == "str":
            return str(path)
        if request.param == "path":
            return path
        if request.param == "stringio":
            return io.StringIO(text)
        opened.append(open(path, encoding="utf-8"))
        return opened[-1]

    yield make
    for file in opened:
        file.close()


# --- read_txt ----------------------------------------------------------------------------------

TXT = "C G Am F\n\n  G7\tC  \r\n   \nDm G7 C\nF\n"


def test_read_txt(source):
    assert read_txt(source(TXT)) == [["C", "G", "Am", "F"], ["G7", "C"], ["Dm", "G7", "C"], ["F"]]


def test_read_txt_min_length_drops_short_sequences(source):
    assert read_txt(source(TXT), min_length=3) == [["C", "G", "Am", "F"], ["Dm", "G7", "C"]]


def test_read_txt_leaves_a_passed_file_open(tmp_path):
    with open(write(tmp_path / "a.txt", TXT), encoding="utf-8") as file:
        read_txt(file)
        assert not file.closed


@pytest.mark.parametrize("text", ["", "\n \n\t\n"])
def test_read_txt_empty_file(source, text):
    with pytest.raises(ValueError, match="No sequences in .*empty or blank"):
        read_txt(source(text))


def test_read_txt_all_sequences_too_short(tmp_path):
    path = write(tmp_path / "short.txt", "C G\nF\n")
    with pytest.raises(ValueError, match=r"All 2 sequence\(s\) in file '.*short.txt' are shorter"):
        read_txt(path, min_length=3)


@pytest.mark.parametrize(
    "min_length, error, match",
    [(0, ValueError, "min_length must be >= 1"), ("2", TypeError, "min_length must be an int")],
)
def test_read_txt_bad_min_length(min_length, error, match):
    with pytest.raises(error, match=match):
        read_txt(io.StringIO("C G\n"), min_length=min_length)


@pytest.mark.parametrize("reader", [read_txt, read_seqlab_csv])
def test_readers_reject_what_is_not_a_path_or_file(reader):
    with pytest.raises(TypeError, match="path .*or a file opened in text mode, got list"):
        reader(["C G Am"])


@pytest.mark.parametrize("reader", [read_txt, read_seqlab_csv])
def test_readers_reject_binary_files(reader):
    with pytest.raises(TypeError, match="binary mode; open it in text mode"):
        reader(io.BytesIO(b"a\tb\n1\t2\n"))


def test_readers_drop_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("chord\tbass\nC\tC\n".encode("utf-8-sig"))
    assert read_seqlab_csv(path, target="chord") == [["C"]]
    assert read_txt(path) == [["chord", "bass"], ["C", "C"]]


def test_read_txt_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_txt(tmp_path / "absent.txt")


# Tokens hold no whitespace of any kind (what str.split splits on), no line breaks, and no
# byte-order mark, which the readers drop from the start of a file.
TOKEN = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
        exclude_characters="\ufeff",
    ),
    min_size=1,
    max_size=6,
).filter(lambda token: not any(c.isspace() for c in token))
SEQUENCES = st.lists(st.lists(TOKEN, min_size=1, max_size=8), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(sequences=SEQUENCES, data=st.data())
def test_txt_round_trip(sequences, data, tmp_path_factory):
    """Sequences written as TXT, whatever the spacing and line endings, read back identically."""
    lines = []
    for seq in sequences:
        if data.draw(st.booleans(), label="blank line before"):
            lines.append(data.draw(st.sampled_from(["", " ", "\t "])))
        sep = data.draw(st.sampled_from([" ", "\t", "  ", " \t "]), label="separator")
        lines.append(sep.join(seq) + data.draw(st.sampled_from(["", " ", "\t"])))
    text = data.draw(st.sampled_from(["\n", "\r\n"]), label="newline").join(lines) + "\n"
    path = write(tmp_path_factory.mktemp("txt") / "seqs.txt", text)
    assert read_txt(path) == sequences
    assert read_txt(io.StringIO(text)) == sequences


# --- read_seqlab_csv -----------------------------------------------------------------------------

CSV = "chord\tbass\tbeat\nC\tC\t1\nG7\tB\t3\n>*\t>*\t>*\n\nAm\tA\t1\nF\tF\t3\r\n>*\n>*\nG\tG\t1\n"


def test_read_seqlab_csv_target(source):
    assert read_seqlab_csv(source(CSV), target="chord") == [["C", "G7"], ["Am", "F"], ["G"]]
    assert read_seqlab_csv(source(CSV), target="beat") == [["1", "3"], ["1", "3"], ["1"]]


def test_read_seqlab_csv_tuples_are_states(source):
    sequences = read_seqlab_csv(source(CSV))
    assert sequences == [
        [("C", "C", "1"), ("G7", "B", "3")],
        [("Am", "A", "1"), ("F", "F", "3")],
        [("G", "G", "1")],
    ]
    assert check_sequences(sequences) == sequences  # hashable: usable as states as they are


def test_read_seqlab_csv_separators_at_both_ends():
    text = "a\tb\n>*\t>*\nx\ty\n>*\t>*\n"
    assert read_seqlab_csv(io.StringIO(text)) == [[("x", "y")]]


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_read_seqlab_csv_empty_file(source, text):
    with pytest.raises(ValueError, match="No header in .*: it is empty"):
        read_seqlab_csv(source(text))


def test_read_seqlab_csv_missing_header():
    with pytest.raises(ValueError, match=r"No header .* line 2 is a sequence separator \('>\*'\)"):
        read_seqlab_csv(io.StringIO("\n>*\t>*\nC\tC\n"))


@pytest.mark.parametrize(
    "header, problem", [("a\t\tb", "an empty feature name"), ("a\tb\ta", "feature 'a' twice")]
)
def test_read_seqlab_csv_bad_header(header, problem):
    with pytest.raises(ValueError, match=f"The header of the file \\(line 1\\) has {problem}"):
        read_seqlab_csv(io.StringIO(header + "\n1\t2\t3\n"))


@pytest.mark.parametrize(
    "row, found", [("C\tC", 2), ("C C 1", 1), ("C\tC\t1\t", 4), ("C\tC\t1\tx", 4)]
)
def test_read_seqlab_csv_wrong_number_of_fields(tmp_path, row, found):
    path = write(tmp_path / "bad.csv", CSV.replace("Am\tA\t1", row))
    message = (
        rf"Line 6 of file '.*bad.csv' has {found} tab-separated field\(s\); expected 3, one "
        r"per feature of the header \['chord', 'bass', 'beat'\]"
    )
    with pytest.raises(ValueError, match=message):
        read_seqlab_csv(path)


def test_read_seqlab_csv_empty_value():
    text = "chord\tbass\nC\t\n"
    with pytest.raises(
        ValueError, match="Line 2 of the file has an empty value for feature 'bass'"
    ):
        read_seqlab_csv(io.StringIO(text))
    assert read_seqlab_csv(io.StringIO(text), target="chord") == [["C"]]  # bass is not read


def test_read_seqlab_csv_unknown_target():
    message = r"Unknown target 'key'; the features of the file are \['chord', 'bass', 'beat'\]"
    with pytest.raises(ValueError, match=message):
        read_seqlab_csv(io.StringIO(CSV), target="key")


def test_read_seqlab_csv_target_must_be_a_name():
    with pytest.raises(TypeError, match=r"target must be a feature name \(str\) or None, got 0"):
        read_seqlab_csv(io.StringIO(CSV), target=0)


@pytest.mark.parametrize("body", ["", ">*\t>*\n>*\n"])
def test_read_seqlab_csv_no_events(body):
    with pytest.raises(ValueError, match="No events in the file: it holds a header but no event"):
        read_seqlab_csv(io.StringIO("chord\tbass\n" + body))


@settings(max_examples=60, deadline=None)
@given(
    n_features=st.integers(1, 4),
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=6),
    data=st.data(),
)
def test_seqlab_csv_round_trip(n_features, lengths, data):
    # a state that starts with a separator marker would be read as a separator
    state = TOKEN.filter(lambda t: not t.startswith((">*", "*>")))
    event = st.tuples(*[state] * n_features)
    sequences = [data.draw(st.lists(event, min_size=n, max_size=n)) for n in lengths]
    header = "\t".join(f"f{j}" for j in range(n_features))
    blocks = ["\n".join("\t".join(e) for e in seq) for seq in sequences]
    text = header + "\n" + "\n>*\n".join(blocks) + "\n"
    assert read_seqlab_csv(io.StringIO(text)) == sequences
    target = data.draw(st.integers(0, n_features - 1))
    expected = [[e[target] for e in seq] for seq in sequences]
    assert read_seqlab_csv(io.StringIO(text), target=f"f{target}") == expected


# SeqLab's real dialect: comma-separated, humdrum names, "*>" separator rows keyed on the read
# feature (here **duration never holds a marker), quoted values that hold commas
HUMDRUM = (
    "**harte,**kern,**silbe,**duration\n"
    "*>Letter>A,*>Letter>A,*>Letter>A,1.0\n"
    "*>Label>Verse,*>Label>Verse,*>Label>Verse,1.0\n"
    'G:min7,[8f.,"Get,",8.0\n'
    "G:min7,8f],_,8.0\n"
    '"C:sus4(b7,9,13)",r,.,4.0\n'
    "*>Label>Chorus,*>Label>Chorus,*>Label>Chorus,1.0\n"
    "\n"
    "D:maj,;a,Whoa,2.0\n"
)


def test_read_seqlab_csv_comma_dialect(source):
    assert read_seqlab_csv(source(HUMDRUM), target="**harte") == [
        ["G:min7", "G:min7", "C:sus4(b7,9,13)"],
        ["D:maj"],
    ]
    assert read_seqlab_csv(source(HUMDRUM), target="**silbe")[0] == ["Get,", "_", "."]


def test_read_seqlab_csv_features_are_tuples_in_the_order_asked(source):
    sequences = read_seqlab_csv(source(HUMDRUM), features=["**kern", "**harte"])
    assert sequences == [
        [("[8f.", "G:min7"), ("8f]", "G:min7"), ("r", "C:sus4(b7,9,13)")],
        [(";a", "D:maj")],
    ]
    assert read_seqlab_csv(source(CSV), features=["beat"])[2] == [("1",)]


def test_read_seqlab_csv_separator_is_read_in_the_key_feature():
    """A row separates when its key feature's value starts with the marker, whatever the rest
    of the row holds: here **duration never holds a marker, and **kern holds one alone."""
    text = "**harte,**duration,**kern\nC,1,c\n*>A,1.0,d\nG,1,*>x\n"
    assert read_seqlab_csv(io.StringIO(text), target="**harte") == [["C"], ["G"]]
    assert read_seqlab_csv(io.StringIO(text), features=["**harte", "**kern"]) == [
        [("C", "c")],
        [("G", "*>x")],
    ]
    # keyed on **kern (the first of features) the split moves, and "*>A" is a state
    assert read_seqlab_csv(io.StringIO(text), features=["**kern", "**harte"]) == [
        [("c", "C"), ("d", "*>A")]
    ]
    # keyed on **duration there is no separator at all
    assert read_seqlab_csv(io.StringIO(text), target="**duration") == [["1", "1.0", "1"]]


def test_read_seqlab_csv_tab_dialect_separator_prefix():
    text = "chord\tbass\nC\tC\n>*Verse\t>*Verse\nG\tB\n"
    assert read_seqlab_csv(io.StringIO(text), target="bass") == [["C"], ["B"]]


@pytest.mark.parametrize(
    "text, other",
    [("chord\nC\n>*\n*>x\nG\n", "*>x"), ("**harte\nC\n*>Verse\n>*x\nG\n", ">*x")],
)
def test_read_seqlab_csv_one_column_dialect_from_its_first_marker(text, other):
    """A header of one name shows no delimiter: the first marker row tells the dialect, and
    the other dialect's marker is then a state."""
    assert read_seqlab_csv(io.StringIO(text)) == [[("C",)], [(other,), ("G",)]]


def test_read_seqlab_csv_clean_kern_is_opt_in_and_follows_seqlab():
    assert read_seqlab_csv(io.StringIO(HUMDRUM), target="**kern") == [
        ["[8f.", "8f]", "r"],
        [";a"],
    ]
    cleaned = read_seqlab_csv(io.StringIO(HUMDRUM), target="**kern", clean_kern=True)
    assert cleaned == [["8f", "8f", "r"], ["a"]]
    # first token, then ], [, . and ; stripped in that order, as SeqLab did: a ';' behind the
    # '.' hides the '.' from its strip
    text = "**kern_2,**harte\n[8f. 4g,C\n8f.;,C\n"
    assert read_seqlab_csv(io.StringIO(text), target="**kern_2", clean_kern=True) == [["8f", "8f."]]
    # other features are never cleaned
    text = "**harte,**kernel\n[C.,[x]\n"
    assert read_seqlab_csv(io.StringIO(text), clean_kern=True) == [[("[C.", "[x]")]]


def test_read_seqlab_csv_clean_kern_emptied_value():
    text = "**kern,**harte\nc,C\n.,G\n"
    with pytest.raises(
        ValueError, match=r"Line 3 of the file: the value '\.' of feature '\*\*kern' is empty"
    ):
        read_seqlab_csv(io.StringIO(text), features=["**harte", "**kern"], clean_kern=True)


def test_read_seqlab_csv_comma_errors_name_the_line(tmp_path):
    # a quoted value spanning two lines: later rows are still numbered by their own line
    text = '**harte,**silbe\nC,"two\nlines"\nG\n'
    with pytest.raises(
        ValueError, match=r"Line 4 of file '.*x.csv' has 1 comma-separated field\(s\); expected 2"
    ):
        read_seqlab_csv(write(tmp_path / "x.csv", text))
    with pytest.raises(ValueError, match="Line 3 of the file has an empty value for '?feature"):
        read_seqlab_csv(io.StringIO("**harte,**silbe\nC,x\nG,\n"))
    with pytest.raises(ValueError, match=r"line 1 is a sequence separator \('\*>'\)"):
        read_seqlab_csv(io.StringIO("*>A,*>A\nC,x\n"))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"target": "**harte", "features": ["**kern"]}, ValueError, "not both"),
        ({"features": "**harte"}, TypeError, "features must be a list of feature names"),
        ({"features": []}, ValueError, "features is empty"),
        ({"features": ["**harte", 3]}, TypeError, "must hold feature names \\(str\\), got 3"),
        ({"features": ["**harte", "**harte"]}, ValueError, "names '\\*\\*harte' twice"),
        ({"features": ["**harte", "**melody"]}, ValueError, "Unknown feature '\\*\\*melody'"),
    ],
)
def test_read_seqlab_csv_bad_features(kwargs, error, match):
    with pytest.raises(error, match=match):
        read_seqlab_csv(io.StringIO(HUMDRUM), **kwargs)


# the shared data folder beside the checkout (../shared/data), or wherever SEQLAB_DATA says;
# users do not have it, so the test is skipped without it
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MCGILL = Path(os.environ.get("SEQLAB_DATA", SHARED)) / "seqlab_mcgill.csv"


@pytest.mark.skipif(not MCGILL.exists(), reason="SeqLab's McGill CSV is not on this machine")
def test_read_seqlab_csv_real_mcgill_file():
    """SeqLab's own file, as its paper's loader split it: 2,116 sections, 434 chords."""
    chords = read_seqlab_csv(MCGILL, target="**harte")
    assert len(chords) == 2116 and sum(map(len, chords)) == 23289
    assert len({tuple(s) for s in chords}) == 1558
    assert len({c for s in chords for c in s}) == 434
    events = read_seqlab_csv(MCGILL, features=["**harte", "**kern"], clean_kern=True)
    assert [[e[0] for e in s] for s in events] == chords
    assert len({e[1] for s in events for e in s}) == 119  # 121 before cleaning


# --- sequences_from_frame, read_event_log --------------------------------------------------------


@pytest.fixture
def log():
    # cases interleaved, out of time order, with two ties inside case "b"
    return pd.DataFrame(
        {
            "case": ["b", "a", "b", "b", "a", "b"],
            "activity": ["b3", "a2", "b1", "b2", "a1", "b4"],
            "time": [5, 9, 1, 3, 2, 5],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_sequences_from_frame_orders_by_time_stably(log):
    seqs = sequences_from_frame(log, sequence="case", state="activity", order="time")
    assert isinstance(seqs, pd.Series)
    assert seqs.index.tolist() == ["b", "a"]  # order of first appearance
    assert seqs.index.name == "case" and seqs.name == "activity"
    # ties at time 5 keep their row order: b3 (row 10) before b4 (row 15)
    assert seqs.tolist() == [["b1", "b2", "b3", "b4"], ["a1", "a2"]]
    assert check_sequences(seqs) == seqs.tolist()  # usable as X as it is


def test_sequences_from_frame_keeps_row_order_without_order(log):
    seqs = sequences_from_frame(log, sequence="case", state="activity")
    assert seqs.tolist() == [["b3", "b1", "b2", "b4"], ["a2", "a1"]]


def test_sequences_from_frame_datetimes_and_plain_values(log):
    log["time"] = pd.Timestamp("2012-04-03") + pd.to_timedelta(log["time"], unit="min")
    log["activity"] = [3, 2, 1, 2, 1, 4]
    seqs = sequences_from_frame(log, sequence="case", state="activity", order="time")
    assert seqs.tolist() == [[1, 2, 3, 4], [1, 2]]
    assert all(type(s) is int for seq in seqs for s in seq)  # Python values, not NumPy's


def test_sequences_from_frame_features_make_event_tuples(log):
    log["resource"] = ["r1", "r2", "r3", "r4", "r5", "r6"]
    seqs = sequences_from_frame(
        log, sequence="case", state="activity", order="time", features=["resource", "time"]
    )
    assert seqs.tolist()[1] == [("a1", "r5", 2), ("a2", "r2", 9)]
    assert seqs.tolist()[0][2:] == [("b3", "r1", 5), ("b4", "r6", 5)]  # sorted with the state
    # the events go through StateEncoder(target=0) into a network, which predicts the state
    X = seqs.tolist() * 5
    pipe = make_pipeline(
        StateEncoder(target=0),
        NextStateClassifier(embedding_dim=4, hidden_dim=4, max_epochs=1, random_state=0),
    ).fit(X)
    assert set(pipe.predict([[("b1", "r3", 1)]])) <= {"a1", "a2", "b1", "b2", "b3", "b4"}


@pytest.mark.parametrize(
    "features, error, match",
    [
        ("resource", TypeError, r"features must be a list of column names, got str 'resource'"),
        ([], ValueError, r"features=\[\] names no column; pass None"),
        (["cost"], ValueError, r"features\[0\]='cost' is not a column of df"),
        (["time", None], ValueError, r"features\[1\]=None is not a column of df"),
    ],
)
def test_sequences_from_frame_bad_features(log, features, error, match):
    log["resource"] = "r"
    with pytest.raises(error, match=match):
        sequences_from_frame(log, sequence="case", state="activity", features=features)


def test_sequences_from_frame_missing_feature_value(log):
    log["resource"] = ["r1", None, "r3", "r4", "r5", "r6"]
    with pytest.raises(ValueError, match=r"Column 'resource' \(features\[0\]\) has 1 missing"):
        sequences_from_frame(log, sequence="case", state="activity", features=["resource"])


def test_read_event_log_features(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case,act,month\n1,a,2012-04\n1,b,2012-05\n2,a,2012-05\n")
    seqs = read_event_log(path, sequence="case", state="act", features=["month"])
    assert seqs.tolist() == [[("a", "2012-04"), ("b", "2012-05")], [("a", "2012-05")]]


def test_sequences_from_frame_leaves_df_alone(log):
    before = log.copy()
    sequences_from_frame(log, sequence="case", state="activity", order="time")
    pd.testing.assert_frame_equal(log, before)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sequence": "CaseID"}, r"sequence='CaseID' is not a column of df; its columns are "),
        ({"state": "act"}, r"state='act' is not a column of df; its columns are \['case', "),
        ({"order": "ts"}, r"order='ts' is not a column of df"),
        ({"order": ["time"]}, r"order=\['time'\] is not a column of df"),
    ],
)
def test_sequences_from_frame_missing_columns(log, kwargs, match):
    kwargs = {"sequence": "case", "state": "activity", **kwargs}
    with pytest.raises(ValueError, match=match):
        sequences_from_frame(log, **kwargs)


@pytest.mark.parametrize(
    "column, value, argument",
    [("activity", np.nan, "state"), ("activity", None, "state"), ("case", None, "sequence")],
)
def test_sequences_from_frame_missing_values(log, column, value, argument):
    log[column] = log[column].astype(object)
    log.loc[13, column] = value
    message = rf"Column '{column}' \({argument}\) has 1 missing value\(s\), first at row 13"
    with pytest.raises(ValueError, match=message):
        sequences_from_frame(log, sequence="case", state="activity", order="time")


def test_sequences_from_frame_missing_order(log):
    log["time"] = log["time"].astype(float)
    log.loc[11, "time"] = np.nan
    with pytest.raises(ValueError, match=r"Column 'time' \(order\) has 1 missing value"):
        sequences_from_frame(log, sequence="case", state="activity", order="time")
    # without an order, the order column is not read
    assert len(sequences_from_frame(log, sequence="case", state="activity")) == 2


def test_sequences_from_frame_unsortable_order(log):
    log["time"] = [1, "2", 3, 4, 5, 6]
    with pytest.raises(TypeError, match="Column 'time' \\(order\\) cannot be sorted"):
        sequences_from_frame(log, sequence="case", state="activity", order="time")


def test_sequences_from_frame_bad_input(log):
    with pytest.raises(TypeError, match="df must be a pandas DataFrame, got dict"):
        sequences_from_frame(log.to_dict(), sequence="case", state="activity")
    with pytest.raises(ValueError, match="df has no rows"):
        sequences_from_frame(log.iloc[:0], sequence="case", state="activity")


# the Helpdesk log's format: rows grouped by case, one of them here out of time order
HELPDESK = """CaseID,ActivityID,CompleteTimestamp
2,1,2012-04-03 16:55:38
2,8,2012-04-03 16:55:53
2,6,2012-04-05 17:15:52
3,1,2010-10-29 18:14:06
3,8,2010-10-29 18:14:06
3,6,2010-11-04 10:02:30
3,9,2010-11-01 09:00:00
5,1,2011-01-10 08:00:00
"""


@pytest.mark.parametrize("parse_dates", [True, False])
def test_read_event_log_helpdesk_format(tmp_path, parse_dates):
    path = write(tmp_path / "helpdesk.csv", HELPDESK)
    kwargs = {"parse_dates": ["CompleteTimestamp"]} if parse_dates else {}
    seqs = read_event_log(
        path, sequence="CaseID", state="ActivityID", order="CompleteTimestamp", **kwargs
    )
    assert seqs.index.tolist() == [2, 3, 5]
    assert seqs.tolist() == [[1, 8, 6], [1, 8, 9, 6], [1]]  # the tie at 18:14:06 keeps row order
    in_rows = read_event_log(path, sequence="CaseID", state="ActivityID")
    assert in_rows.tolist() == [[1, 8, 6], [1, 8, 6, 9], [1]]


def test_read_event_log_passes_read_csv_options(tmp_path):
    path = write(tmp_path / "log.csv", HELPDESK.replace(",", ";"))
    seqs = read_event_log(path, sequence="CaseID", state="ActivityID", sep=";", nrows=3)
    assert seqs.tolist() == [[1, 8, 6]]
    with pytest.raises(ValueError, match="sequence='CaseID' is not a column of df"):
        read_event_log(path, sequence="CaseID", state="ActivityID")  # read with sep=","
