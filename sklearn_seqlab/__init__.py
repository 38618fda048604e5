"""Next-state prediction for categorical sequences, as scikit-learn estimators."""

from .encoding import PAD, UNK, EncodedSequences, StateEncoder
from .estimators import NextStateClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "PAD",
    "UNK",
    "EncodedSequences",
    "NextStateClassifier",
    "StateEncoder",
    "__version__",
]
