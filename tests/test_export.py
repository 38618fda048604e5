"""ONNX export: onnxruntime gives what PyTorch gives, at any batch size and length."""

import copy
import json

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
    export_onnx,
)
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.encoding import PAD, UNK, EncodedSequences
from sklearn_seqlab.export import METADATA_KEY
from sklearn_seqlab.modules import MODULES

# training sequences are at most 10 states long; the parity test reads up to 40
X = make_markov_sequences(120, n_states=7, order=2, min_length=3, max_length=10, random_state=0)
TINY = dict(embedding_dim=8, hidden_dim=16, max_epochs=2, random_state=0)
CHORDS = ("C:maj", "Db:min", "G:maj", "N", "A:min7", "E:maj", "F#:min")
BATCHES = (1, 3, 16, 64)
LENGTHS = (1, 5, 40)


def _session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _metadata(path):
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props[METADATA_KEY])


def _exported(model, tmp_path_factory, name):
    path = tmp_path_factory.mktemp("onnx") / f"{name}.onnx"
    assert export_onnx(model, path) == str(path)
    return path, _session(path)


@pytest.fixture(scope="module", params=sorted(MODULES))
def exported_classifier(request, tmp_path_factory):
    # fewer repetition slots than the 7 states, so that the graph must also leave the states
    # beyond the slots without one
    clf = NextStateClassifier(request.param, repetition_slots=3, **TINY).fit(X)
    return (clf, *_exported(clf, tmp_path_factory, request.param))


@pytest.fixture(scope="module")
def exported_pipeline(tmp_path_factory):
    pipe = Pipeline([("enc", StateEncoder()), ("clf", NextStateClassifier(**TINY))]).fit(X)
    return (pipe, *_exported(pipe, tmp_path_factory, "pipeline"))


def _random_codes(rng, batch, length, n_codes):
    """Right-padded codes of a batch: lengths 1..length, at least one row of full length."""
    lengths = rng.integers(1, length + 1, size=batch)
    lengths[rng.integers(batch)] = length
    codes = rng.integers(UNK, n_codes, size=(batch, length))
    for row, n in enumerate(lengths):
        codes[row, n:] = PAD
    return codes, [codes[row, :n] for row, n in enumerate(lengths)]


def _check_parity(clf, states, session, seed):
    """Logits against the torch module, probabilities against predict_proba, same argmax."""
    rng = np.random.default_rng(seed)
    module = clf.net_.module_
    for batch in BATCHES:
        for length in LENGTHS:
            codes, rows = _random_codes(rng, batch, length, clf.n_codes_)
            proba, logits = session.run(None, {"codes": codes})
            assert proba.shape == logits.shape == (batch, len(clf.classes_))
            with torch.no_grad():
                expected_logits = module.forward_last(torch.from_numpy(codes)).numpy()
            expected_logits /= clf.temperature_  # the fitted temperature is in the graph
            expected = clf.predict_proba(EncodedSequences(rows, states))
            np.testing.assert_allclose(logits, expected_logits, atol=1e-5, rtol=0)
            np.testing.assert_allclose(proba, expected, atol=1e-5, rtol=0)
            np.testing.assert_array_equal(proba.argmax(axis=1), expected.argmax(axis=1))


def test_parity_with_pytorch_at_every_batch_size_and_length(exported_classifier):
    clf, _, session = exported_classifier
    _check_parity(clf, clf.encoder_.states_, session, seed=0)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_parity_with_relative_chords(name, tmp_path_factory):
    # the Markov states as chords: seven roots and two kinds, and a state that is no chord
    chords = {s: c for s, c in zip(sorted({s for x in X for s in x}), CHORDS, strict=False)}
    X_chords = [[chords[s] for s in x] for x in X]
    clf = NextStateClassifier(name, repetition_slots=3, relative_chords=True, **TINY)
    clf.fit(X_chords)
    assert clf.net_.module_.chords is not None
    _, session = _exported(clf, tmp_path_factory, f"{name}_chords")
    _check_parity(clf, clf.encoder_.states_, session, seed=2)


