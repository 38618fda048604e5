"""The experiment runner and its command line, on tiny configs."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.model_selection import GroupKFold

from sklearn_seqlab import load_model
from sklearn_seqlab.cli import main
from sklearn_seqlab.config import ConfigError, read_config
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.runner import (
    DEFAULT_CONFIG,
    MIN_GROUPS_FOR_THE_HYBRID,
    _outer_folds,
    _search,
    load_dataset,
    run_experiments,
)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "chords.txt"
    X = make_markov_sequences(60, n_states=5, min_length=3, max_length=8, random_state=0)
    path.write_text("\n".join(" ".join(s) for s in X) + "\n")
    return path


def tiny_config(data_file):
    return {
        "experiments": {
            "tiny": {
                "datasets": [str(data_file)],
                "kfold_splits": 2,
                "number_of_trials": 2,
                "models": [
                    {"name": "MarkovModel", "optimization_config": {"alpha": {"values": [0.1, 1]}}},
                    {
                        "name": "LSTMModel",
                        "epochs": 2,
                        "params": {"embedding_dim": 4, "hidden_dim": 4},
                        "optimization_config": {"lr": {"min": 1e-3, "max": 1e-2}},
                    },
                ],
            }
        }
    }


def test_run_writes_the_report(data_file, tmp_path):
    lines = []
    results = run_experiments(tiny_config(data_file), tmp_path, progress=lines.append)
    assert len(results) == 4  # 2 models x 2 folds
    assert set(results["model"]) == {"MarkovModel", "LSTMModel"}
    assert results["accuracy"].between(0, 1).all() and (results["perplexity"] > 1).all()
    on_disk = pd.read_csv(tmp_path / "results.csv")
    assert list(on_disk.columns[:5]) == ["experiment", "dataset", "model", "fold", "params"]
    markov = on_disk[on_disk["model"] == "MarkovModel"]
    assert json.loads(markov["params"].iloc[0])["clf__alpha"] in (0.1, 1)
    summary = (tmp_path / "summary.md").read_text()
    assert "| MarkovModel |" in summary and "| LSTMModel |" in summary
    assert (tmp_path / "accuracy.png").stat().st_size > 0
    assert (tmp_path / "learning_curves.png").stat().st_size > 0
    assert json.loads((tmp_path / "config.json").read_text()) == tiny_config(data_file)
    models = sorted((tmp_path / "models").iterdir())
    assert len(models) == 2
    assert load_model(models[0]).predict([["s0", "s1"]]).shape == (1,)
    assert any("fold 2/2" in line for line in lines) and "Report written" in lines[-1]


def test_results_do_not_depend_on_n_jobs(data_file, tmp_path):
    config = tiny_config(data_file)
    config["experiments"]["tiny"]["models"] = config["experiments"]["tiny"]["models"][1:]
    one = run_experiments(config, tmp_path / "a", progress=lambda line: None)
    two = run_experiments(config, tmp_path / "b", n_jobs=2, progress=lambda line: None)
    pd.testing.assert_frame_equal(one.drop(columns="fit_seconds"), two.drop(columns="fit_seconds"))


def test_cli_runs_a_config_file(data_file, tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tiny_config(data_file)))
    assert main(["run", str(config), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    assert "summary.md" in capsys.readouterr().out
    assert (tmp_path / "out" / "results.csv").exists()


def test_cli_reports_bad_configs(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"x": {"datasets": ["a.txt"], "models": [{"name": "GPT"}]}}))
    assert main(["run", str(config), "--output", str(tmp_path / "out")]) == 2
    assert "unknown model name 'GPT'" in capsys.readouterr().err


def test_default_config_is_valid_and_its_data_loads():
    (experiment,) = read_config(DEFAULT_CONFIG)
    X, groups = load_dataset(experiment.datasets[0])
    assert len(X) == 600 and groups is None and min(map(len, X)) >= 8


def test_unknown_dataset_format(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("")
    with pytest.raises(ValueError, match="unknown format '.parquet'"):
        load_dataset(str(path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_dataset(str(tmp_path / "missing.txt"))


def test_optuna_search(data_file, tmp_path):
    pytest.importorskip("optuna_integration")
    results = run_experiments(
        tiny_config(data_file), tmp_path, search="optuna", progress=lambda line: None
    )
    assert len(results) == 4 and results["accuracy"].between(0, 1).all()
    lstm = results[results["model"] == "LSTMModel"]
    assert 1e-3 <= json.loads(lstm["params"].iloc[0])["clf__lr"] <= 1e-2


def test_unknown_search(data_file, tmp_path):
    with pytest.raises(ValueError, match="search must be one of"):
        run_experiments(tiny_config(data_file), tmp_path, search="grid")


def test_mlflow_tracking_to_a_local_store(data_file, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    config = tiny_config(data_file)
    config["experiments"]["tiny"]["models"] = config["experiments"]["tiny"]["models"][:1]
    out = tmp_path / "out"
    assert main(["run", json_file(tmp_path, config), "--output", str(out), "--mlflow"]) == 0

    client = mlflow.tracking.MlflowClient(tracking_uri=f"sqlite:///{out / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sklearn_seqlab")
    runs = client.search_runs([experiment.experiment_id])
    folds = [r for r in runs if r.info.run_name != "report"]
    assert len(folds) == 2
    assert {r.data.tags["model"] for r in folds} == {"MarkovModel"}
    assert all("accuracy" in r.data.metrics and "alpha" in r.data.params for r in folds)
    (report,) = [r for r in runs if r.info.run_name == "report"]
    files = {a.path for a in client.list_artifacts(report.info.run_id)}
    assert {"summary.md", "results.csv", "accuracy.png", "config.json", "models"} <= files


def json_file(tmp_path, config):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_tables_with_groups_keep_groups_apart(tmp_path):
    rows = [(f"song{i // 4}", " ".join(f"s{(i + k) % 5}" for k in range(4))) for i in range(40)]
    path = tmp_path / "phrases.tsv"
    path.write_text("song_id\tphrase\n" + "\n".join(f"{g}\t{p}" for g, p in rows) + "\n")
    spec = {"path": str(path), "phrase": "phrase", "group": "song_id"}
    X, groups = load_dataset(spec)
    assert len(X) == 40 and groups[:5] == ["song0"] * 4 + ["song1"]

    config = {
        "x": {
            "datasets": [spec],
            "kfold_splits": 2,
            "models": [
                {"name": "MarkovModel", "optimization_config": {"alpha": {"values": [0.1, 1]}}}
            ],
        }
    }
    (experiment,) = read_config(config)
    groups = np.array(groups)
    for train, test in _outer_folds(experiment, X, groups):
        assert not set(groups[train]) & set(groups[test])
    search = _search(experiment.models[0], experiment, "random", None, grouped=True)
    assert isinstance(search.cv, GroupKFold)  # the inner folds keep groups apart too
    results = run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert set(results["dataset"]) == {str(path)}


def test_event_log_tables(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,time\n"
        + "".join(f"c{i},a{(i + k) % 3},{k}\n" for i in range(12) for k in range(4))
    )
    X, groups = load_dataset(
        {"path": str(path), "sequence": "case", "state": "activity", "order": "time"}
    )
    assert len(X) == 12 and X[0] == ["a0", "a1", "a2", "a0"] and groups is None


def test_a_numeric_order_column_is_sorted_as_numbers(tmp_path):
    path = tmp_path / "log.csv"
    # ten events a case: as text, "10" would sort before "2"
    rows = [(f"c{i}", f"a{k}", k) for i in range(3) for k in range(1, 11)]
    path.write_text("case,activity,step\n" + "".join(f"{c},{a},{k}\n" for c, a, k in rows[::-1]))
    X, _ = load_dataset(
        {"path": str(path), "sequence": "case", "state": "activity", "order": "step"}
    )
    assert X[0] == [f"a{k}" for k in range(1, 11)]


def test_an_order_column_of_timestamps_is_sorted_as_times(tmp_path):
    path = tmp_path / "log.csv"
    times = ["9/1/2020 10:00", "10/1/2020 09:00", "10/1/2020 11:00"]  # text order: 10/1 first
    path.write_text("case,activity,time\n" + "".join(f"c,a{i},{t}\n" for i, t in enumerate(times)))
    X, _ = load_dataset(
        {"path": str(path), "sequence": "case", "state": "activity", "order": "time"}
    )
    assert X[0] == ["a0", "a1", "a2"]


def markov_pair_config(data_file, folds=2):
    return {
        "tiny": {
            "datasets": [str(data_file)],
            "kfold_splits": folds,
            "models": [
                {"name": "MarkovModel", "params": {"alpha": 0.01}},
                {"name": "MarkovModel", "params": {"alpha": 100.0}},
            ],
        }
    }


def test_models_of_the_same_name_get_names_of_their_own(data_file, tmp_path):
    results = run_experiments(markov_pair_config(data_file), tmp_path, progress=lambda s: None)
    assert sorted(set(results["model"])) == ["MarkovModel-1", "MarkovModel-2"]
    summary = (tmp_path / "summary.md").read_text()
    assert "| MarkovModel-1 |" in summary and "| MarkovModel-2 |" in summary
    files = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert len(files) == 2 and all("MarkovModel-" in f for f in files)
    alphas = sorted(load_model(tmp_path / "models" / f)[-1].alpha for f in files)
    assert alphas == [0.01, 100.0]


def test_datasets_of_the_same_file_name_get_model_files_of_their_own(data_file, tmp_path):
    other = tmp_path / "other" / data_file.name
    other.parent.mkdir()
    other.write_text(data_file.read_text())
    config = {
        "x": {
            "datasets": [str(data_file), str(other)],
            "kfold_splits": 2,
            "models": [{"name": "MarkovModel"}],
        }
    }
    run_experiments(config, tmp_path / "out", progress=lambda s: None)
    assert len(list((tmp_path / "out" / "models").iterdir())) == 2


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"hidden_dim": "abc"}, "hidden_dim"),
        ({"device": "bogus"}, "device"),
    ],
)
def test_every_parameter_value_is_checked_when_the_config_is_read(data_file, params, match):
    config = markov_pair_config(data_file)
    config["tiny"]["models"].append({"name": "LSTMModel", "params": params})
    with pytest.raises(ConfigError, match=f"models\\[2\\].*{match}"):
        read_config(config)


@pytest.mark.parametrize(
    "search, match",
    [
        ({"hidden_dim": {"values": [8, 0]}}, "hidden_dim"),
        ({"lr": {"min": -1.0, "max": 0.1}}, "lr"),
        ({"dropout": {"values": [0.1, 1.5]}}, "dropout"),
    ],
)
def test_every_searched_value_is_checked_when_the_config_is_read(data_file, search, match):
    config = markov_pair_config(data_file)
    config["tiny"]["models"].append({"name": "LSTMModel", "optimization_config": search})
    with pytest.raises(ConfigError, match=f"optimization_config.*{match}"):
        read_config(config)


def test_a_bad_value_in_a_later_model_stops_the_run_before_it_starts(data_file, tmp_path, capsys):
    config = markov_pair_config(data_file)
    config["tiny"]["models"].append({"name": "LSTMModel", "params": {"batch_size": 0}})
    out = tmp_path / "out"
    assert main(["run", json_file(tmp_path, config), "--output", str(out)]) == 2
    assert "batch_size" in capsys.readouterr().err
    assert not out.exists()


def test_output_naming_a_file_is_a_clear_error(data_file, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    config = json_file(tmp_path, markov_pair_config(data_file))
    assert main(["run", config, "--output", str(taken)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert taken.read_text() == "not a directory"


KILLED_RUN = textwrap.dedent(
    """
    import os, sys
    from sklearn_seqlab.cli import main

    def die_after_the_first_row(line):
        if "fold 1/" in line:
            os._exit(3)  # as kill -9: nothing is flushed or cleaned up

    import sklearn_seqlab.cli
    sklearn_seqlab.cli.print = die_after_the_first_row
    main(["run", sys.argv[1], "--output", sys.argv[2]])
    """
)


def test_resume_after_a_killed_run_skips_the_rows_done(data_file, tmp_path):
    config = json_file(tmp_path, markov_pair_config(data_file, folds=3))
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, config, str(out)], capture_output=True, text=True
    )
    assert run.returncode == 3, run.stderr
    first = pd.read_csv(out / "results.csv")
    assert len(first) == 1  # written as soon as it was done
    assert not (out / "summary.md").exists()

    lines = []
    results = run_experiments(config, out, resume=True, progress=lines.append)
    assert len(results) == 6 and not results.duplicated(["model", "fold"]).any()
    assert sum("fold" in line for line in lines) == 5  # the first row was not run again
    pd.testing.assert_frame_equal(results.iloc[:1], first)
    on_disk = pd.read_csv(out / "results.csv")
    pd.testing.assert_frame_equal(on_disk, results)
    fresh = run_experiments(config, tmp_path / "fresh", progress=lambda s: None)
    pd.testing.assert_frame_equal(
        results.drop(columns="fit_seconds"), fresh.drop(columns="fit_seconds")
    )
    assert len(list((out / "models").iterdir())) == 2

    # resuming a finished run does nothing more
    lines.clear()
    again = run_experiments(config, out, resume=True, progress=lines.append)
    pd.testing.assert_frame_equal(again, results)
    assert not any("fold" in line for line in lines)


def test_resume_refuses_the_output_of_another_config(data_file, tmp_path):
    run_experiments(markov_pair_config(data_file), tmp_path, progress=lambda s: None)
    other = markov_pair_config(data_file, folds=3)
    with pytest.raises(ValueError, match="another config"):
        run_experiments(other, tmp_path, resume=True, progress=lambda s: None)


def test_threads_are_set_for_the_run_and_restored(data_file, tmp_path):
    import torch

    before = torch.get_num_threads()
    seen = []
    config = markov_pair_config(data_file)

    def progress(line):  # the fold lines come from inside the run; the last one after it
        if ": fold " in line:
            seen.append(torch.get_num_threads())

    run_experiments(config, tmp_path, threads=1, progress=progress)
    assert set(seen) == {1} and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        run_experiments(config, tmp_path / "b", threads=0)


def test_one_thread_per_worker_when_searches_run_in_parallel():
    from sklearn_seqlab.runner import _thread_count

    assert _thread_count(None, n_jobs=2) == 1
    assert _thread_count(None, n_jobs=-1) == 1
    assert _thread_count(3, n_jobs=2) == 3
    assert _thread_count(None, n_jobs=None) is None


def test_thread_settings_leave_a_chosen_joblib_backend_alone():
    from joblib import parallel_config
    from joblib.parallel import ThreadingBackend, get_active_backend

    from sklearn_seqlab.runner import _torch_threads

    with parallel_config(backend="threading"), _torch_threads(1):
        assert isinstance(get_active_backend()[0], ThreadingBackend)
    with _torch_threads(1):
        assert get_active_backend()[0].inner_max_num_threads == 1


def test_fold_progress_counts_folds_and_keeps_every_line():
    import io

    from sklearn_seqlab.cli import FoldProgress, _count_folds

    out = io.StringIO()
    bar = FoldProgress(total=4, file=out)
    bar("e / d / MarkovModel: fold 1/2 accuracy 0.500 (0.1 s)")
    bar("Report written to x/summary.md")
    bar("e / d / MarkovModel: fold 2/2 accuracy 0.400 (0.1 s)")
    assert bar.bar.n == 2
    bar.close()
    text = out.getvalue()
    assert "fold 1/2 accuracy" in text and "Report written" in text and "2/4" in text
    # the embedded default: every model times every fold
    from sklearn_seqlab.config import read_config
    from sklearn_seqlab.runner import DEFAULT_CONFIG

    (experiment,) = read_config(DEFAULT_CONFIG)
    assert _count_folds(None) == len(experiment.models) * experiment.kfold_splits
    assert _count_folds("no-such-config.json") is None


def test_a_verbose_fit_shows_a_progress_bar_only_in_a_terminal(monkeypatch):
    import sys

    from sklearn_seqlab import NextStateClassifier

    X = [["a", "b", "c", "a"], ["b", "c", "a", "b"], ["c", "a", "b", "c"]] * 4
    params = dict(hidden_dim=4, embedding_dim=4, max_epochs=1, verbose=1, random_state=0)
    quiet = NextStateClassifier(**params).fit(X)
    assert "progress_bar" not in dict(quiet.net_.callbacks_)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = NextStateClassifier(**params).fit(X)
    assert "progress_bar" in dict(shown.net_.callbacks_)


def grouped_phrases(tmp_path, n_songs=10):
    """A table of 4 phrases in each of ``n_songs`` songs, and its data set spec."""
    rows = [
        (f"song{i // 4}", " ".join(f"s{(i + k) % 5}" for k in range(4))) for i in range(4 * n_songs)
    ]
    path = tmp_path / "phrases.tsv"
    path.write_text("song_id\tphrase\n" + "\n".join(f"{g}\t{p}" for g, p in rows) + "\n")
    return {"path": str(path), "phrase": "phrase", "group": "song_id"}


def test_validate_by_group_needs_groups_in_every_data_set(data_file, tmp_path):
    config = tiny_config(data_file)["experiments"]["tiny"]
    config["datasets"] = [grouped_phrases(tmp_path), str(data_file)]
    with pytest.raises(ConfigError, match=r"datasets\[1\] names no \"group\" column"):
        read_config({"x": {**config, "validate_by_group": True}})
    with pytest.raises(ConfigError, match="validate_by_group"):
        read_config({"x": {**config, "validate_by_group": "yes"}})


def test_validate_by_group_is_absent_true_or_false(data_file, tmp_path):
    config = tiny_config(data_file)["experiments"]["tiny"]
    config["datasets"] = [grouped_phrases(tmp_path)]
    assert read_config({"x": config})[0].validate_by_group is None  # chosen by the data
    for value in (True, False):
        assert (
            read_config({"x": {**config, "validate_by_group": value}})[0].validate_by_group is value
        )


def event_log(tmp_path, n_cases=24):
    """A log of ``n_cases`` cases of 4 events on 3 activities, and its data set spec; the
    cases repeat 3 paths, as the cases of a process log do."""
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,time\n"
        + "".join(f"c{i},a{(i + k) % 3},{k}\n" for i in range(n_cases) for k in range(4))
    )
    return {"path": str(path), "sequence": "case", "state": "activity", "order": "time"}


@pytest.mark.parametrize("model", ["LSTMModel", "HybridModel"])
def test_an_event_log_is_validated_on_cases_at_random(tmp_path, recorded_splits, model):
    calls = recorded_splits
    spec = {"name": model, "epochs": 1}
    spec["params"] = {"embedding_dim": 4, "hidden_dim": 4}
    if model == "HybridModel":
        spec["params"] = {"n_networks": 1, "network__embedding_dim": 4, "network__hidden_dim": 4}
    config = {"x": {"datasets": [event_log(tmp_path)], "kfold_splits": 2, "models": [spec]}}
    run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert calls
    for groups, _, n_rows in calls:  # each case a label of its own: no two held out together
        assert len(groups) == n_rows and len(set(groups.tolist())) == n_rows
    # said false, the split is by content: the repeated paths stay on one side
    calls.clear()
    config["x"]["validate_by_group"] = False
    run_experiments(config, tmp_path / "out_false", progress=lambda line: None)
    assert calls and all(split.groups is None for split in calls)


def test_with_metadata_routing_an_event_log_is_still_validated_on_cases_at_random(
    tmp_path, recorded_splits
):
    calls = recorded_splits
    model = {"name": "LSTMModel", "epochs": 1, "params": {"embedding_dim": 4, "hidden_dim": 4}}
    model["optimization_config"] = {"lr": {"min": 1e-3, "max": 1e-2}}  # a search, with folds
    config = {"x": {"datasets": [event_log(tmp_path)], "kfold_splits": 2, "models": [model]}}
    with sklearn.config_context(enable_metadata_routing=True):
        run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert calls
    for groups, _, n_rows in calls:  # before, routing fell back to the split by content
        assert len(groups) == n_rows and len(set(groups.tolist())) == n_rows


def test_phrases_without_groups_are_still_validated_by_content(
    data_file, tmp_path, recorded_splits
):
    calls = recorded_splits
    model = {"name": "LSTMModel", "epochs": 1, "params": {"embedding_dim": 4, "hidden_dim": 4}}
    config = {"x": {"datasets": [str(data_file)], "kfold_splits": 2, "models": [model]}}
    run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert calls and all(split.groups is None for split in calls)


@pytest.mark.parametrize("model", ["LSTMModel", "HybridModel"])
def test_on_grouped_phrases_only_the_hybrid_is_validated_by_group(tmp_path, recorded_splits, model):
    calls = recorded_splits
    spec = {"name": model, "epochs": 1, "params": {"embedding_dim": 4, "hidden_dim": 4}}
    if model == "HybridModel":
        spec["params"] = {"n_networks": 1, "network__embedding_dim": 4, "network__hidden_dim": 4}
    songs = grouped_phrases(tmp_path, n_songs=MIN_GROUPS_FOR_THE_HYBRID)
    config = {"x": {"datasets": [songs], "kfold_splits": 2, "models": [spec]}}
    run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert calls
    if model == "LSTMModel":  # a network alone stops early by content
        assert all(split.groups is None for split in calls)
    else:  # the hybrid chooses its mixture, and its networks stop, on whole songs
        for groups, _, n_rows in calls:
            assert len(groups) == n_rows and all(list(groups).count(g) == 4 for g in groups)
    # said false, the hybrid too is split by content
    calls.clear()
    config["x"]["validate_by_group"] = False
    run_experiments(config, tmp_path / "out_false", progress=lambda line: None)
    assert calls and all(split.groups is None for split in calls)


def test_with_few_groups_the_hybrid_s_search_is_validated_by_content(tmp_path, recorded_splits):
    # 5 songs: by song, an inner fold of the search would leave the networks a single song
    spec = {"name": "HybridModel", "epochs": 1}
    spec["params"] = {"n_networks": 1, "network__embedding_dim": 4, "network__hidden_dim": 4}
    spec["optimization_config"] = {"min_gain_se": {"values": [0.0, 2.0]}}
    config = {"x": {"datasets": [grouped_phrases(tmp_path, n_songs=5)], "models": [spec]}}
    config["x"].update(kfold_splits=3, number_of_trials=2)
    results = run_experiments(config, tmp_path / "out", progress=lambda line: None)
    assert len(results) == 3 and recorded_splits
    assert all(split.groups is None for split in recorded_splits)


RANDOM_SEARCHES = [("random", 2, True), ("random", 1, True), ("random", 2, False)]


@pytest.mark.parametrize(
    "search, trials, ranges, routing",
    [
        *[(*case, routing) for case in RANDOM_SEARCHES for routing in (False, True)],
        ("optuna", 2, True, False),  # under routing, optuna refuses groups (the test below)
    ],
)
def test_validate_by_group_hands_each_fit_the_groups_of_its_rows(
    tmp_path, recorded_splits, search, trials, ranges, routing
):
    if search == "optuna":
        pytest.importorskip("optuna_integration")
    calls = recorded_splits
    model = {"name": "LSTMModel", "epochs": 1, "params": {"embedding_dim": 4, "hidden_dim": 4}}
    if ranges:
        model["optimization_config"] = {"lr": {"min": 1e-3, "max": 1e-2}}
    config = {
        "x": {
            "datasets": [grouped_phrases(tmp_path)],
            "kfold_splits": 2,
            "number_of_trials": trials,
            "models": [model],
            "validate_by_group": True,
        }
    }
    # with metadata routing on, the groups reach the model by its request (before: TypeError)
    with sklearn.config_context(enable_metadata_routing=routing):
        run_experiments(config, tmp_path / "out", search=search, progress=lambda line: None)
    assert calls and all(split.groups is not None for split in calls)
    for groups, _, n_rows in calls:
        # a fit sees the songs of its own rows, whole: 4 phrases each
        assert len(groups) == n_rows and all(list(groups).count(g) == 4 for g in groups)
    assert max(split.n_rows for split in calls) == 40  # the final model, on every song


def test_optuna_refuses_groups_under_metadata_routing(tmp_path):
    pytest.importorskip("optuna_integration")
    model = {"name": "LSTMModel", "epochs": 1, "params": {"embedding_dim": 4, "hidden_dim": 4}}
    model["optimization_config"] = {"lr": {"min": 1e-3, "max": 1e-2}}
    config = {"x": {"datasets": [grouped_phrases(tmp_path)], "kfold_splits": 2, "models": [model]}}
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="search='optuna' cannot split the inner folds"):
            run_experiments(config, tmp_path / "out", search="optuna", progress=lambda line: None)
