"""The count models: Markov chains that are the baselines a neural model has to beat."""

from .markov import MarkovClassifier, VariableOrderMarkovClassifier

__all__ = ["MarkovClassifier", "VariableOrderMarkovClassifier"]
