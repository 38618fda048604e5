"""Next-state prediction for categorical sequences, as scikit-learn estimators.

The estimators, the encoder, the readers and model files are importable from here; the
subpackages group the rest by concern: :mod:`.neural` (``NextStateClassifier``, its torch
modules and callbacks), :mod:`.counts` (the Markov baselines), :mod:`.data` (readers,
generators, chord symbols, augmenters), :mod:`.experiments` (SeqLab configs, the runner, the
command line) and :mod:`.persistence` (``save_model``, ``load_model``).
"""

import sys

from . import _moved
from .counts import MarkovClassifier, VariableOrderMarkovClassifier
from .data import read_event_log, read_seqlab_csv, read_txt, sequences_from_frame
from .encoding import PAD, UNK, EncodedSequences, StateEncoder
from .export import export_onnx
from .hybrid import HybridClassifier
from .neural import NextStateClassifier
from .persistence import load_model, save_model

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

_moved.register(sys.modules[__name__])  # the old flat paths (sklearn_seqlab.neural.estimators, ...)
