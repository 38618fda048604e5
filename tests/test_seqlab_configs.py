"""The runner on SeqLab's experiment keys: test_dataset, augmentation on training folds only,
chord normalisation, parameters left out, and SeqLab's own example config."""

from pathlib import Path

import pytest
from sklearn.pipeline import Pipeline

from sklearn_seqlab import MarkovClassifier, StateEncoder
from sklearn_seqlab.augmentation import SubsequenceAugmenter
from sklearn_seqlab.datasets import make_chord_progressions
from sklearn_seqlab.runner import run_experiments

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
    with pytest.raises(ValueError, match="not a SeqLab CSV file"):
        run_experiments(config, tmp_path, **QUIET)
