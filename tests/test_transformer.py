"""The transformer module and NextStateClassifier(module="transformer").

The readout, padding, causality and batch-invariance tests every module passes are in
test_modules.py; these cover what only the transformer has: positions, heads, its parameters.
"""

import numpy as np
import pytest
import torch
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder, load_model, save_model
from sklearn_seqlab.batching import pad_right
from sklearn_seqlab.transformer import TransformerNextState


def second_order_sequences(n, rng, length=8):
    """Next state = (a + b) mod 4 of the previous two: a first-order chain sees only chance."""
    out = []
    for _ in range(n):
        seq = list(rng.randint(4, size=2))
        while len(seq) < length:
            seq.append((seq[-1] + seq[-2]) % 4)
        out.append([f"s{s}" for s in seq])
    return out


def module(**kwargs):
    torch.manual_seed(0)
    settings = dict(n_codes=9, n_classes=6, embedding_dim=8, hidden_dim=16) | kwargs
    return TransformerNextState(**settings)


def test_positions_past_the_longest_training_sequence_share_its_last_embedding():
    net = module()
    net.train()
    net(pad_right([[2, 3, 4], [5, 6, 7, 8]], 0))  # trains positions 0-3 (no step: no change)
    net.eval()
    assert net.positions_trained.item() == 4
    long = torch.tensor([[2, 3, 4, 5, 6, 7, 8, 2, 3, 4]])
    before = net(long)
    with torch.no_grad():  # embeddings of positions never trained are never read
        net.position_embedding.weight[4:] = torch.randn_like(net.position_embedding.weight[4:])
    torch.testing.assert_close(net(long), before)
    with torch.no_grad():
        net.position_embedding.weight[3] += 1.0
    assert not torch.allclose(net(long)[:, 3:], before[:, 3:])
    torch.testing.assert_close(net(long)[:, :3], before[:, :3])


def test_contexts_longer_than_max_len():
    net = module(max_len=4).eval()
    rows = [list(range(2, 9)) * 2, [3, 4]]
    tokens = pad_right(rows, 0)
    every, last = net(tokens), net.forward_last(tokens)
    assert every.shape == (2, 14, 6)
    torch.testing.assert_close(last[0], every[0, 13])
    torch.testing.assert_close(last[1], net.forward_last(pad_right([rows[1]], 0))[0])


@pytest.mark.parametrize("num_layers, nhead", [(2, 2), (3, 8)])
def test_deeper_and_wider_stays_causal_and_padding_blind(num_layers, nhead):
    net = module(num_layers=num_layers, nhead=nhead, dim_feedforward=12, dropout=0.3).eval()
    a = net(torch.tensor([[2, 3, 4, 5, 0, 0]]))
    b = net(torch.tensor([[2, 3, 4, 7, 0, 0]]))
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3], b[:, 3])
    alone = net.forward_last(torch.tensor([[2, 3, 4, 5]]))
    torch.testing.assert_close(alone[0], net.forward_last(torch.tensor([[2, 3, 4, 5, 0, 0]]))[0])
    assert net.blocks[0].feed_forward[0].out_features == 12


def test_embedding_dim_must_be_a_multiple_of_nhead():
    with pytest.raises(ValueError, match="embedding_dim=8 must be a multiple of nhead=3"):
        module(nhead=3)
    clf = NextStateClassifier("transformer", embedding_dim=8, nhead=3)
    with pytest.raises(ValueError, match="embedding_dim=8 must be a multiple of nhead=3"):
        clf.fit([["a", "b", "c"]] * 4)
    with pytest.raises(ValueError, match="nhead must be >= 1"):
        NextStateClassifier("transformer", nhead=0).fit([["a", "b", "c"]] * 4)
    with pytest.raises(TypeError, match="dim_feedforward must be an integer"):
        NextStateClassifier("transformer", dim_feedforward=2.5).fit([["a", "b", "c"]] * 4)


@pytest.fixture(scope="module")
def second_order():
    rng = np.random.RandomState(0)
    return second_order_sequences(400, rng), second_order_sequences(100, rng)


@pytest.fixture(scope="module")
def fitted(second_order):
    train, _ = second_order
    # only 16 distinct sequences: a validation split would hold out whole patterns, which
    # learned absolute positions do not carry over to (the LSTM's recurrence does)
    clf = NextStateClassifier(
        "transformer",
        embedding_dim=32,
        hidden_dim=64,
        nhead=4,
        dropout=0.0,  # this exact rule is learned slowly through dropout
        tie_weights=False,
        lr=0.003,
        batch_size=16,
        # the rule is learned late and abruptly: 20 epochs would do without the mean over
        # epochs (average_weights), whose earlier epochs straddle that change
        max_epochs=30,
        patience=None,
        validation_fraction=None,
        random_state=0,
    )
    return clf.fit(train)


