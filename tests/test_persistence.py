"""Safe model files: round trips, and refusal of pickles, tampered and newer files."""

import io
import json
import pickle
import tracemalloc
import warnings
import zipfile
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from skorch import NeuralNet
from skorch.history import History

from sklearn_seqlab import (
    HybridClassifier,
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
    load_model,
    save_model,
)
from sklearn_seqlab.augmentation import KeyTransposer
from sklearn_seqlab.chords import chord_parts
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.persistence import _checksum

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
    "repetition": lambda: VariableOrderMarkovClassifier(
        cache_weight=0.2, cache_order=3, repetition_weight=0.3
    ),
    "hybrid": lambda: HybridClassifier(NextStateClassifier(**TINY), n_networks=2, random_state=0),
    "hybrid-markov": lambda: HybridClassifier(
        NextStateClassifier("transformer", **TINY), count_model=MarkovClassifier(), random_state=0
    ),
    "factorised-augmented-pipeline": lambda: Pipeline(
        [
            ("enc", StateEncoder(augment=KeyTransposer(semitones=[2]), state_features=chord_parts)),
            ("clf", NextStateClassifier(**TINY)),
        ]
    ),
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
        # keep the checksum consistent
        with zipfile.ZipFile(path) as archive:
            document["checksum"] = _checksum(document["model"], archive.read("arrays.npz"))

    _rewrite(path, edit_json=rename)
    with pytest.raises(ValueError, match="names a class this package does not load"):
        load_model(path)


def test_unsaveable_models_and_states_are_named(tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression cannot be saved"):
        save_model(LogisticRegression(), tmp_path / "m")
    with pytest.raises(TypeError, match="frozenset"):
        save_model(MarkovClassifier().fit([[frozenset("a"), frozenset("b")] * 3]), tmp_path / "m")


# ---- every fitted attribute survives -------------------------------------------------------


def _assert_same(a, b, where):
    if isinstance(a, float) and isinstance(b, float):  # skorch logs np.float64, JSON float
        assert a == b, where
        return
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tolist() == b.tolist(), where
    elif sparse.issparse(a):
        assert a.shape == b.shape and a.dtype == b.dtype and (a != b).nnz == 0, where
    elif isinstance(a, np.random.RandomState):
        _assert_same(list(a.get_state()), list(b.get_state()), where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, History):
        _assert_same(list(a), list(b), where)
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a.cpu(), b.cpu()), where
    elif isinstance(a, NeuralNet):
        _assert_same(a.module_.state_dict(), b.module_.state_dict(), f"{where}.module_")
        _assert_same(a.optimizer_.state_dict(), b.optimizer_.state_dict(), f"{where}.optim")
        _assert_same(a.history, b.history, f"{where}.history")
    elif isinstance(a, (BaseEstimator, Pipeline)):
        _assert_same_fitted(a, b, where)
    else:
        assert a == b, where


def _assert_same_fitted(a, b, where="model"):
    """Every attribute that is not a parameter: the fitted state, private ones included."""
    if isinstance(a, Pipeline):
        for (name, x), (_, y) in zip(a.steps, b.steps, strict=True):
            _assert_same_fitted(x, y, f"{where}.{name}")
        return
    params = a.get_params(deep=False)
    fitted = {k: v for k, v in vars(a).items() if k not in params}
    assert fitted.keys() == {k for k in vars(b) if k not in params}, where
    for key, value in fitted.items():
        _assert_same(value, vars(b)[key], f"{where}.{key}")


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_keeps_every_fitted_attribute(name, tmp_path):
    model = MODELS[name]().fit(X)
    save_model(model, tmp_path / "model.seqlab")
    _assert_same_fitted(model, load_model(tmp_path / "model.seqlab"))


