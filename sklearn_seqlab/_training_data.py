"""What ``fit`` derives from the data before any model trains on it.

The vocabulary and the classes, the class index of every target, the chance of a state never
seen, and the augmented copies added to the training data: shared by every next-state
classifier through :class:`~sklearn_seqlab._base.BaseNextStateClassifier`.
"""

import numpy as np

from ._targets import next_classes, split_last_codes
from ._validation import check_sequences, check_targets, sorted_states
from .encoded import N_RESERVED, NO_CLASS, EncodedSequences
from .encoding import StateEncoder


class TrainingDataMixin:
    """Turns raw or encoded ``X`` (and ``y``) into the codes and target classes of a fit.

    Reads the estimator's ``handle_unknown``; sets ``encoder_``, ``n_codes_``, ``classes_``,
    ``feature_sizes_``, ``unknown_proba_``, ``_code_to_class`` and ``_input_states``.
    """

    def _fit_vocabulary(self, X, y, checked=False):
        """Learn ``classes_`` and the encoder; return contexts and target class indices.

        ``checked``: raw ``X`` is trusted lists that :meth:`_check_fit_input` returned.
        Sets attributes: callers restore them when a later step fails (``fit`` does).
        """
        if isinstance(X, EncodedSequences):
            encoder, encoded = None, X
        else:
            sequences = X if checked else self._check_fit_input(X, y)
            encoder = StateEncoder(handle_unknown=self.handle_unknown)
            encoded = encoder._fit_transform(sequences)
        n_codes = len(encoded.states) + N_RESERVED

        if y is None:
            contexts, last = split_last_codes(encoded)
            classes = encoded.states
            code_to_class = np.arange(n_codes, dtype=np.int64) - N_RESERVED
            code_to_class[:N_RESERVED] = NO_CLASS
            targets = code_to_class[last]
        else:
            contexts = encoded
            if contexts.augmented is not None:
                raise ValueError(
                    "X carries augmented copies of whole sequences, which need y=None; "
                    "with y given, use a StateEncoder without augment."
                )
            short = np.flatnonzero(contexts.lengths < 1)
            if short.size:
                raise ValueError(f"X[{short[0]}] is empty; every context needs a state.")
            y = check_targets(y, len(contexts))
            classes = sorted_states(set(y))
            index = {s: i for i, s in enumerate(classes.tolist())}
            targets = np.array([index[s] for s in y], dtype=np.int64)
            code_to_class = np.array(
                [NO_CLASS] * N_RESERVED + [index.get(s, NO_CLASS) for s in encoded.states.tolist()],
                dtype=np.int64,
            )
        if len(classes) < 2:
            raise ValueError(
                f"Only 1 class: one state ({classes[0]!r}) follows every context in the "
                "training data; a classifier needs at least 2 next states to choose from."
            )
        self.encoder_, self.n_codes_, self.classes_ = encoder, n_codes, classes
        self.feature_sizes_ = encoded.feature_sizes
        self._code_to_class = code_to_class
        # the vocabulary the codes stand for: input coded by another encoder is refused
        self._input_states = encoded.states
        self.unknown_proba_ = self._estimate_unknown_proba(contexts, targets, derived=y is None)
        return contexts, targets

    @staticmethod
    def _check_fit_input(X, y):
        """Raw training sequences as checked lists (read once: ``X`` may be a generator)."""
        return check_sequences(X, min_length=1 if y is not None else 0)

    def _estimate_unknown_proba(self, contexts, targets, derived):
        """Good-Turing estimate of the chance that the next state is one never seen.

        The next states of the training data that occur once, plus those outside
        ``classes_`` (unknown or too rare), over all next states. Add-one on both outcomes
        (novel, known) keeps it strictly inside (0, 1), even when every next state is new,
        so log-loss and perplexity stay finite. With ``y`` derived every position's next
        state counts, else only the targets.
        """
        events = targets
        if derived:
            events, _ = next_classes(contexts, targets, self._code_to_class)
        known = events[events != NO_CLASS]
        singletons = np.count_nonzero(np.bincount(known, minlength=len(self.classes_)) == 1)
        novel = singletons + (len(events) - len(known))
        return float((novel + 1) / (len(events) + 2))

    def _copies_of(self, contexts, rows):
        """Contexts and target classes of the augmented copies of the sequences ``rows``.

        Copies are whole sequences (see ``StateEncoder(augment=...)``): each one's last state
        is its target. Returns None when ``contexts`` carries no copies.
        """
        if contexts.augmented is None:
            return None
        copies = [c for i in rows for c in contexts.augmented[i] if len(c) >= 2]
        if not copies:
            return None
        copies, last = split_last_codes(contexts.with_codes(copies))
        return copies, self._code_to_class[last]

    def _with_copies(self, contexts, targets, rows=None):
        """The contexts and targets of ``rows`` (all by default), followed by those of their
        augmented copies: the training data of a fit."""
        rows = np.arange(len(contexts)) if rows is None else rows
        kept, kept_targets = contexts[rows], targets[rows]
        extra = self._copies_of(contexts, rows)
        if extra is None:
            return kept, kept_targets
        codes = kept.codes + extra[0].codes
        return contexts.with_codes(codes), np.concatenate([kept_targets, extra[1]])
