"""The runner on SeqLab's experiment keys: test_dataset, augmentation on training folds only,
chord normalisation, parameters left out, and SeqLab's own example config."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline

from sklearn_seqlab import MarkovClassifier, StateEncoder
from sklearn_seqlab.augmentation import SubsequenceAugmenter
from sklearn_seqlab.cli import main
from sklearn_seqlab.config import read_config
from sklearn_seqlab.datasets import make_chord_progressions
from sklearn_seqlab.runner import _search, run_experiments

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"progress": lambda line: None}


def write_txt(path, sequences):
    path.write_text("".join(" ".join(s) + "\n" for s in sequences))
    return str(path)


@pytest.fixture(scope="module")
def chords(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chords")
    X = make_chord_progressions(60, min_length=4, max_length=10, random_state=0)
    return folder, X[:40], X[40:]


def test_test_dataset_scores_once_on_the_separate_file(chords, tmp_path):
    folder, train, test = chords
    config = {
        "x": {
            "datasets": [write_txt(folder / "train.txt", train)],
            "test_dataset": write_txt(folder / "test.txt", test),
            "kfold_splits": 5,
            "models": [{"name": "MarkovModel"}],
        }
    }
    lines = []
    results = run_experiments(config, tmp_path, progress=lines.append)
    assert results["fold"].tolist() == [0]
    expected = Pipeline([("enc", StateEncoder()), ("clf", MarkovClassifier())])
    assert results["accuracy"].iloc[0] == expected.fit(train).score(test)
    assert any("fold 1/1" in line for line in lines)


def test_augmentation_sees_training_sequences_only(chords, tmp_path, monkeypatch):
    folder, train, test = chords
    seen = set()
    call = SubsequenceAugmenter.__call__

    def spy(self, sequences):
        seen.update(tuple(s) for s in sequences)
        return call(self, sequences)

    monkeypatch.setattr(SubsequenceAugmenter, "__call__", spy)
    config = {
        "x": {
            "datasets": [write_txt(folder / "train.txt", train)],
            "test_dataset": write_txt(folder / "test.txt", test),
            "augment_by_subsequences": True,
            "models": [
                {"name": "MarkovModel", "optimization_config": {"alpha": {"values": [0.1, 1]}}}
            ],
        }
    }
    run_experiments(config, tmp_path, **QUIET)
    assert seen and seen <= {tuple(s) for s in train}
    assert not seen & {tuple(s) for s in test if tuple(s) not in map(tuple, train)}


def test_normalize_chords_and_parameters_left_out(tmp_path):
    path = tmp_path / "inversions.txt"
    path.write_text("C:maj/3 G:7/5 C:maj\nC:maj G:7 C:maj/5\n" * 10)
    config = {
        "x": {
            "datasets": [str(path)],
            "kfold_splits": 2,
            "normalize_chords": "triad",
            "models": [
                {"name": "VariableOrderMarkovModel", "params": {"alpha": 0.5, "max_order": 2}}
            ],
        }
    }
    lines = []
    results = run_experiments(config, tmp_path / "out", progress=lines.append)
    # with inversions and sevenths gone, "C:maj G:maj" is always followed by "C:maj"
    assert (results["accuracy"] == 1.0).all()
    assert any("parameter 'alpha' is left out" in line for line in lines)


def test_many_to_one_needs_csv_files(tmp_path):
    config = {
        "x": {
            "feature_dimensions": "many_to_one",
            "datasets": ["songs.txt"],
            "source_features": ["a"],
            "target_feature": "a",
            "models": [{"name": "MultiLSTMModel"}],
        }
    }
    with pytest.raises(ValueError, match="not a SeqLab CSV file or an event log"):
        run_experiments(config, tmp_path, **QUIET)
    # an event log whose state column is not the target
    log = {"path": "log.csv", "sequence": "case", "state": "b"}
    config["x"]["datasets"] = [log]
    with pytest.raises(ValueError, match=r"datasets\[0\] is an event log whose 'state' column"):
        run_experiments(config, tmp_path, **QUIET)


def test_seqlab_example_config_runs(tmp_path, capsys):
    """SeqLab's own example config, data paths filled in, runs from the command line."""
    out = tmp_path / "out"
    config = ROOT / "examples" / "seqlab_example_config.json"
    assert main(["run", str(config), "--output", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    names = {m["name"] for e in json.loads(config.read_text())["experiments"] for m in e["models"]}
    assert set(results["model"]) == names and len(names) == 10
    assert len(results) == 2 * (2 * 6 + 4)  # 2 folds; 6 models on 2 data sets, 4 on 1
    assert results["accuracy"].between(0, 1).all() and results["log_loss"].notna().all()
    assert len(list((out / "models").iterdir())) == 2 * 6 + 4
    assert "parameter 'alpha' is left out" in capsys.readouterr().out


def test_one_trial_is_the_candidate_a_search_would_draw(chords):
    """One trial: the runner fits RandomizedSearchCV's one candidate, without inner folds
    that cannot change a choice among one."""
    _, train, _ = chords
    spec = {"name": "MarkovModel", "optimization_config": {"alpha": {"min": 1e-3, "max": 1.0}}}
    (experiment,) = read_config(
        {"x": {"datasets": ["a.txt"], "number_of_trials": 1, "models": [spec]}}
    )
    fitted = _search(experiment.models[0], experiment, "random", None).fit(train)
    pipe = Pipeline([("enc", StateEncoder()), ("clf", MarkovClassifier())])
    distributions = experiment.models[0].param_distributions("clf__")
    search = RandomizedSearchCV(pipe, distributions, n_iter=1, cv=2, random_state=0)
    assert fitted.best_params_ == search.fit(train).best_params_
    assert fitted.best_estimator_[-1].alpha == fitted.best_params_["clf__alpha"]


def test_many_to_one_scores_the_target_feature(tmp_path):
    """Chords cycle, the melody is noise: the count model reads the chords alone and is
    always right, and the metrics compare chords with chords."""
    rng = np.random.RandomState(0)
    cycle = ["C:maj", "G:maj", "A:min", "F:maj"]
    rows = ["**harte,**kern"]
    for _ in range(40):
        rows.append("*>Verse,*>Verse")
        start = rng.randint(4)
        rows += [f"{cycle[(start + k) % 4]},{'cdefg'[rng.randint(5)]}" for k in range(6)]
    path = tmp_path / "songs.csv"
    path.write_text("\n".join(rows) + "\n")
    config = {
        "x": {
            "feature_dimensions": "many_to_one",
            "datasets": [str(path)],
            "source_features": ["**kern", "**harte"],
            "target_feature": "**harte",
            "kfold_splits": 2,
            "models": [{"name": "VariableOrderMarkovModel", "params": {"max_order": 2}}],
        }
    }
    results = run_experiments(config, tmp_path / "out", **QUIET)
    assert (results["accuracy"] == 1.0).all()


def test_many_to_one_reads_the_columns_of_an_event_log(tmp_path):
    """The next activity is decided by the resource of the current event, which only a
    network that reads the resource column can know."""
    rng = np.random.RandomState(0)
    rows = ["case,activity,resource,time"]
    for case in range(80):
        resources = rng.choice(["ann", "bob"], size=4)
        for k, resource in enumerate(resources):
            activity = "start" if k == 0 else ("check" if resources[k - 1] == "ann" else "fix")
            rows.append(f"{case},{activity},{resource},{k}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    log = {"path": str(path), "sequence": "case", "state": "activity", "order": "time"}
    model = {"name": "MultiLSTMModel", "params": {"hidden_dim": 16, "max_epochs": 30}}
    config = {
        "x": {
            "feature_dimensions": "many_to_one",
            "datasets": [log],
            "source_features": ["activity", "resource"],
            "target_feature": "activity",
            "kfold_splits": 2,
            "models": [model, {"name": "MarkovModel"}],
        }
    }
    results = run_experiments(config, tmp_path / "out", **QUIET).set_index("model")
    assert (results.loc["MultiLSTMModel", "accuracy"] > 0.9).all()
    assert (results.loc["MarkovModel", "accuracy"] < 0.75).all()  # activities alone: a coin