def test_second_order_pattern_is_learned(fitted, second_order):
    # a first-order chain can do no better than chance (0.25) on this pattern
    assert fitted.score(second_order[1]) > 0.9


def test_parameters_reach_the_module(fitted):
    blocks = fitted.net_.module_.blocks
    assert len(blocks) == 1 and blocks[0].attention.nhead == 4
    assert blocks[0].feed_forward[0].out_features == 64  # dim_feedforward=None: hidden_dim
    # the longest context trained on: 8 states, the last of them a target only
    assert fitted.net_.module_.positions_trained.item() == 7
    clf = NextStateClassifier(
        "transformer", embedding_dim=8, nhead=2, dim_feedforward=24, num_layers=2, max_epochs=1
    ).fit([["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]] * 4)
    blocks = clf.net_.module_.blocks
    assert len(blocks) == 2 and blocks[1].attention.nhead == 2
    assert blocks[1].feed_forward[0].out_features == 24


def test_save_and_load_keep_predictions_past_the_trained_length(fitted, second_order, tmp_path):
    test = second_order[1]
    longer = [s + s for s in test[:20]]  # twice the longest training sequence
    save_model(fitted, tmp_path / "transformer.seqlab")
    loaded = load_model(tmp_path / "transformer.seqlab")
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_allclose(loaded.predict_proba(longer), fitted.predict_proba(longer))
    np.testing.assert_array_equal(loaded.predict(test), fitted.predict(test))


def test_extra_features_are_embedded_and_padding_still_unread():
    net = module(feature_sizes=[5]).eval()
    events = torch.tensor([[[2, 2], [3, 4], [4, 3]]])  # (B, T, 1 + F)
    other_melody = events.clone()
    other_melody[0, 1, 1] = 2
    a, b = net(events), net(other_melody)
    torch.testing.assert_close(a[:, 0], b[:, 0])  # causal in the features too
    assert not torch.allclose(a[:, 1], b[:, 1])
    padded = torch.cat([events, torch.zeros(1, 4, 2, dtype=torch.long)], dim=1)
    batch = torch.cat([padded, torch.full((1, 7, 2), 3)], dim=0)
    torch.testing.assert_close(net.forward_last(batch)[0], net.forward_last(events)[0])


def test_multi_feature_pipeline_predicts_the_target_feature():
    """Chords with a melody note each: the chord follows from the previous melody note."""
    rng = np.random.RandomState(0)
    chords, notes = ["C", "F", "G", "Am"], ["c", "d", "e", "f"]
    X = []
    for _ in range(150):
        melody = rng.randint(4, size=6)
        # the next chord is named by the current note; the chords alone carry no signal
        X.append(
            [(chords[m_prev], notes[m]) for m_prev, m in zip(melody[:-1], melody[1:], strict=True)]
        )
    train, test = X[:120], X[120:]
    pipe = Pipeline(
        [
            ("enc", StateEncoder(target=0)),
            (
                "clf",
                NextStateClassifier(
                    "transformer", embedding_dim=16, nhead=2, lr=0.01, max_epochs=15, random_state=0
                ),
            ),
        ]
    ).fit(train)
    assert set(pipe.predict(test)) <= set(chords)
    assert pipe.score(test) > 0.9


def test_attention_of_the_last_position():
    net = module(num_layers=2, nhead=2).eval()
    tokens = pad_right([[2, 3, 4, 5], [6, 7]], 0)
    weights = net.attention_last(tokens)
    assert weights.shape == (2, 4)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(2))
    assert (weights[1, 2:] == 0).all()  # padding
    torch.testing.assert_close(weights[1], net.attention_last(torch.tensor([[6, 7, 0, 0]]))[0])


def test_attention_weights_of_a_fitted_transformer(fitted, second_order):
    from sklearn_seqlab.inspection import attention_weights

    weights = attention_weights(fitted, second_order[1][:3])
    assert len(weights) == 3
    assert all(np.isclose(np.sum(w), 1.0) for w in weights)


@pytest.mark.parametrize(("module", "expected"), [("lstm", 0.3), ("transformer", 0.0)])
def test_auto_dropout_is_the_modules_own(module, expected):
    X = [list("abcab"), list("bcabc"), list("cabca")] * 4
    params = dict(embedding_dim=8, hidden_dim=8, max_epochs=1, random_state=0)
    auto = NextStateClassifier(module, **params).fit(X)
    assert auto.get_params()["dropout"] == "auto"
    assert auto.net_.module_.dropout.p == expected
    fixed = NextStateClassifier(module, dropout=0.2, **params).fit(X)
    assert fixed.net_.module_.dropout.p == 0.2
