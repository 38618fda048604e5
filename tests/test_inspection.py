"""attention_weights and plot_attention."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.batching import pad_right
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.encoding import PAD
from sklearn_seqlab.inspection import last_step_attention, plot_attention, plot_best_attention
from sklearn_seqlab.modules import MODULES, LSTMNextState
from sklearn_seqlab.neural.views import context_structure, output_scores
from sklearn_seqlab.runner import run_experiments

X = make_markov_sequences(150, n_states=6, order=2, min_length=3, max_length=12, random_state=0)
TINY = dict(embedding_dim=8, hidden_dim=16, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def attention():
    return NextStateClassifier("attention", **TINY).fit(X)


def test_weights_cover_each_sequence_and_sum_to_one(attention):
    contexts = [s[:-1] for s in X[:50]]
    weights = attention.attention_weights(contexts)
    assert [len(w) for w in weights] == [len(c) for c in contexts]
    for w in weights:
        assert np.all(w >= 0)
        assert w.sum() == pytest.approx(1.0)
    # padding is excluded: a sequence gets the same weights alone as beside longer ones
    alone = attention.attention_weights([contexts[0]])[0]
    np.testing.assert_allclose(alone, weights[0], atol=1e-6)


def test_weights_are_the_ones_the_prediction_uses(attention):
    """The context vector made from the weights gives forward_last's logits exactly."""
    module = attention.net_.module_
    encoded = attention.encoder_.transform([s[:-1] for s in X[:20]])
    tokens = pad_right(encoded.codes, PAD)
    with torch.no_grad():
        w = last_step_attention(module, tokens)  # (B, T)
        h = module.hidden(tokens)  # (B, T, H)
        last = (tokens != PAD).sum(dim=1) - 1
        h_last = h[torch.arange(len(h)), last]
        context = (w[:, None, :] @ h).squeeze(1)
        readout = torch.cat([context, h_last], dim=-1)
        # the output layer, with the repetition slots the default network has
        logits = output_scores(module, readout, context_structure(module, tokens), last)
        np.testing.assert_allclose(logits, module.forward_last(tokens), atol=1e-6)
    assert torch.all(w[tokens == PAD] == 0)


def test_modules_without_attention_are_refused():
    lstm = NextStateClassifier(**TINY).fit(X)
    with pytest.raises(TypeError, match="module='attention'"):
        lstm.attention_weights(X[:3])
    with pytest.raises(NotFittedError):
        NextStateClassifier("attention").attention_weights(X[:3])


class _UniformAttention(LSTMNextState):
    """A module that declares its attention through ``attention_last``: uniform weights."""

    def attention_last(self, tokens):
        mask = (tokens != PAD).double()
        return mask / mask.sum(dim=1, keepdim=True)


def test_any_module_with_attention_last_is_supported(monkeypatch):
    monkeypatch.setitem(MODULES, "uniform", _UniformAttention)
    clf = NextStateClassifier("uniform", **TINY).fit(X)
    weights = clf.attention_weights([["a"], X[0][:4]])  # "a" is unknown: one position
    np.testing.assert_allclose(weights[0], [1.0])
    np.testing.assert_allclose(weights[1], [0.25] * 4)


def test_heat_map_rows_are_the_weights_of_each_prefix(attention, tmp_path):
    seq = X[3][:6]
    ax = plot_attention(attention, seq)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(s) for s in seq]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(s) for s in seq]
    # imshow masks the NaN (blank) cells above the diagonal: never attended
    matrix = np.ma.filled(ax.get_images()[0].get_array(), np.nan)
    for t in range(len(seq)):
        expected = attention.attention_weights([seq[: t + 1]])[0]
        np.testing.assert_allclose(matrix[t, : t + 1], expected, atol=1e-6)
        assert np.all(np.isnan(matrix[t, t + 1 :]))
    ax.figure.savefig(tmp_path / "attention.png")
    assert (tmp_path / "attention.png").stat().st_size > 0


def test_heat_map_of_a_pipeline_with_max_length():
    pipe = Pipeline(
        [("enc", StateEncoder(max_length=4)), ("clf", NextStateClassifier("attention", **TINY))]
    ).fit(X)
    seq = X[5][:7]
    ax = plot_attention(pipe, seq)
    # the model reads the last 4 states only, and so does the plot
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(s) for s in seq[-4:]]
    matrix = np.ma.filled(ax.get_images()[0].get_array(), np.nan)
    last = pipe[-1].attention_weights(pipe[0].transform([seq]))[0]
    np.testing.assert_allclose(matrix[-1], last, atol=1e-6)


def test_best_attention_model_of_a_report_is_drawn(attention, tmp_path):
    lstm = NextStateClassifier(**TINY).fit(X)
    other = NextStateClassifier("attention", **TINY, dropout=0.1).fit(X)
    results = pd.DataFrame(
        {
            "experiment": ["e"] * 6,
            "dataset": ["d"] * 6,
            "model": ["lstm", "lstm", "att", "att", "att2", "att2"],
            "accuracy": [0.9, 0.9, 0.5, 0.6, 0.4, 0.4],
        }
    )
    finals = [("e", "d", "lstm", lstm, X), ("e", "d", "att", attention, X)]
    finals.append(("e", "d", "att2", other, X))
    ax = plot_best_attention(finals, results, tmp_path / "attention.png")
    assert (tmp_path / "attention.png").stat().st_size > 0
    # the lstm scores best but has no attention: the better attention model is drawn
    assert ax.get_title() == "e / d / att (accuracy 0.550)"
    assert plot_best_attention(finals[:1], results, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_runner_report_holds_the_attention_plot(tmp_path):
    data = tmp_path / "chords.txt"
    data.write_text("\n".join(" ".join(s) for s in X[:60]) + "\n")
    model = {"name": "LSTMModelWithAttention", "epochs": 2, "params": {"hidden_dim": 4}}
    config = {"experiments": {"tiny": {"datasets": [str(data)], "kfold_splits": 2}}}
    config["experiments"]["tiny"]["models"] = [model]
    run_experiments(config, tmp_path / "report", progress=lambda line: None)
    assert (tmp_path / "report" / "attention.png").stat().st_size > 0
