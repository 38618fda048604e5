"""Length-bucketed batches: padding trimmed to the longest sequence of each batch.

On CPU the LSTM's arithmetic is the cost, so batches of similar lengths (little padding)
train about twice as fast as random batches, and faster than ``pack_padded_sequence``
(see shared measurements in the benchmarks README). Functions here are module-level so
that a fitted skorch net holding them can be pickled.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..encoding import NO_CLASS, PAD


def state_tokens(tokens):
    """The state codes of a batch: tokens (B, T) as they are, or column 0 of (B, T, 1 + F)
    tokens whose events carry extra features."""
    return tokens if tokens.dim() == 2 else tokens[..., 0]


class SequenceDataset(Dataset):
    """Pairs of (input codes, target class per position), one pair per sequence.

    Parameters
    ----------
    inputs : list of ndarray of int64
        Codes read by the model.
    targets : list of ndarray of int64
        For each input position, the class to predict there, or ``NO_CLASS``.
    """

    def __init__(self, inputs, targets):
        self.inputs = inputs
        self.targets = targets
        self.lengths = np.fromiter((len(x) for x in inputs), dtype=np.int64, count=len(inputs))

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, i):
        return self.inputs[i], self.targets[i]


def pad_right(rows, value):
    """Stack integer arrays of shape (T,) or (T, F) into a (B, T) or (B, T, F) tensor,
    right-padded with ``value``."""
    shape = (len(rows), max(len(r) for r in rows), *np.shape(rows[0])[1:])
    out = np.full(shape, value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return torch.from_numpy(out)


def pad_collate(batch):
    """Collate ``(inputs, targets)`` pairs into right-padded (B, T) tensors."""
    inputs, targets = zip(*batch, strict=True)
    return pad_right(inputs, PAD), pad_right(targets, NO_CLASS)


class LengthBucketBatchSampler(Sampler):
    """Batches of indices whose sequences have similar lengths.

    With ``shuffle``, ties in length are broken at random and the batch order is shuffled
    each epoch, from torch's random generator (seeded by the estimator).

    Parameters
    ----------
    lengths : ndarray of shape (n_sequences,)
        Length of each sequence.
    batch_size : int
        Sequences per batch.
    shuffle : bool, default=False
        Whether to randomise batch composition and order.
    """

    def __init__(self, lengths, batch_size, shuffle=False):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __iter__(self):
        n = len(self.lengths)
        if self.shuffle:
            jitter = torch.rand(n, dtype=torch.float64).numpy()
            order = np.lexsort((jitter, self.lengths))
        else:
            order = np.argsort(self.lengths, kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches)).tolist()]
        return iter(b.tolist() for b in batches)

    def __len__(self):
        return -(-len(self.lengths) // self.batch_size)


def bucket_iterator(dataset, batch_size, shuffle=False):
    """A ``DataLoader`` of length-bucketed, right-padded batches (skorch's ``iterator_*``)."""
    sampler = LengthBucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=pad_collate)
