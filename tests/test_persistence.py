"""Safe model files: round trips, and refusal of pickles, tampered and newer files."""

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
    load_model,
    save_model,
)
from sklearn_seqlab.datasets import make_markov_sequences

X = make_markov_sequences(150, n_states=6, order=2, min_length=3, max_length=10, random_state=0)
TINY = dict(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0)

MODELS = {
    "encoder": lambda: StateEncoder(min_frequency=2),
    "lstm": lambda: NextStateClassifier(**TINY),
    "attention-pipeline": lambda: Pipeline(
        [("enc", StateEncoder()), ("clf", NextStateClassifier("attention", **TINY))]
    ),
    "markov": lambda: MarkovClassifier(alpha=0.5),
    "variable-order-pipeline": lambda: Pipeline(
        [("enc", StateEncoder()), ("clf", VariableOrderMarkovClassifier(max_order=3))]
    ),
    "witten-bell": lambda: VariableOrderMarkovClassifier(method="witten_bell"),
}


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_gives_identical_predictions(name, tmp_path):
    model = MODELS[name]().fit(X)
    save_model(model, tmp_path / "model.seqlab")
    loaded = load_model(tmp_path / "model.seqlab")
    assert type(loaded) is type(model)
    if isinstance(model, StateEncoder):
        assert [c.tolist() for c in loaded.transform(X)] == [c.tolist() for c in model.transform(X)]
        return
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.get_params(deep=False).keys() == model.get_params(deep=False).keys()


def test_neural_history_and_tuple_states(tmp_path):
    # three distinct songs: identical sequences always share one side of the validation split
    song = [("C", 4), ("G", 4), ("Am", 3)] * 3
    chords = [song, song[1:], song[2:]] * 10
    model = NextStateClassifier(**TINY).fit(chords)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.classes_.tolist() == model.classes_.tolist() == [("Am", 3), ("C", 4), ("G", 4)]
    assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]
    assert loaded.predict([[("C", 4)]])[0] == model.predict([[("C", 4)]])[0]


class _Exploit:
    """Unpickling this runs code: it would write a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(ValueError, match="not a sklearn_seqlab model file.*joblib"):
        load_model(path)
    assert not marker.exists()


def test_joblib_file_is_refused(tmp_path):
    joblib.dump(MarkovClassifier().fit(X), tmp_path / "m.joblib")
    with pytest.raises(ValueError, match="Pickle and joblib files are refused"):
        load_model(tmp_path / "m.joblib")


def _rewrite(path, edit_json=None, edit_npz=None):
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("model.json"))
        npz = archive.read("arrays.npz")
    if edit_json:
        edit_json(document)
    if edit_npz:
        npz = edit_npz(npz)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
        archive.writestr("arrays.npz", npz)


def test_tampered_file_is_refused(tmp_path):
    path = tmp_path / "m"
    save_model(MarkovClassifier().fit(X), path)

    def bump_counts(npz):
        arrays = dict(np.load(io.BytesIO(npz)))
        arrays["a0_unigram_counts"] = arrays["a0_unigram_counts"] * 2
        out = io.BytesIO()
        np.savez(out, **arrays)
        return out.getvalue()

    _rewrite(path, edit_npz=bump_counts)
    with pytest.raises(ValueError, match="modified after it was saved"):
        load_model(path)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "m"
    save_model(MarkovClassifier().fit(X), path)
    _rewrite(path, edit_json=lambda d: d.update(format_version=99))
    with pytest.raises(ValueError, match="format version 99.*upgrade"):
        load_model(path)


def test_unknown_class_in_file_is_refused(tmp_path):
    path = tmp_path / "m"
    save_model(MarkovClassifier().fit(X), path)

    def rename(document):
        document["model"]["class"] = "os.system"
        from sklearn_seqlab.persistence import _checksum  # keep the checksum consistent

        with zipfile.ZipFile(path) as archive:
            document["checksum"] = _checksum(document["model"], archive.read("arrays.npz"))

    _rewrite(path, edit_json=rename)
    with pytest.raises(ValueError, match="class this package does not load"):
        load_model(path)


def test_unsaveable_models_and_states_are_named(tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression cannot be saved"):
        save_model(LogisticRegression(), tmp_path / "m")
    with pytest.raises(TypeError, match="frozenset"):
        save_model(MarkovClassifier().fit([[frozenset("a"), frozenset("b")] * 3]), tmp_path / "m")
