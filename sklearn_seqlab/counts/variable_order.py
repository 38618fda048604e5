"""The variable-order Markov chain: interpolated back-off over the last states of a context.

Kneser-Ney or Witten-Bell smoothing over contexts of length ``max_order`` down to 0, learned,
like :class:`~sklearn_seqlab.MarkovClassifier`, from every position of every training
sequence.
"""

import copy

import numpy as np
from scipy import sparse
from sklearn.exceptions import NotFittedError

from .._base import BaseNextStateClassifier
from .._fitted_checks import check_array, check_instance, check_matrix
from .._params import Integer, Options, Real
from .._targets import next_classes
from ..encoding import UNK
from .cache import mix_caches, sequence_caches
from .markov import _CHUNK, _START, _BaseCountClassifier
from .ngram_counts import count_ngrams
from .repetition import mix_repetition, repetition_proba, repetition_sequences


class VariableOrderMarkovClassifier(_BaseCountClassifier):
    """Interpolated back-off n-gram model over the last states of the context.

    The next-state distribution after the last ``max_order`` states is interpolated with the
    distributions after the last ``max_order - 1``, ..., 1 states and the unigram, in the
    manner of Kneser-Ney or Witten-Bell smoothing for language models (Chen and Goodman
    1998). The start of a sequence acts as a state of its own, so a short context is told
    apart from the end of a longer one. An unknown state inside the context cuts it: only
    the states after the last unknown one are used. Every position of the training
    sequences is an example.

    Parameters
    ----------
    max_order : int, default=3
        Largest number of previous states the prediction conditions on.
    method : {"kneser_ney", "witten_bell"}, default="kneser_ney"
        Smoothing. ``"kneser_ney"``: interpolated Kneser-Ney, whose lower orders count in
        how many distinct contexts a state follows rather than how often.
        ``"witten_bell"``: interpolated Witten-Bell, which gives the lower order the weight
        of the number of distinct states seen after the context.
    discount : "auto" or float, default="auto"
        Kneser-Ney discount. ``"auto"`` estimates three discounts per order, for counts of
        1, 2 and 3 or more, from the counts of counts (modified Kneser-Ney); a float in
        (0, 1] subtracts that amount from every count. Ignored by Witten-Bell.
    cache_weight : float in [0, 1), default=0.0
        Weight of a cache of the context's own states mixed into the prediction
        (:mod:`sklearn_seqlab.counts.cache`): sequences that return to their recent states,
        such as chord progressions, are predicted better (on McGill's phrases 0.2 gains
        about 0.03 accuracy, ``benchmarks/README.md``). 0 is plain back-off smoothing.
    cache_decay : float in (0, 1], default=0.7
        How fast the cache forgets: a state ``d`` positions before the last weighs
        ``cache_decay ** d``.
    cache_order : int, default=1
        1 caches the context's states. ``n > 1`` also mixes in, each with ``cache_weight``
        and one after the other, what followed the context's last 1, ..., ``n - 1`` states
        where they occurred earlier in it: songs repeat their progressions. On the chord
        corpora's inner splits ``cache_weight=0.2, cache_order=3`` gained 0.05 to 0.22
        accuracy on the cache of states alone; on Helpdesk's cases it cost accuracy
        (``benchmarks/README.md``, fifteenth round). Ignored when ``cache_weight`` is 0.
    repetition_weight : float in [0, 1), default=0.0
        Weight of the repetition model mixed into the prediction, after the cache
        (:mod:`sklearn_seqlab.counts.repetition`): a Kneser-Ney model of the order in which
        a sequence's states first occur and come back (``C G Am F C G`` reads ``0 1 2 3 0
        1``), learned on every training sequence, predicts whether the next state repeats
        one of the context's or is new. It learns how songs return to their chords where
        the cache assumes it. 0 leaves it out.
    repetition_order : int, default=5
        Largest number of previous indices the repetition model conditions on. Ignored
        when ``repetition_weight`` is 0.
    handle_unknown : {"use_unknown", "error"}, default="use_unknown"
        What to do with a state at prediction time that was not seen in ``fit``: treat it as
        unknown (the context is cut after it), or raise a ``ValueError`` naming it. Only
        applies to raw sequences; already encoded input carries its own unknown codes.

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
    contexts_ : list of dict
        ``contexts_[k]`` maps each context of ``k`` states seen in training, a tuple of
        codes, to its row in ``counts_[k]``. Code 0 at the front of a tuple marks the start
        of a sequence. ``contexts_[0]`` holds the empty context only.
    counts_ : list of scipy.sparse.csr_matrix
        ``counts_[k][i, j]``: how often state ``classes_[j]`` followed the ``i``-th context
        of ``k`` states.
    discounts_ : ndarray of shape (max_order + 1, 3) or None
        Kneser-Ney discounts of counts of 1, 2 and 3 or more, per order; None with
        Witten-Bell.
    repetition_model_ : VariableOrderMarkovClassifier or None
        The repetition model, fitted on the first-occurrence indices of the training
        sequences; None when ``repetition_weight`` is 0.

    See Also
    --------
    MarkovClassifier : Conditions on the last state only.
    StateEncoder : Encodes sequences for this model inside a pipeline.

    Examples
    --------
    >>> from sklearn_seqlab.counts import VariableOrderMarkovClassifier
    >>> X = [["C", "C", "G", "C", "C", "G"], ["G", "C", "C", "G", "C"]]
    >>> clf = VariableOrderMarkovClassifier(max_order=2).fit(X)
    >>> clf.predict([["C", "C"], ["G", "C"]])
    array(['G', 'C'], dtype=object)
    """

    _parameter_constraints = {
        **BaseNextStateClassifier._parameter_constraints,
        "max_order": [Integer(1)],
        "method": [Options("kneser_ney", "witten_bell")],
        "discount": [Options("auto"), Real(0.0, 1.0, closed="right")],
        "cache_weight": [Real(0.0, 1.0, closed="left")],
        "cache_decay": [Real(0.0, 1.0, closed="right")],
        "cache_order": [Integer(1)],
        "repetition_weight": [Real(0.0, 1.0, closed="left")],
        "repetition_order": [Integer(1)],
    }

    def __init__(
        self,
        *,
        max_order=3,
        method="kneser_ney",
        discount="auto",
        cache_weight=0.0,
        cache_decay=0.7,
        cache_order=1,
        repetition_weight=0.0,
        repetition_order=5,
        handle_unknown="use_unknown",
    ):
        self.max_order = max_order
        self.method = method
        self.discount = discount
        self.cache_weight = cache_weight
        self.cache_decay = cache_decay
        self.cache_order = cache_order
        self.repetition_weight = repetition_weight
        self.repetition_order = repetition_order
        self.handle_unknown = handle_unknown

    _params_before_they_existed = {
        "cache_order": 1,
        "repetition_weight": 0.0,
        "repetition_order": 5,
    }

    # the smoothed tables: Kneser-Ney's continuation counts they come from are not kept
    _saved_private = ("_tables", "_unigram")

    def _restore_derived(self):
        super()._restore_derived()
        repetition = getattr(self, "repetition_model_", None)  # None in files saved before
        if (repetition is None) is (self.repetition_weight > 0):
            raise ValueError("repetition_model_ is set exactly when repetition_weight > 0.")
        if repetition is not None:  # a model node of its own: loading restored it already
            check_instance(repetition, "repetition_model_", VariableOrderMarkovClassifier)
        self.repetition_model_ = repetition
        n_classes, n_orders = len(self.classes_), self.max_order + 1
        if (self.discounts_ is None) is (self.method == "kneser_ney"):
            raise ValueError("discounts_ are set exactly when method is 'kneser_ney'.")
        if self.discounts_ is not None:
            check_array(self.discounts_, "discounts_", (n_orders, 3), "f", nonnegative=True)
        check_array(self._unigram, "_unigram", (n_classes,), "f", nonnegative=True)
        for name in ("contexts_", "counts_", "_tables"):
            if len(check_instance(getattr(self, name), name, list)) != n_orders:
                raise ValueError(f"{name} must hold one entry per order, {n_orders}.")
        for k, (index, table) in enumerate(zip(self.contexts_, self._tables, strict=True)):
            rows = len(check_instance(index, f"contexts_[{k}]", dict))
            try:  # in arrays: a model holds millions of contexts
                codes = np.array(list(index), dtype=np.int64).reshape(rows, k)
                numbers = np.sort(np.fromiter(index.values(), dtype=np.int64, count=rows))
            except (TypeError, ValueError):
                raise ValueError(f"contexts_[{k}] must map tuples of {k} codes to rows.") from None
            if ((codes < 0) | (codes >= self.n_codes_)).any() or (numbers != np.arange(rows)).any():
                raise ValueError(f"contexts_[{k}] holds codes outside the vocabulary.")
            check_matrix(self.counts_[k], f"counts_[{k}]", (rows, n_classes))
            if not (isinstance(table, tuple) and len(table) == 2):
                raise ValueError(f"_tables[{k}] must be a (probabilities, back-off) pair.")
            check_matrix(table[0], f"_tables[{k}][0]", (rows, n_classes), at_most=1.0)
            backoff = check_array(table[1], f"_tables[{k}][1]", (rows,), "f", nonnegative=True)
            if (backoff > 1).any():
                raise ValueError(f"_tables[{k}][1] holds back-off weights above 1.")

    def _window(self, codes, t):
        """The usable context before position ``t``, as ``(window, cut)``.

        The window holds the last ``max_order`` states, preceded by the start marker when
        the sequence starts within reach. ``cut`` is the length of the suffix after the last
        unknown state, the longest context that may be looked up.
        """
        start = t - self.max_order
        window = tuple(codes[start:t]) if start >= 0 else (_START, *codes[:t])
        cut = len(window)
        if UNK not in window:  # most windows: spared the scan below
            return window, cut
        for i in range(len(window) - 1, -1, -1):
            if window[i] == UNK:
                cut = len(window) - 1 - i
                break
        return window, cut

    def _fit(self, contexts, targets):
        contexts, targets = self._with_copies(contexts.state_only(), targets)
        self.repetition_model_ = None
        if self.repetition_weight > 0:
            self.repetition_model_ = VariableOrderMarkovClassifier(
                max_order=self.repetition_order
            ).fit(repetition_sequences(contexts, targets, self._code_to_class))
        kneser_ney = self.method == "kneser_ney"
        # codes[:t] was followed by class events[offsets[i] + t - 1]; NO_CLASS is not counted
        events, offsets = next_classes(contexts, targets, self._code_to_class)
        n_classes = len(self.classes_)
        self.contexts_, self.counts_, continuation = count_ngrams(
            contexts.codes, events, offsets, n_classes, self.max_order, kneser_ney
        )
        # Kneser-Ney smooths the lower orders' continuation counts, the highest its counts
        smoothing = [
            counts if cont is None else cont
            for counts, cont in zip(self.counts_, continuation, strict=True)
        ]
        if kneser_ney:
            self.discounts_ = np.array([_estimate_discounts(m.data) for m in smoothing])
            if self.discount != "auto":
                self.discounts_[:] = self.discount
            self._tables = [
                _kneser_ney_table(m, d) for m, d in zip(smoothing, self.discounts_, strict=True)
            ]
        else:
            self.discounts_ = None
            self._tables = [_witten_bell_table(m) for m in smoothing]
        # the unigram interpolates with the uniform distribution so no class gets zero
        probs, backoff = self._tables[0]
        if probs.shape[0]:
            self._unigram = probs.toarray()[0] + backoff[0] / n_classes
        else:  # no event had a next state among the classes
            self._unigram = np.full(n_classes, 1.0 / n_classes)

    def _with_lower_order(self, order):
        """A copy of this fitted model that conditions on its last ``order`` states, the same
        model as one fitted with ``max_order=order`` on the same data.

        The counts of every order up to ``order`` are those such a fit makes, and so are the
        smoothed tables below it: Kneser-Ney's lower orders count left neighbours in both.
        Only the table of ``order`` itself differs, as the highest order smooths its raw
        counts. So choosing among orders costs one fit (``fit_candidates`` in
        :mod:`sklearn_seqlab._mixture_choice`). The copy shares this model's arrays, encoder
        and repetition model. It reads ``discount`` as it is now: call it before any
        ``set_params`` that changes it.
        """
        if not 1 <= order <= self.max_order:
            raise ValueError(f"order must be in [1, {self.max_order}], got {order}.")
        model = copy.copy(self)
        model.max_order = order
        model.contexts_ = self.contexts_[: order + 1]
        model.counts_ = self.counts_[: order + 1]
        model._tables = self._tables[: order + 1]
        if self.discounts_ is not None and order < self.max_order:  # fitted with Kneser-Ney
            raw = self.counts_[order]
            discounts = _estimate_discounts(raw.data)
            if self.discount != "auto":
                discounts[:] = self.discount
            model.discounts_ = np.vstack([self.discounts_[:order], discounts])
            model._tables[order] = _kneser_ney_table(raw, discounts)
        return model

    def _lookup_rows(self, contexts):
        """Row of each context in every order's table, or -1 where it was never seen."""
        rows = np.full((len(contexts), self.max_order), -1, dtype=np.int64)
        for i, codes in enumerate(contexts.codes):
            window, cut = self._window(codes.tolist(), len(codes))
            n = len(window)
            for k in range(1, cut + 1):
                row = self.contexts_[k].get(window[n - k :])
                # a context never seen means no longer one was seen either
                if row is None:
                    break
                rows[i, k - 1] = row
        return rows

    def _predict_proba(self, contexts):
        proba = self._counts_proba(contexts)
        mixed = proba
        if self.cache_weight > 0.0:
            caches = sequence_caches(
                contexts,
                self._code_to_class,
                len(self.classes_),
                self.cache_decay,
                self.cache_order,
            )
            mixed = mix_caches(proba, caches, self.cache_weight)
        if self.repetition_weight > 0.0:
            repeats = self._repetition_proba(contexts, proba)
            mixed = mix_repetition(mixed, repeats, self.repetition_weight)
        return mixed

    def _repetition_proba(self, contexts, proba):
        """The repetition model's prediction, a new state shared as the counts' ``proba``."""
        if self.repetition_model_ is None:  # the weight was set after fit
            raise NotFittedError(
                "This model was fitted with repetition_weight=0, so it has no repetition "
                "model; fit it again after setting repetition_weight."
            )
        return repetition_proba(self.repetition_model_, contexts, proba, self._code_to_class)

    def _counts_proba(self, contexts):
        """The back-off prediction of the counts alone, before the cache and the repetition
        model are mixed in."""
        rows = self._lookup_rows(contexts.state_only())
        proba = np.empty((len(rows), len(self.classes_)))
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            p = np.tile(self._unigram, (len(chunk), 1))
            # from the unigram up: each order keeps its discounted counts and hands the
            # rest of its mass to the order below
            for k in range(1, self.max_order + 1):
                seen = chunk[:, k - 1] >= 0
                if not seen.any():
                    break
                probs, backoff = self._tables[k]
                r = chunk[seen, k - 1]
                p[seen] = backoff[r, None] * p[seen] + probs[r].toarray()
            p /= p.sum(axis=1, keepdims=True)
            proba[start : start + _CHUNK] = p
        return proba