def test_encoded_input_round_trip_keeps_the_vocabulary(tmp_path):
    enc = StateEncoder().fit(X)
    model = MarkovClassifier().fit(enc.transform(X))
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    _assert_same_fitted(model, loaded)
    other = StateEncoder().fit([[f"x{i}" for i in range(len(enc.states_))]])
    with pytest.raises(ValueError, match="another vocabulary"):
        loaded.predict(other.transform([["x1", "x2"]]))


def test_partial_fit_continues_alike_after_a_round_trip(tmp_path):
    model = NextStateClassifier(**TINY).fit(X)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    model.partial_fit(X)
    loaded.partial_fit(X)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# ---- crafted files ---------------------------------------------------------------------------


def _forge(path, edit_json=None, edit_arrays=None, extra_json=b""):
    """Edit a model file as an attacker would: the checksum is recomputed to match."""
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("model.json"))
        npz = archive.read("arrays.npz")
    if edit_arrays:
        arrays = dict(np.load(io.BytesIO(npz)))
        edit_arrays(arrays)
        out = io.BytesIO()
        np.savez(out, **arrays)
        npz = out.getvalue()
    if edit_json:
        edit_json(document["model"])
    document["checksum"] = _checksum(document["model"], npz)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(document).encode() + extra_json)
        archive.writestr("arrays.npz", npz)


@pytest.fixture
def markov_file(tmp_path):
    path = tmp_path / "markov.seqlab"
    save_model(MarkovClassifier().fit(X), path)
    return path


@pytest.fixture(scope="module")
def lstm_model():
    return NextStateClassifier(**TINY).fit(X)


def test_an_array_the_model_does_not_name_is_refused(markov_file):
    _forge(markov_file, edit_arrays=lambda a: a.update(extra=np.ones(1000)))
    with pytest.raises(ValueError, match="arrays the model does not name.*extra"):
        load_model(markov_file)


def test_a_zip_bomb_in_the_arrays_is_refused_before_it_is_read(markov_file):
    # the reproducer of the issue with 64 MB: an array of zeros the model does not name
    with zipfile.ZipFile(markov_file) as archive:
        document, npz = archive.read("model.json"), archive.read("arrays.npz")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as inner:
        for name in zipfile.ZipFile(io.BytesIO(npz)).namelist():
            inner.writestr(name, zipfile.ZipFile(io.BytesIO(npz)).read(name))
        with inner.open("zeros.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (8 * 2**20,)}
            )
            for _ in range(64):
                member.write(bytes(2**20))
    with zipfile.ZipFile(markov_file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", document)
        archive.writestr("arrays.npz", bomb.getvalue())
    del bomb
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="arrays.npz expands.*refused"):
            load_model(markov_file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_padded_json_is_refused_before_it_is_read(markov_file):
    _forge(markov_file, extra_json=b" " * (32 * 2**20))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="model.json expands.*refused"):
            load_model(markov_file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def _set_param(key, value):
    def edit(tree):
        model = tree["steps"][-1][1] if tree["class"] == "Pipeline" else tree
        model["params"][key] = value

    return edit


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("alpha", -5, "refused as fit would refuse it.*alpha"),
        ("handle_unknown", "explode", "handle_unknown"),
        ("no_such_param", 1, "no parameter"),
    ],
)
def test_parameters_are_checked_as_fit_checks_them(markov_file, key, value, match):
    _forge(markov_file, edit_json=_set_param(key, value))
    with pytest.raises(ValueError, match=match):
        load_model(markov_file)


def test_weights_that_do_not_fit_the_parameters_are_refused(lstm_model, tmp_path):
    path = tmp_path / "m"
    save_model(lstm_model, path)
    # a 2.3 KB file could otherwise make torch allocate a module of 4000 hidden units
    _forge(path, edit_json=_set_param("hidden_dim", 4000))
    with pytest.raises(ValueError, match="has shape.*the model needs shape"):
        load_model(path)