def test_graph_has_dynamic_batch_and_length(exported_classifier):
    clf, _, session = exported_classifier
    (codes,) = session.get_inputs()
    assert codes.name == "codes" and codes.type == "tensor(int64)"
    assert all(isinstance(d, str) for d in codes.shape)  # symbolic, not fixed sizes
    assert [o.name for o in session.get_outputs()] == ["proba", "logits"]
    assert session.get_outputs()[0].shape[1] == len(clf.classes_)


def test_metadata_decodes_states_without_the_model(exported_classifier):
    clf, path, session = exported_classifier
    meta = _metadata(path)
    assert meta["classes"] == clf.classes_.tolist()
    assert meta["states"] == clf.encoder_.states_.tolist()
    assert (meta["pad_code"], meta["unknown_code"], meta["first_state_code"]) == (0, 1, 2)
    assert meta["module"] == clf.module
    # encode and decode with the metadata alone, as a deployment without Python would
    index = {s: i + meta["first_state_code"] for i, s in enumerate(meta["states"])}
    contexts = [s[:-1] for s in X[:20]] + [["never-seen", X[0][0]]]
    width = max(map(len, contexts))
    codes = np.full((len(contexts), width), meta["pad_code"], dtype=np.int64)
    for row, seq in enumerate(contexts):
        codes[row, : len(seq)] = [index.get(s, meta["unknown_code"]) for s in seq]
    proba, _ = session.run(None, {"codes": codes})
    predicted = [meta["classes"][i] for i in proba.argmax(axis=1)]
    assert predicted == clf.predict(contexts).tolist()


def test_pipeline_parity_and_vocabulary(exported_pipeline):
    pipe, path, session = exported_pipeline
    encoder, clf = pipe[0], pipe[-1]
    meta = _metadata(path)
    assert meta["states"] == encoder.states_.tolist()
    assert meta["classes"] == clf.classes_.tolist()
    _check_parity(clf, encoder.states_, session, seed=1)
    # raw sequences through the encoder, against the whole pipeline
    encoded = encoder.transform(X[:30])
    codes = np.full((30, encoded.lengths.max()), PAD, dtype=np.int64)
    for row, c in enumerate(encoded.codes):
        codes[row, : len(c)] = c
    proba, _ = session.run(None, {"codes": codes})
    np.testing.assert_allclose(proba, pipe.predict_proba(X[:30]), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "model, error, match",
    [
        (NextStateClassifier(), NotFittedError, "not fitted"),
        (
            Pipeline([("enc", StateEncoder()), ("clf", NextStateClassifier())]),
            NotFittedError,
            "not fitted",
        ),
        (MarkovClassifier().fit(X), TypeError, "no single network"),
        (
            Pipeline([("enc", StateEncoder()), ("clf", VariableOrderMarkovClassifier())]).fit(X),
            TypeError,
            "StateEncoder followed by a NextStateClassifier",
        ),
        (StateEncoder().fit(X), TypeError, "got StateEncoder"),
    ],
    ids=["unfitted", "unfitted-pipeline", "count-model", "count-pipeline", "encoder"],
)
def test_clear_errors_for_unfitted_and_unsupported_models(model, error, match, tmp_path):
    with pytest.raises(error, match=match):
        export_onnx(model, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_encoded_input_with_states_outside_the_classes_is_refused(tmp_path):
    encoded = StateEncoder().fit_transform(X)
    y = ["a" if i % 2 else "b" for i in range(len(X))]
    clf = NextStateClassifier(**TINY, validation_fraction=None, patience=None).fit(encoded, y)
    with pytest.raises(ValueError, match="Pipeline"):
        export_onnx(clf, tmp_path / "model.onnx")


def test_models_reading_extra_features_are_refused(exported_pipeline, tmp_path):
    clf = copy.deepcopy(exported_pipeline[0][-1])
    clf.feature_sizes_ = (5,)  # what fit records for StateEncoder(target=...) input
    with pytest.raises(TypeError, match="extra features"):
        export_onnx(clf, tmp_path / "model.onnx")
