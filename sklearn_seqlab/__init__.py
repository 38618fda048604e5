"""Next-state prediction for categorical sequences, as scikit-learn estimators."""

from .baselines import MarkovClassifier, VariableOrderMarkovClassifier
from .encoding import PAD, UNK, EncodedSequences, StateEncoder
from .estimators import NextStateClassifier
from .export import export_onnx
from .hybrid import HybridClassifier
from .persistence import load_model, save_model
from .readers import read_event_log, read_seqlab_csv, read_txt, sequences_from_frame

__version__ = "0.1.0.dev0"

__all__ = [
    "PAD",
    "UNK",
    "EncodedSequences",
    "HybridClassifier",
    "MarkovClassifier",
    "NextStateClassifier",
    "StateEncoder",
    "VariableOrderMarkovClassifier",
    "__version__",
    "export_onnx",
    "load_model",
    "read_event_log",
    "read_seqlab_csv",
    "read_txt",
    "save_model",
    "sequences_from_frame",
]
