"""Data sets of a config: specs checked when the config is read, tables read whole."""

import pytest

from sklearn_seqlab.config import ConfigError
from sklearn_seqlab.dataset_specs import check_dataset_spec, load_dataset, read_table


@pytest.fixture
def phrases(tmp_path):
    path = tmp_path / "phrases.tsv"
    path.write_text("song_id\tphrase\ns1\tC G\ns1\tF\ns2\tAm F C\n")
    return {"path": str(path), "phrase": "phrase", "group": "song_id"}


def test_read_table_keeps_every_row_and_load_dataset_drops_those_without_a_target(phrases):
    assert read_table(phrases) == ([["C", "G"], ["F"], ["Am", "F", "C"]], ["s1", "s1", "s2"])
    assert load_dataset(phrases) == ([["C", "G"], ["Am", "F", "C"]], ["s1", "s2"])


def test_an_event_log_groups_each_case_by_its_first_event(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case,activity,step,team\nb,x,2,t2\na,y,1,t1\nb,z,1,t3\n")
    spec = {
        "path": str(path),
        "sequence": "case",
        "state": "activity",
        "order": "step",
        "group": "team",
    }
    assert read_table(spec) == ([["z", "x"], ["y"]], ["t2", "t1"])


@pytest.mark.parametrize(
    "spec, message",
    [
        (3, "must be a path, or an object with a 'path'"),
        ({"path": "a.csv", "phrase": "p", "colour": "red"}, "unknown key"),
        ({"path": "a.csv"}, "needs either 'phrase'"),
        ({"path": "a.csv", "state": "s"}, "needs 'sequence'"),
    ],
)
def test_bad_specs_are_config_errors_that_say_where(spec, message):
    with pytest.raises(ConfigError, match=message) as info:
        check_dataset_spec(spec, "config: x: datasets[0]")
    assert str(info.value).startswith("config: x: datasets[0]")


def test_a_missing_column_is_named(phrases):
    with pytest.raises(ValueError, match="has no column 'song'"):
        read_table({**phrases, "group": "song"})
