"""The experiment runner and its command line, on tiny configs."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold

from sklearn_seqlab import load_model
from sklearn_seqlab.cli import main
from sklearn_seqlab.config import read_config
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.runner import (
    DEFAULT_CONFIG,
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