_INDICES = "a0_transition_counts.indices"  # the file's name of an array (format version 3)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda a: a.update(a0_code_to_class=np.zeros(500, dtype=np.int64)), "code_to_class"),
        (lambda a: a.update(a0_unigram_counts=-a["a0_unigram_counts"]), "negative"),
        (lambda a: a.update(a0_unigram_counts=a["a0_unigram_counts"] * np.nan), "not finite"),
        (lambda a: a.__setitem__(_INDICES, a[_INDICES] + 99), "indices"),
        (lambda a: a.pop("a0_unigram_counts"), "missing"),
    ],
    ids=["longer", "negative", "nan", "indices", "missing"],
)
def test_arrays_that_do_not_fit_the_model_are_refused(markov_file, edit, match):
    _forge(markov_file, edit_arrays=edit)
    with pytest.raises(ValueError, match=f"not a valid model file.*{match}"):
        load_model(markov_file)


def test_a_loaded_model_writes_nowhere_the_file_says(lstm_model, tmp_path):
    path = tmp_path / "m"
    save_model(lstm_model, path)
    target = tmp_path / "elsewhere"

    def point_elsewhere(tree):
        tree["params"]["checkpoint_dir"] = str(target)
        tree["state"]["checkpoint_path"] = str(target / "abc")

    _forge(path, edit_json=point_elsewhere)
    loaded = load_model(path)
    assert loaded.checkpoint_path_ is None and loaded.checkpoint_dir is None
    loaded.partial_fit(X)
    loaded.fit(X)
    assert not target.exists()


def test_a_checkpoint_dir_is_not_saved(tmp_path):
    model = NextStateClassifier(**TINY, checkpoint_dir=tmp_path / "ckpt").fit(X)
    save_model(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        document = json.loads(archive.read("model.json"))
    assert "checkpoint_dir" in document["model"]["params_not_saved"]
    assert str(tmp_path) not in json.dumps(document)
    assert load_model(tmp_path / "m").checkpoint_dir is None


def test_a_model_from_a_gpu_loads_on_the_cpu(lstm_model, tmp_path):
    path = tmp_path / "m"
    save_model(lstm_model, path)
    # a file as a CUDA machine writes it: tensors are saved from the CPU, the device is named
    _forge(path, edit_json=_set_param("device", "cuda:0"))
    with mock.patch("torch.cuda.is_available", return_value=False):
        loaded = load_model(path)
    assert loaded.device == "cpu" or torch.cuda.is_available()
    np.testing.assert_array_equal(loaded.predict_proba(X), lstm_model.predict_proba(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_trained_on_cuda_saves_cpu_arrays(tmp_path):
    model = NextStateClassifier(**TINY, device="cuda").fit(X)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)


def test_malformed_files_get_a_value_error_that_says_what_is_wrong(markov_file, tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        load_model(tmp_path)

    deep = tmp_path / "deep"
    with zipfile.ZipFile(deep, "w") as archive:
        archive.writestr("model.json", "[" * 100_000 + "]" * 100_000)
        archive.writestr("arrays.npz", b"")
    with pytest.raises(ValueError, match="nested too deeply"):
        load_model(deep)

    def drop_model(document):
        document.pop("model")

    with zipfile.ZipFile(markov_file) as archive:
        document = json.loads(archive.read("model.json"))
        npz = archive.read("arrays.npz")
    drop_model(document)
    missing = tmp_path / "missing"
    with zipfile.ZipFile(missing, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
        archive.writestr("arrays.npz", npz)
    with pytest.raises(ValueError, match="lacks \\['model'\\]"):
        load_model(missing)

    twice = tmp_path / "twice"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        with zipfile.ZipFile(twice, "w") as archive:
            archive.writestr("model.json", json.dumps({"format": "x"}))
            archive.writestr("model.json", json.dumps({"format": "x"}))
            archive.writestr("arrays.npz", npz)
    with pytest.raises(ValueError, match="duplicate members"):
        load_model(twice)
