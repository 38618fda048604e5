"""What every next-state classifier shares: input handling, targets, predict and score.

A subclass implements ``_fit(contexts, targets)`` and ``_predict_proba(contexts)`` on
integer codes; this base turns raw sequences or :class:`EncodedSequences` into those codes,
derives targets when ``y`` is None, and maps class indices back to states.
"""

import functools

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._fitted_checks import (
    check_array,
    check_instance,
    check_integer,
    check_real,
    check_vocabulary,
)
from ._params import Options, check_params
from ._targets import split_last, split_last_codes
from ._training_data import TrainingDataMixin
from ._validation import check_sequences, check_targets
from .encoded import N_RESERVED, NO_CLASS, EncodedSequences
from .encoding import StateEncoder


def derive_targets(X, y=None):
    """Return ``(contexts, y)``: with ``y`` None, the last state of each sequence is its target.

    Raw ``X`` is checked here, once: the contexts returned are trusted lists, which a fitted
    classifier encodes with ``_encode(contexts, checked=True)``.

    Parameters
    ----------
    X : iterable of sequences or EncodedSequences
        Sequences; with ``y`` None each needs at least 2 states.
    y : array-like of shape (n_sequences,), default=None
        Next states of the sequences in ``X``.

    Returns
    -------
    contexts : list of list or EncodedSequences
        ``X`` without its last states when ``y`` is None, else ``X`` itself (as checked lists
        when raw).
    y : list
        The target states; a target encoded as unknown is None.
    """
    encoded = isinstance(X, EncodedSequences)
    if not encoded:
        X = check_sequences(X)
    if y is not None:
        return X, check_targets(y, len(X))
    if not encoded:
        return split_last(X)
    contexts, last = split_last_codes(X)
    states = [None] * N_RESERVED + X.states.tolist()
    return contexts, [states[code] for code in last.tolist()]


def predict_proba_checked(estimator, contexts):
    """``estimator.predict_proba(contexts)`` of contexts that :func:`derive_targets` made.

    A classifier of this package encodes them without checking them again.
    """
    if not isinstance(estimator, BaseNextStateClassifier):
        return estimator.predict_proba(contexts)
    check_is_fitted(estimator)
    return estimator._predict_proba(estimator._encode(contexts, checked=True))


def next_state_accuracy(y_true, y_pred, *, sample_weight=None):
    """Fraction of next states predicted exactly (also ``sklearn_seqlab.metrics``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_sequences,)
        True and predicted states.
    sample_weight : array-like of shape (n_sequences,), default=None
        Weights of the sequences.

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from sklearn_seqlab.metrics import next_state_accuracy
    >>> next_state_accuracy(["C", "G", "F"], ["C", "G", "Am"])
    0.666...
    """
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} states but y_pred has {len(y_pred)}.")
    hits = [t == p for t, p in zip(y_true, y_pred, strict=True)]
    return float(np.average(hits, weights=sample_weight))


class NonFiniteLossError(FloatingPointError):
    """Training stopped at a NaN or infinite loss; the model holds the last good weights.

    Unlike other errors in ``fit``, this one leaves the new, partly trained model in place
    (its weights are those of the last completed epoch), as the message says.
    """


