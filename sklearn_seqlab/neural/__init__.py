"""The neural next-state model: the estimator, its torch modules, batches and callbacks."""

from .._base import NonFiniteLossError
from .estimators import NextStateClassifier
from .modules import MODULES, AttentionNextState, LSTMNextState, SequenceCrossEntropy
from .training import FiniteLossGuard, LoadCheckpoint, ResumableCheckpoint
from .transformer import TransformerNextState

__all__ = [
    "MODULES",
    "AttentionNextState",
    "FiniteLossGuard",
    "LSTMNextState",
    "LoadCheckpoint",
    "NextStateClassifier",
    "NonFiniteLossError",
    "ResumableCheckpoint",
    "SequenceCrossEntropy",
    "TransformerNextState",
]
