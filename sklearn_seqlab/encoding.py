"""StateEncoder: the vocabulary of states, and the integer codes the models read.

The codes themselves (:class:`EncodedSequences`, ``PAD``, ``UNK``, ...) live in
:mod:`sklearn_seqlab.encoded` and are importable from here too.
"""

from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._fitted_checks import check_array, check_instance, check_vocabulary
from ._params import NO_CHECK, Instance, Integer, Options, Real, check_params, is_callable
from ._validation import as_state_array, check_sequences
from ._vocabulary import augmented_copies, choose_states
from .encoded import (
    N_RESERVED,
    NO_CLASS,
    PAD,
    UNK,
    EncodedSequences,
    decode_codes,
    state_codes,
)
from .features import FeatureVocabulary, derive_features, split_events

# importable from here as before the codes had a module of their own
__all__ = [
    "N_RESERVED",
    "NO_CLASS",
    "PAD",
    "UNK",
    "EncodedSequences",
    "StateEncoder",
    "state_codes",
]


class StateEncoder(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Encode sequences of categorical states as sequences of integer codes.

    The sequence counterpart of :class:`~sklearn.preprocessing.LabelEncoder`, with the
    unknown-value handling of :class:`~sklearn.preprocessing.OrdinalEncoder`. One sample is
    one sequence. Code 0 (``PAD``) is padding and code 1 (``UNK``) stands for every state
    outside the vocabulary; state ``states_[i]`` has code ``i + 2``.

    Parameters
    ----------
    handle_unknown : {"use_unknown", "error"}, default="use_unknown"
        What ``transform`` does with a state it did not see in ``fit``: map it to ``UNK``, or
        raise a ``ValueError`` that names the unseen states. States seen in ``fit`` but left out
        of the vocabulary by ``min_frequency`` or ``max_states`` always map to ``UNK``.
    min_frequency : int or float, default=None
        States seen fewer times than this (a count, or a fraction of all states when a float
        in (0, 1)) are left out of the vocabulary.
    max_states : int, default=None
        Keep at most this many states, the most frequent ones (ties broken by order).
    max_length : int, default=None
        Keep only the most recent ``max_length`` states of each sequence in ``transform``.
    split_strings : bool, default=False
        Whether a string in ``X`` is a sequence of whitespace-separated states
        (``"C G Am"``). When False a string in place of a sequence is an error.
    augment : callable, default=None
        An augmenter such as :class:`~sklearn_seqlab.data.augmentation.KeyTransposer`: called on
        the list of training sequences, it returns for each one a list of new sequences. The
        vocabulary includes the states of the copies, and :meth:`fit_transform` (what a
        ``Pipeline`` calls while fitting) attaches their codes to its output, so that the
        classifier after it trains on them too; :meth:`transform` never augments, so scored
        sequences are never augmented. Copies are of whole sequences, so ``y`` must be None.
    target : int or hashable, default=None
        None: every state is one state, a tuple too (a joint state). Otherwise each event is
        a tuple (``target`` is a position) or a mapping (``target`` is a key) of features:
        ``states_`` is the vocabulary of the target feature, the one classifiers predict, and
        every other feature gets a vocabulary of its own (``feature_states_``) and rides
        along as an extra input of the networks. Count models read the target feature alone.
    state_features : callable, default=None
        Derives extra features from each state of the target feature, for example
        :func:`sklearn_seqlab.data.chords.chord_parts` (root, quality, bass), so that a rare
        state shares what the network learns about its parts. Returns a tuple of the same
        length for every state. The derived features take the same path as the extra
        features of ``target``.

    Attributes
    ----------
    states_ : ndarray of shape (n_states,)
        The vocabulary, sorted.
    infrequent_states_ : ndarray
        States seen in ``fit`` but left out by ``min_frequency`` or ``max_states``.
    state_counts_ : ndarray of shape (n_states,)
        How often each state of ``states_`` occurred in ``fit``.
    feature_names_ : list
        Names of the other features of the events (positions or keys) with ``target``; empty
        without it.
    feature_states_ : list of ndarray
        The vocabulary of each extra feature: those named in ``feature_names_``, then those
        of ``state_features``. Value ``feature_states_[f][i]`` has code ``i + 2``; a value
        not seen in ``fit`` is ``UNK``.

    See Also
    --------
    NextStateClassifier : Predicts the next state from encoded or raw sequences.

    Examples
    --------
    >>> from sklearn_seqlab import StateEncoder
    >>> enc = StateEncoder().fit([["C", "G", "C"], ["Am", "F"]])
    >>> enc.states_
    array(['Am', 'C', 'F', 'G'], dtype=object)
    >>> enc.transform([["C", "F", "Bb"]])[0]
    array([3, 4, 1])
    >>> enc.inverse_transform([[3, 4, 1]])
    [['C', 'F', None]]
    """

    def __init__(
        self,
        *,
        handle_unknown="use_unknown",
        min_frequency=None,
        max_states=None,
        max_length=None,
        split_strings=False,
        augment=None,
        target=None,
        state_features=None,
    ):
        self.handle_unknown = handle_unknown
        self.min_frequency = min_frequency
        self.max_states = max_states
        self.max_length = max_length
        self.split_strings = split_strings
        self.augment = augment
        self.target = target
        self.state_features = state_features

    def fit(self, X, y=None):
        """Learn the vocabulary of states.

        Parameters
        ----------
        X : iterable of sequences
            Sequences of hashable states.
        y : None
            Ignored.

        Returns
        -------
        self : StateEncoder
        """
        self._check_params()
        self._fit(*self._columns(X))
        return self

    def fit_transform(self, X, y=None):
        """Learn the vocabulary and encode ``X``, with the augmented copies attached.

        Parameters
        ----------
        X : iterable of sequences
            Sequences of hashable states.
        y : None
            Must be None when ``augment`` is set (copies are of whole sequences).

        Returns
        -------
        Xt : EncodedSequences
            As :meth:`transform` returns, plus, with ``augment``, the codes of each
            sequence's copies in ``Xt.augmented``.
        """
        self._check_params()
        if self.augment is not None and y is not None:
            raise ValueError(
                "augment makes copies of whole sequences, so it needs y=None (each "
                "sequence's last state is then its target); got y as well."
            )
        return self._fit_transform(*self._columns(X))

    def _fit_transform(self, sequences, extra=(), names=()):
        """:meth:`fit_transform` of trusted lists, which ``X`` was checked into once."""
        copies = self._fit(sequences, extra, names)
        encoded = self._transform(sequences, extra)
        if self.augment is not None:
            encoded.augmented = [self._transform(c).codes if c else [] for c in copies]
        return encoded

    def _columns(self, X):
        """Trusted lists of the target feature's states, and of each other event feature."""
        if self.target is None:
            return check_sequences(X, split_strings=self.split_strings), [], []
        names, sequences, extra = split_events(X, self.target)
        return sequences, extra, names

    def _fit(self, sequences, extra=(), names=()):
        """Learn the vocabularies from trusted lists of states (and of extra features), with
        the augmenter's copies; return the copies of each sequence."""
        copies = augmented_copies(self.augment, sequences)
        self._learn(sequences + [c for seq_copies in copies for c in seq_copies], extra, names)
        return copies

    def _learn(self, sequences, extra, names):
        """Learn the vocabularies from every trusted sequence, copies included."""
        states, freq, keep = choose_states(
            Counter(state for seq in sequences for state in seq),
            self.min_frequency,
            self.max_states,
        )
        # extra features: those of the events, then those derived from the states
        extra = list(extra)
        if self.state_features is not None:
            extra += derive_features(sequences, self.state_features)
        # set only once everything is checked, so a failed refit leaves the encoder as it was
        self.states_ = as_state_array(states[keep].tolist())
        self.infrequent_states_ = as_state_array(states[~keep].tolist())
        self.state_counts_ = freq[keep]
        self.feature_names_ = list(names)
        self.feature_states_ = [FeatureVocabulary.learn(col).values for col in extra]
        self._index_vocabulary()

    # the lookups of transform: never saved by save_model, rebuilt by _restore_derived
    _derived_attributes = ("_codes", "_infrequent", "_feature_vocabularies")

    def _restore_derived(self):
        """Check the fitted attributes ``load_model`` set, and rebuild the lookups."""
        check_vocabulary(self.states_, "states_", minimum=1)
        check_vocabulary(self.infrequent_states_, "infrequent_states_")
        counts = check_array(self.state_counts_, "state_counts_", (len(self.states_),), "iu")
        if (counts < 1).any():
            raise ValueError("state_counts_ must be positive.")
        names = check_instance(self.feature_names_, "feature_names_", list)
        vocabularies = check_instance(self.feature_states_, "feature_states_", list)
        for vocabulary in vocabularies:
            check_vocabulary(vocabulary, "feature_states_")
        # derived features (state_features) come after the events' own named ones
        expected = len(names) if self.state_features is None else None
        if len(vocabularies) < len(names) or expected not in (None, len(vocabularies)):
            raise ValueError("feature_states_ do not match the encoder's features.")
        self._index_vocabulary()

    def _index_vocabulary(self):
        """Build the lookups ``transform`` uses from ``states_`` and ``infrequent_states_``."""
        self._codes = {s: i + N_RESERVED for i, s in enumerate(self.states_.tolist())}
        self._infrequent = set(self.infrequent_states_.tolist())
        self._feature_vocabularies = [FeatureVocabulary(v) for v in self.feature_states_]

    _parameter_constraints = {
        "handle_unknown": [Options("use_unknown", "error")],
        "min_frequency": [Integer(1), Real(0.0, 1.0), None],
        "max_states": [Integer(1), None],
        "max_length": [Integer(1), None],
        "split_strings": [Options(True, False)],
        "augment": [
            Instance(
                is_callable,
                "a callable that returns copies of sequences (such as KeyTransposer())",
            ),
            None,
        ],
        "target": NO_CHECK,  # a feature's index or name: only the events can tell
        "state_features": [
            Instance(
                is_callable,
                "a callable that maps a state to a tuple of features (such as chord_parts)",
            ),
            None,
        ],
    }

    def _check_params(self):
        check_params(self)
        if self.target is not None and self.augment is not None:
            raise ValueError(
                "augment works on sequences of single states; it cannot be combined with "
                "target (events of several features)."
            )

    def transform(self, X):
        """Encode sequences as integer codes.

        Parameters
        ----------
        X : iterable of sequences
            Sequences of hashable states.

        Returns
        -------
        Xt : EncodedSequences
            One array of codes per sequence, with the vocabulary attached.
        """
        check_is_fitted(self)
        sequences, extra, names = self._columns(X)
        fitted = self.feature_names_
        if names != fitted:
            raise ValueError(
                f"The events of X have the features {names} besides the target, but the "
                f"encoder was fitted on events with {fitted}."
            )
        return self._transform(sequences, extra)

    def _transform(self, sequences, extra=()):
        """Encode trusted lists of states (and of the extra event features)."""
        codes = self._codes
        if self.handle_unknown == "error":
            unseen = {
                s for seq in sequences for s in seq if s not in codes and s not in self._infrequent
            }
            if unseen:
                shown = sorted(map(repr, unseen))[:10]
                raise ValueError(
                    f"Found {len(unseen)} previously unseen state(s) in X: "
                    f"{', '.join(shown)}{' ...' if len(unseen) > 10 else ''}. Refit the encoder "
                    "on data that holds them, or use handle_unknown='use_unknown'."
                )
        start = -self.max_length if self.max_length is not None else None
        encoded = [
            np.fromiter((codes.get(s, UNK) for s in seq[start:]), dtype=np.int64)
            for seq in sequences
        ]
        vocabularies = self._feature_vocabularies
        if not vocabularies:
            return EncodedSequences(encoded, self.states_)
        columns = list(extra)
        if self.state_features is not None:
            columns += derive_features(sequences, self.state_features)
        pairs = list(zip(vocabularies, columns, strict=True))
        encoded = [
            np.column_stack([state, *(v.encode(col[i][start:]) for v, col in pairs)])
            for i, state in enumerate(encoded)
        ]
        return EncodedSequences(encoded, self.states_, feature_sizes=map(len, vocabularies))

    def inverse_transform(self, X):
        """Turn integer codes back into states.

        Parameters
        ----------
        X : EncodedSequences or iterable of sequences of int
            Codes as made by :meth:`transform`.

        Returns
        -------
        sequences : list of list
            The states (of the predicted feature, with ``target``); ``UNK`` becomes None and
            padding is dropped.
        """
        check_is_fitted(self)
        if isinstance(X, EncodedSequences):  # of events: the predicted feature's codes
            X = [state_codes(c) for c in X.codes]
        return decode_codes(check_sequences(X), self.states_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = []
        return tags