def keep_previous_on_error(method):
    """Decorate ``fit``-like methods: if they raise, the estimator is put back as it was.

    The attributes are restored as a whole, so a refit that fails anywhere (a bad parameter
    found late, a validation split that cannot be made, a net that cannot be built) leaves
    the previous model usable, and a failed first fit leaves no half-fitted estimator.
    The exception is :class:`NonFiniteLossError`, which keeps the new
    model with the weights of its last good epoch, as its message says. Objects changed in
    place are not restored: an epoch of ``partial_fit`` that fails midway has already moved
    the weights.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        previous = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except NonFiniteLossError:
            raise
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous)
            raise

    return wrapper


def _same_states(a, b):
    """Whether two vocabularies are the same states in the same order (same codes).

    ``b`` is None for a model loaded from a format-version-1 file, which did not save its
    input vocabulary: only the size can be checked then.
    """
    # a Pipeline passes its encoder's own array: the identity check makes that case free
    return a is b or b is None or (len(a) == len(b) and a.tolist() == b.tolist())


class BaseNextStateClassifier(TrainingDataMixin, ClassifierMixin, BaseEstimator):
    """Base of the estimators that predict the next state of a sequence.

    Fitted attributes set here: ``classes_``, ``encoder_`` (the :class:`StateEncoder` fitted
    on raw input, None when the input was already encoded), ``n_codes_`` (the size of the
    input vocabulary, reserved codes included), ``feature_sizes_`` (the number of codes of each
    extra input feature, see ``StateEncoder(target=...)``), ``unknown_proba_`` (the
    probability that the next state is one never seen in training, used by the log-loss and
    perplexity metrics).

    What ``fit`` derives from the data before a model trains (the vocabulary, the classes,
    the target classes, augmented copies) comes from :class:`TrainingDataMixin`.
    """

    _parameter_constraints = {"handle_unknown": [Options("use_unknown", "error")]}

    _params_before_they_existed = {}
    """Parameters added since the first release, with the value that reproduces how a model
    saved before them (a model file, a pickle) was fitted."""

    def __setstate__(self, state):
        # a pickle of an earlier version lacks the parameters added since
        super().__setstate__(self._params_before_they_existed | state)

    @keep_previous_on_error
    def fit(self, X, y=None):
        """Fit the model.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            With ``y`` None, whole sequences: each one's last state is the target and the
            rest its context (at least 2 states each). With ``y``, the contexts.
        y : array-like of shape (n_sequences,), default=None
            The state that follows each context in ``X``.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        A fit that raises leaves the estimator as it was before the call (see
        :func:`keep_previous_on_error`), except that a non-finite loss keeps the new model
        with its last good weights.
        """
        self._check_params()
        contexts, targets = self._fit_vocabulary(X, y)
        self._fit(contexts, targets)
        return self

    def predict_proba(self, X):
        """Probability of each next state.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Contexts: the state that follows the whole of each sequence is predicted.

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        return self._predict_proba(self._encode(X))

    def predict(self, X):
        """Most probable next state.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Contexts: the state that follows the whole of each sequence is predicted.

        Returns
        -------
        y_pred : ndarray of shape (n_sequences,)
            States from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y=None, sample_weight=None):
        """Next-state accuracy.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            With ``y`` None, whole sequences whose last state is the target; else contexts.
        y : array-like of shape (n_sequences,), default=None
            The true next states.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weights of the sequences.

        Returns
        -------
        score : float
            Fraction of next states predicted correctly. A true state outside ``classes_``
            always counts as a miss.
        """
        check_is_fitted(self)
        contexts, y_true = derive_targets(X, y)
        y_pred = self.classes_[np.argmax(predict_proba_checked(self, contexts), axis=1)]
        return next_state_accuracy(y_true, y_pred, sample_weight=sample_weight)

    # the code-to-class map and the input vocabulary, which save_model keeps
    _saved_private = ("_code_to_class", "_input_states")

    def _restore_derived(self):
        """Check the fitted attributes ``load_model`` set against each other; subclasses
        also rebuild what derives from them."""
        classes = check_vocabulary(self.classes_, "classes_", minimum=2)
        n_codes = check_integer(self.n_codes_, "n_codes_", N_RESERVED + 1)
        check_real(self.unknown_proba_, "unknown_proba_", 0.0, 1.0, closed=False)
        if self.encoder_ is not None:
            check_instance(self.encoder_, "encoder_", StateEncoder)
        # files of format version 1 kept no input vocabulary: only its size is checked
        for vocabulary in (getattr(self.encoder_, "states_", None), self._input_states):
            if vocabulary is not None and len(vocabulary) + N_RESERVED != n_codes:
                raise ValueError(
                    f"the vocabulary holds {len(vocabulary)} states, but n_codes_={n_codes}."
                )
        if self._input_states is not None:
            check_vocabulary(self._input_states, "_input_states")
        for size in check_instance(self.feature_sizes_, "feature_sizes_", tuple):
            check_integer(size, "feature_sizes_", N_RESERVED)
        code_to_class = check_array(self._code_to_class, "_code_to_class", (n_codes,), "i")
        if ((code_to_class < NO_CLASS) | (code_to_class >= len(classes))).any():
            raise ValueError("_code_to_class names classes that do not exist.")

    def _check_params(self):
        """Check the parameters against ``_parameter_constraints`` (see ``_params``)."""
        check_params(self)

    def _encode(self, X, checked=False):
        """Encode contexts for prediction with the vocabulary learned in ``fit``.

        ``checked``: raw ``X`` is trusted lists that :func:`derive_targets` checked.
        """
        if isinstance(X, EncodedSequences):
            if len(X.states) + N_RESERVED != self.n_codes_:
                raise ValueError(
                    f"X was encoded with a vocabulary of {len(X.states)} states, but this "
                    f"model was fitted on {self.n_codes_ - N_RESERVED}; use the same "
                    "StateEncoder (a Pipeline does this)."
                )
            if not _same_states(X.states, self._input_states):
                raise ValueError(
                    "X was encoded with another vocabulary than this model was fitted on (same "
                    "size, other states), so its codes would stand for other states; use the "
                    "same StateEncoder (a Pipeline does this)."
                )
            if X.feature_sizes != self.feature_sizes_:
                raise ValueError(
                    f"X carries extra features with {list(X.feature_sizes)} codes, but this "
                    f"model was fitted on {list(self.feature_sizes_)}; use the same "
                    "StateEncoder (a Pipeline does this)."
                )
            encoded = X
        elif self.encoder_ is None:
            raise TypeError(
                "This model was fitted on encoded sequences, so it needs input encoded by the "
                "same StateEncoder; put both in a Pipeline to pass raw sequences."
            )
        elif checked:
            encoded = self.encoder_._transform(X)
        else:
            encoded = self.encoder_.transform(X)
        short = np.flatnonzero(encoded.lengths < 1)
        if short.size:
            raise ValueError(f"X[{short[0]}] is empty; a context needs at least one state.")
        return encoded

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = False
        return tags

    def predict_top_k(self, X, k=3):
        """The ``k`` most probable next states, most probable first, with their probabilities.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Contexts: the state that follows the whole of each sequence is predicted.
        k : int, default=3
            How many states to return per sequence, at most ``len(classes_)``.

        Returns
        -------
        states : ndarray of shape (n_sequences, k)
            States from ``classes_``; ``states[:, 0]`` is what :meth:`predict` returns.
        proba : ndarray of shape (n_sequences, k)
            Their probabilities, in decreasing order (ties keep the order of ``classes_``).
        """
        from ._validation import check_size  # here, so the shared import block stays as it is

        check_is_fitted(self)
        check_size(k, "k")
        if k > len(self.classes_):
            raise ValueError(f"k={k} is more than the {len(self.classes_)} classes of this model.")
        proba = self.predict_proba(X)
        top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        return self.classes_[top], np.take_along_axis(proba, top, axis=1)
