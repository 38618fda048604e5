import pytest
import torch

from sklearn_seqlab.batching import LengthBucketBatchSampler, pad_right
from sklearn_seqlab.encoding import NO_CLASS
from sklearn_seqlab.modules import MODULES, SequenceCrossEntropy

ROWS = [[2, 3, 4, 5, 6, 7], [3, 4], [5]]


# codes 2-7 are classes 0-5; padding and the unknown code are none
CODE_CLASSES = [NO_CLASS, NO_CLASS, 0, 1, 2, 3, 4, 5]


@pytest.fixture(params=[(name, slots) for name in sorted(MODULES) for slots in (0, 3)])
def module(request):
    """Each module, without and with repetition slots, whose output reads the input too."""
    name, slots = request.param
    torch.manual_seed(0)
    return MODULES[name](
        n_codes=8,
        n_classes=6,
        embedding_dim=8,
        hidden_dim=8,
        repetition_slots=slots,
        code_classes=CODE_CLASSES,
    ).eval()


def test_last_readout_equals_every_position_readout(module):
    tokens = pad_right(ROWS, 0)
    every = module(tokens)  # (B, T, C)
    last = module.forward_last(tokens)  # (B, C)
    for i, row in enumerate(ROWS):
        torch.testing.assert_close(last[i], every[i, len(row) - 1])


def test_padding_is_never_read(module):
    """A sequence scores the same alone, and beside a much longer one (more padding)."""
    alone = module.forward_last(pad_right([ROWS[1]], 0))
    padded = module.forward_last(pad_right([ROWS[1], list(range(2, 8)) * 10], 0))
    torch.testing.assert_close(alone[0], padded[0])


def test_positions_do_not_see_the_future(module):
    """Changing a later state leaves the logits of earlier positions unchanged."""
    # the later state is the third distinct one: a slot that pointed at it early would leak
    a = module(torch.tensor([[2, 3, 2, 5]]))
    b = module(torch.tensor([[2, 3, 2, 7]]))
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3], b[:, 3])


def test_loss_ignores_positions_without_target():
    logits = torch.randn(2, 3, 4)
    targets = torch.tensor([[1, NO_CLASS, 2], [NO_CLASS, NO_CLASS, 0]])
    loss = SequenceCrossEntropy()(logits, targets)
    expected = torch.nn.functional.cross_entropy(
        torch.stack([logits[0, 0], logits[0, 2], logits[1, 2]]), torch.tensor([1, 2, 0])
    )
    torch.testing.assert_close(loss, expected)
    empty = SequenceCrossEntropy()(logits.requires_grad_(), torch.full((2, 3), NO_CLASS))
    assert empty.item() == 0.0
    empty.backward()


def test_bucket_sampler_groups_similar_lengths():
    lengths = [1, 50, 2, 49, 3, 48]
    batches = list(LengthBucketBatchSampler(lengths, batch_size=3))
    assert sorted(map(sorted, batches)) == [[0, 2, 4], [1, 3, 5]]
    torch.manual_seed(0)
    shuffled = list(LengthBucketBatchSampler(lengths, batch_size=3, shuffle=True))
    assert sorted(map(sorted, shuffled)) == [[0, 2, 4], [1, 3, 5]]
