"""The count models: Markov chains that are the baselines a neural model has to beat."""

from .markov import MarkovClassifier
from .variable_order import VariableOrderMarkovClassifier

__all__ = ["MarkovClassifier", "VariableOrderMarkovClassifier"]
