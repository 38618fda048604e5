"""The first-order Markov chain, and what the count models share (drawing continuations).

The count models (this one and :class:`~sklearn_seqlab.VariableOrderMarkovClassifier`) are
the baselines a neural model has to beat. Both learn from every position of every
training sequence (the context ``codes[:t]`` followed by ``codes[t]``), not only from the
last state, and both predict the most probable next state; drawing a continuation at random
is what :meth:`sample` is for.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._base import BaseNextStateClassifier
from .._fitted_checks import check_array, check_matrix
from .._params import Real
from .._targets import next_classes
from .._validation import check_size
from ..encoding import NO_CLASS, PAD, UNK, EncodedSequences

_START = PAD
"""Marks the start of a sequence inside a context tuple; PAD never stands for a state."""

_CHUNK = 4096
"""Rows of ``predict_proba`` built at once, which bounds the dense temporaries."""


class _BaseCountClassifier(BaseNextStateClassifier):
    """What the count models share: drawing continuations from ``predict_proba``."""

    def sample(self, X, n_steps=1, *, random_state=None):
        """Draw continuations of each context, one state after another.

        Each state is drawn from :meth:`predict_proba` given the context and the states
        drawn so far, the way SeqLab generates sequences; :meth:`predict` instead returns the
        single most probable next state.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Contexts to continue.
        n_steps : int, default=1
            Number of states to draw after each context.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.

        Returns
        -------
        continuations : list of list
            For each context, the ``n_steps`` states drawn, all from ``classes_``.
        """
        check_is_fitted(self)
        check_size(n_steps, "n_steps")
        rng = check_random_state(random_state)
        encoded = self._encode(X).state_only()
        # a class absent from the input vocabulary (possible when y was given with encoded
        # X) continues the context as an unknown state
        class_to_code = np.full(len(self.classes_), UNK, dtype=np.int64)
        is_class = self._code_to_class != NO_CLASS
        class_to_code[self._code_to_class[is_class]] = np.flatnonzero(is_class)

        codes = list(encoded.codes)
        drawn = np.empty((len(codes), n_steps), dtype=np.int64)
        for step in range(n_steps):
            proba = self._predict_proba(EncodedSequences(codes, encoded.states))
            cdf = np.cumsum(proba, axis=1)
            u = rng.random_sample(len(codes)) * cdf[:, -1]
            # rounding can leave u past the last cumulative value; clip to the last class
            picks = np.minimum((cdf <= u[:, None]).sum(axis=1), len(self.classes_) - 1)
            drawn[:, step] = picks
            next_codes = class_to_code[picks]
            codes = [np.append(c, n) for c, n in zip(codes, next_codes, strict=True)]
        return [self.classes_[row].tolist() for row in drawn]


class MarkovClassifier(_BaseCountClassifier):
    """First-order Markov chain that predicts the most probable next state.

    The next state is predicted from the last state of the context alone, with additive
    (Laplace, or Lidstone for ``alpha`` other than 1) smoothing of the transition counts.
    A last state without transitions to learn from (unknown, or never followed by a state in
    training) backs off to the unigram distribution of next states. Every position of the
    training sequences counts as a transition, not only the last.

    Parameters
    ----------
    alpha : float, default=1.0
        Additive smoothing: pseudo-count added to every transition count. 0 gives the
        maximum-likelihood estimate.
    handle_unknown : {"use_unknown", "error"}, default="use_unknown"
        What to do with a state at prediction time that was not seen in ``fit``: treat it as
        unknown (a context ending in one gets the unigram distribution), or raise a
        ``ValueError`` naming it. Only applies to raw sequences; already encoded input
        carries its own unknown codes.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The states that can be predicted.
    encoder_ : StateEncoder or None
        The encoder fitted on raw input; None when ``fit`` got :class:`EncodedSequences`.
    n_codes_ : int
        Size of the input vocabulary, reserved codes included.
    unknown_proba_ : float
        Probability that the next state is one never seen in training (a Good-Turing
        estimate); log-loss and perplexity give it to such states.
    transition_counts_ : scipy.sparse.csr_matrix of shape (n_codes_, n_classes)
        ``transition_counts_[c, j]``: how often state ``classes_[j]`` followed the state of
        code ``c`` in the training sequences. The rows of the reserved codes are empty.
    unigram_counts_ : ndarray of shape (n_classes,)
        How often each state of ``classes_`` followed any context.

    See Also
    --------
    VariableOrderMarkovClassifier : Interpolates the last several states; more accurate.
    StateEncoder : Encodes sequences for this model inside a pipeline.

    Examples
    --------
    >>> from sklearn_seqlab.counts import MarkovClassifier
    >>> X = [["C", "G", "C", "G"], ["G", "C", "G", "C", "G"], ["C", "G", "C"]]
    >>> clf = MarkovClassifier().fit(X)
    >>> clf.classes_
    array(['C', 'G'], dtype=object)
    >>> clf.predict([["G", "C"], ["C", "G"]])
    array(['G', 'C'], dtype=object)
    >>> clf.sample([["C"]], n_steps=4, random_state=0)
    [['G', 'C', 'G', 'C']]
    """

    _parameter_constraints = {
        **BaseNextStateClassifier._parameter_constraints,
        "alpha": [Real(0.0, np.inf, closed="left")],
    }

    def __init__(self, *, alpha=1.0, handle_unknown="use_unknown"):
        self.alpha = alpha
        self.handle_unknown = handle_unknown

    def _restore_derived(self):
        super()._restore_derived()
        n_classes = len(self.classes_)
        check_matrix(self.transition_counts_, "transition_counts_", (self.n_codes_, n_classes))
        check_array(self.unigram_counts_, "unigram_counts_", (n_classes,), "f", nonnegative=True)

    def _fit(self, contexts, targets):
        contexts, targets = self._with_copies(contexts.state_only(), targets)
        n_classes = len(self.classes_)
        # every state of a context, and the class that follows it (NO_CLASS: no column)
        prev = np.concatenate(contexts.codes)
        nxt, _ = next_classes(contexts, targets, self._code_to_class)
        counted = nxt != NO_CLASS
        self.unigram_counts_ = np.bincount(nxt[counted], minlength=n_classes).astype(np.float64)
        # an unknown state stands for many states: its transitions say nothing of any one
        counted &= prev != UNK
        self.transition_counts_ = sparse.csr_matrix(
            (np.ones(counted.sum()), (prev[counted], nxt[counted])),
            shape=(self.n_codes_, n_classes),
        )
        self.transition_counts_.sum_duplicates()

    def _predict_proba(self, contexts):
        contexts = contexts.state_only()
        n_classes = len(self.classes_)
        unigram = self.unigram_counts_ + self.alpha
        total = unigram.sum()
        unigram = unigram / total if total > 0 else np.full(n_classes, 1.0 / n_classes)
        last = np.fromiter((c[-1] for c in contexts.codes), dtype=np.int64, count=len(contexts))
        proba = np.empty((len(last), n_classes))
        for start in range(0, len(last), _CHUNK):
            rows = self.transition_counts_[last[start : start + _CHUNK]].toarray()
            seen = rows.sum(axis=1) > 0
            rows += self.alpha
            totals = rows.sum(axis=1, keepdims=True)
            np.divide(rows, totals, out=rows, where=totals > 0)
            # an empty row (unknown state, or one never followed in training) holds no
            # evidence; the unigram guesses better than a uniform row's first class
            rows[~seen] = unigram
            proba[start : start + _CHUNK] = rows
        return proba