def _estimate_discounts(values):
    """Modified Kneser-Ney discounts for counts of 1, 2 and 3+ (Chen and Goodman 1998)."""
    n = np.array([(values == c).sum() for c in (1, 2, 3, 4)], dtype=np.float64)
    if np.any(n == 0):
        # too few counts to estimate from (tiny data): the usual fixed discount
        return np.array([0.75, 0.75, 0.75])
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    # the estimate can fall outside (0, count) on odd count distributions
    return np.clip(d, 0.05, [0.95, 1.95, 2.95])


def _kneser_ney_table(matrix, discounts):
    """``(probs, backoff)``: discounted probabilities and the mass left to the order below."""
    values = matrix.data
    d = np.where(values >= 3, discounts[2], np.where(values >= 2, discounts[1], discounts[0]))
    kept = matrix.copy()
    kept.data = np.maximum(values - d, 0.0)
    total = np.asarray(matrix.sum(axis=1)).ravel()
    kept_total = np.asarray(kept.sum(axis=1)).ravel()
    safe = np.where(total > 0, total, 1.0)
    backoff = np.where(total > 0, 1.0 - kept_total / safe, 1.0)
    return sparse.csr_matrix(sparse.diags(1.0 / safe) @ kept), backoff


def _witten_bell_table(matrix):
    """``(probs, backoff)`` of Witten-Bell: the order below weighs as many distinct states."""
    total = np.asarray(matrix.sum(axis=1)).ravel()
    distinct = np.diff(matrix.indptr).astype(np.float64)
    denom = np.where(total > 0, total + distinct, 1.0)
    backoff = np.where(total > 0, distinct / denom, 1.0)
    return sparse.csr_matrix(sparse.diags(1.0 / denom) @ matrix), backoff
