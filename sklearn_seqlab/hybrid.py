"""HybridClassifier: neural next-state models mixed with a count model.

Count models generalise from rare contexts by backing off; networks share what they learn
across similar states. Their errors differ, so a mixture of the two probabilities beats
either one, a standard result in language modelling (Mikolov's RNNME; Chen et al., ASRU
2015). Averaging networks trained from different seeds lowers their variance as well.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._base import BaseNextStateClassifier, keep_previous_on_error
from ._fitted_checks import check_array, check_instance, check_real
from ._mixture import MIX_GRID
from ._mixture_choice import (
    CACHE_ORDERS,
    CACHE_WEIGHTS,
    COUNT_ORDERS,
    MixtureChoiceMixin,
    ValidationPart,
)
from ._params import RANDOM_STATE, Instance, Integer, Options, Real
from ._targets import next_classes
from .counts import MarkovClassifier, VariableOrderMarkovClassifier
from .encoding import N_RESERVED, EncodedSequences
from .neural.estimators import NextStateClassifier
from .neural.relative_chords import reads_by_interval
from .splitting import check_groups, holdout_folds, holdout_split

# the grids of the choice, which moved to _mixture_choice.py, stay importable from here
__all__ = [
    "CACHE_ORDERS",
    "CACHE_WEIGHTS",
    "COUNT_ORDERS",
    "DEFAULT_NETWORK_PARAMS",
    "MIX_GRID",
    "HybridClassifier",
    "default_network",
]

DEFAULT_NETWORK_PARAMS = {"average_weights": False, "scoring": "loss", "repetition_slots": 0}
"""The parameters of the default network that differ from ``NextStateClassifier()``'s.

- ``average_weights``: on McGill's inner splits averaging left the hybrid's accuracy as it
  was (0.356 and 0.351 without, 0.356 and 0.350 with the plain mean over epochs, for one and
  three networks) and took more epochs.
- ``scoring``: the mixture weighs probabilities, so its networks stop where their validation
  loss is best. Trained on, as stopping on accuracy trains them, they grow more accurate but
  less calibrated, and on McGill the hybrid did not gain (``benchmarks/README.md``,
  thirteenth round).
- ``repetition_slots``: the hybrid's count models already read what a sequence repeats (the
  n-gram cache and the repetition model). Networks with slots, more accurate alone, left the
  hybrid as it was on McGill (+0.002), Helpdesk, Sepsis and BPI 2013, lost pop phrases
  0.004, and took more time (``benchmarks/README.md``, twenty-third round).

The others are ``NextStateClassifier()``'s, ``relative_chords="auto"`` among them: on chord
symbols the networks read chords by interval, which the count models cannot, and on McGill
the hybrid kept them at a weight of 0.30-0.40 on 5 folds of 7 and rose from 0.454 to 0.472
(``benchmarks/README.md``, twenty-fourth round)."""


def default_network():
    """The network a hybrid trains when none is given."""
    return NextStateClassifier(**DEFAULT_NETWORK_PARAMS)


class HybridClassifier(MixtureChoiceMixin, BaseNextStateClassifier):
    """Mix the averaged probabilities of several networks with those of a count model.

    ``predict_proba`` is ``w * mean_k p_net_k + (1 - w) * p_count``. The weight ``w`` (the
    fitted ``network_weight_``) is chosen on the log-likelihood of the state that ends each
    sequence (``validate_on="all"``: of the next state at every position) of a validation
    split of whole training sequences: sequences the components were not trained on, never
    test data. New data repeat the common sequences (a process's
    main paths), so the split holds out a share of their copies too
    (:func:`~sklearn_seqlab.splitting.holdout_split`); ``fit(X, groups=...)`` holds out
    whole groups instead, such as all the phrases of a song. On small data each network
    holds out a fold of its own (:func:`~sklearn_seqlab.splitting.holdout_folds`), and the
    split is every fold, each scored by the networks that did not train on it: three
    networks give three times the validation sequences of one fold, for the same training,
    and a weight kept by chance on one tenth had cost new data up to 0.12 accuracy
    (``benchmarks/README.md``, twenty-second round). The default count model's order,
    cache and repetition weight are chosen with it, or, on small data, before it: count models
    fit in a second, so there they are chosen on ten folds that each hold out a tenth of the
    training sequences, each sequence at most once (see ``count_model``), and the weight is then
    learned for the one kept.
    The count model is then refitted on all training sequences, which costs little; the
    networks keep the training they had.

    The best mixture on a small split is partly luck. So it replaces the count model alone
    (the default count model, or the one given, with ``w = 0``) only when its validation
    log-likelihood is higher by more than ``min_gain_se`` standard errors, errors taken over
    whole held-out sequences (over whole groups when ``fit`` gets ``groups``). Otherwise the
    hybrid predicts with that count model alone, as a user without the networks would. The
    networks then keep their weight only if the mixture also predicts the validation next
    states more often right than its count model alone: a weight that makes them more
    likely but no more often right trades the accuracy users score for a likelihood they do
    not (on chord corpora, beside a count model with an n-gram cache, it did:
    ``benchmarks/README.md``, fifteenth round). If the likeliest weight is not, the weight
    most often right (each weight's count averaged with its two neighbours') takes its place
    when it is more often right than the count model alone. Without them, the hybrid keeps,
    among the count models alone whose validation log-likelihood too gains ``min_gain_se``
    standard errors on the first one, the one that predicts the validation next states most
    often right (the likeliest of those that tie), and the first one if none gains. The
    likeliest cache is often smaller than the most accurate one, as a wrong cache costs more
    likelihood than accuracy (``benchmarks/README.md``, eighteenth round). Whatever replaces
    the first count model alone, a mixture or another count model, must also predict the
    validation next states more often right than it. On Helpdesk's cases a likelier order 2
    was not, for one seed of ten, and the later cases scored order 3 higher
    (``benchmarks/README.md``, seventeenth round).

    Parameters
    ----------
    network : NextStateClassifier, default=None
        The network to train ``n_networks`` times from different seeds; None means
        ``NextStateClassifier(average_weights=False, scoring="loss", repetition_slots=0)``
        (``DEFAULT_NETWORK_PARAMS``). Averaging a network's
        weights over its epochs makes it more accurate alone but not the mixture, which then
        gives it more weight for its likelihood; the fits also take more epochs. Stopping on
        accuracy makes it more accurate alone but less calibrated, and the mixture did not
        gain either (``benchmarks/README.md``).
    n_networks : int, default=3
        Number of networks averaged. Averaging seeds is the cheapest large gain measured on
        small corpora (``benchmarks/README.md``). With a learned weight on small data, each
        one also trains on all but its own validation fold (see above).
    count_model : estimator, default=None
        The count model. None means ``VariableOrderMarkovClassifier`` (Kneser-Ney) with the
        ``max_order`` (2 to 5), ``cache_weight`` (0 to 0.3), ``cache_order`` (1 or 3) and
        ``repetition_weight`` (0, 0.2 or 0.4, with a cache) chosen on the training sequences.
        On data of up to 2**25 probabilities to score (the states times one position a
        sequence with ``validate_on="last"``, every position with ``"all"``), each of ten
        folds holds out a tenth of them, each sequence at most once, and the count model
        alone that predicts their next states most often right is kept if it gains on
        ``VariableOrderMarkovClassifier()`` ``min_gain_se`` standard errors in
        log-likelihood, and in accuracy at least the 2.9 standard errors that the most
        accurate of 76 count models gains by chance (else the next most often right; the
        default if none does): a tenth of a small corpus is too few sequences to choose
        among 76 count models. On larger data, the one whose mixture has the best
        validation log-likelihood, if that mixture gains ``min_gain_se`` standard errors on
        ``VariableOrderMarkovClassifier()`` alone and is more often right than it; if its
        networks lose their weight, the most often right of those that gain as much alone
        (see above). Otherwise, or when
        ``network_weight`` is fixed, ``max_order=3`` without a cache or a repetition model.
    network_weight : float or None, default=None
        The weight of the averaged networks in [0, 1]; None learns it on a validation split.
        ``1.0`` gives a pure ensemble of networks, ``0.0`` the count model alone; a fixed
        weight trains every component on all the training sequences.
    validation_fraction : float, default=0.1
        Share of the training sequences held out to learn the mixture weight; with several
        networks on small data and a share of at most a half, about that of each network's
        fold (one of ``round(1 / validation_fraction)``, a quarter larger at most).
    validate_on : {"last", "all"}, default="last"
        The next states of the held-out sequences that choose the count model and the
        weight: only the one that ends each sequence, or the state after every position.
        Choose as the model will be scored. ``"last"`` suits predicting the state that ends
        each sequence: what ``score(X)`` on whole sequences scores, and so the searches and
        ``cross_val_score``, SeqLab's protocol and the runner. ``"all"`` (the choice before
        this option) suits predicting the next event anywhere in a sequence, such as every
        prefix of a running case. Networks likelier than the count model after every
        position can still be less often right at a sequence's end, where the n-gram cache
        knows what returns. From the same networks, ``"last"`` scored 0.610 against 0.582
        on the runner's synthetic chords (36 folds), 0.448 against 0.419 on pop phrases by
        song (14 folds), 0.475 against 0.474 on McGill's SeqLab protocol (14); on the process
        logs scored at every prefix it gained on three of four, and lost Helpdesk 0.0017
        (``benchmarks/README.md``, twenty-fifth round).
    augment_networks : {"auto", True, False}, default="auto"
        Whether the networks train on the augmented copies of the training sequences that
        ``StateEncoder(augment=...)`` adds; the count model always does. ``"auto"`` leaves
        the copies out when the networks read chords by interval (``relative_chords``, on
        by default for chord vocabularies): they score a progression alike in every key, so
        transposed copies give them little beyond 12 times the epochs. On McGill in 12
        keys (7 folds) the hybrid scored 0.480 with networks on the originals and 0.482
        with networks on the copies, whose fits took about 4 times as long; the best count
        model in 12 keys scores 0.476 (``benchmarks/README.md``, twenty-seventh round).
        Networks that read each state alone (Roman numerals, events with features,
        ``relative_chords=False``) train on the copies.
    min_gain_se : float, default=2.0
        Standard errors by which the best mixture's validation log-likelihood must exceed
        that of the count model alone for the hybrid to use it; ``0.0`` takes the best
        mixture whatever its gain (its networks still keep their weight only if it is more
        accurate on the validation split than its count model alone). On process logs
        whose count model is hard to beat, the best mixture on the validation split often
        predicted new cases worse than the count model alone (``benchmarks/README.md``,
        eighth round). With a single held-out
        sequence (or group) no error can be taken, and only ``0.0`` lets a mixture in.
        Ignored when ``network_weight`` is fixed.
    n_jobs : int, default=None
        Networks trained in parallel (joblib; -1 uses every core).
    handle_unknown : {"use_unknown", "error"}, default="use_unknown"
        On raw input, what to do with a state not seen in ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split and the seed of each network.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The states that can be predicted.
    encoder_ : StateEncoder or None
        The encoder fitted on raw input; None when ``fit`` received encoded sequences.
    n_codes_ : int
        Size of the input vocabulary, reserved codes included.
    unknown_proba_ : float
        Probability that the next state is one never seen in training.
    networks_ : list of NextStateClassifier
        The fitted networks.
    count_model_ : estimator
        The fitted count model (with ``count_model=None``, of the order and cache chosen).
    network_weight_ : float
        The weight of the averaged networks in the mixture, in [0, 1]: 0 when the best
        mixture did not gain ``min_gain_se`` standard errors on the count model alone, when
        it was no more accurate on the validation split than its count model alone or than
        the default count model alone, and when the best mixture is another count model
        alone (such as order 2). At 0 the networks are kept but not run.
    validation_log_likelihood_ : ndarray of shape (21,) or None
        Mean log-likelihood of the validation next states for each weight in
        ``np.linspace(0, 1, 21)``, with the count model kept; None when ``network_weight``
        was fixed. After a fall back to the count model alone, its maximum may lie at a
        weight above 0: a gain too small to trust, or one in likelihood alone. It lies at
        another weight than the one kept when the likeliest was no more often right than
        the count model alone and the weight most often right was. A next
        state that no component was fitted on (with ``y`` given, a class that only held-out
        contexts precede) counts as ``log(1e-300)`` at every weight: it lowers every value
        alike, and does not move the weight chosen.

    See Also
    --------
    NextStateClassifier : One network.
    VariableOrderMarkovClassifier : The default count model, of the order and cache chosen.

    Examples
    --------
    >>> from sklearn_seqlab import HybridClassifier, NextStateClassifier
    >>> from sklearn_seqlab.data import make_chord_progressions
    >>> X = make_chord_progressions(100, random_state=0)
    >>> net = NextStateClassifier(hidden_dim=16, max_epochs=3)
    >>> hybrid = HybridClassifier(net, n_networks=2, random_state=0).fit(X)
    >>> 0.0 <= hybrid.network_weight_ <= 1.0
    True
    >>> hybrid.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    def __init__(
        self,
        network=None,
        *,
        n_networks=3,
        count_model=None,
        network_weight=None,
        validation_fraction=0.1,
        validate_on="last",
        augment_networks="auto",
        min_gain_se=2.0,
        n_jobs=None,
        handle_unknown="use_unknown",
        random_state=None,
    ):
        self.network = network
        self.n_networks = n_networks
        self.count_model = count_model
        self.network_weight = network_weight
        self.validation_fraction = validation_fraction
        self.validate_on = validate_on
        self.augment_networks = augment_networks
        self.min_gain_se = min_gain_se
        self.n_jobs = n_jobs
        self.handle_unknown = handle_unknown
        self.random_state = random_state

    _parameter_constraints = {
        **BaseNextStateClassifier._parameter_constraints,
        "network": [Instance(NextStateClassifier, "a NextStateClassifier"), None],
        "n_networks": [Integer(1)],
        "count_model": [
            Instance(
                lambda model: hasattr(model, "predict_proba"),
                "a classifier with predict_proba, such as VariableOrderMarkovClassifier()",
            ),
            None,
        ],
        "network_weight": [Real(0.0, 1.0, closed="both"), None],
        "validation_fraction": [Real(0.0, 1.0)],
        "validate_on": [Options("all", "last")],
        "augment_networks": [Options("auto", True, False)],
        "min_gain_se": [Real(0.0, np.inf, closed="left")],
        "n_jobs": [Integer(None), None],
        "random_state": RANDOM_STATE,
    }

    _params_before_they_existed = {
        "min_gain_se": 0.0,
        "validate_on": "all",
        "augment_networks": True,
    }

    def _check_params(self):
        super()._check_params()
        if self.network is not None:
            self.network._check_params()  # a bad network parameter fails before any fit

    @keep_previous_on_error
    def fit(self, X, y=None, groups=None):
        """Fit the networks and the count model, and learn the mixture weight.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            With ``y`` None, whole sequences: each one's last state is the target and the
            rest its context. With ``y``, the contexts.
        y : array-like of shape (n_sequences,), default=None
            The state that follows each context in ``X``.
        groups : array-like of shape (n_sequences,), default=None
            A label per sequence (a song, a case). The validation split that chooses the
            mixture, and each network's early stopping, then hold out whole groups, so that
            the mixture is chosen for groups the components never saw, as a test split by
            group scores it. Phrases of one song share its loops without being equal, and a
            split by content alone let the count model look better on the validation phrases
            than on new songs (``benchmarks/README.md``). None holds out by content.

        Returns
        -------
        self : HybridClassifier
        """
        self._check_params()
        raw = not isinstance(X, EncodedSequences)
        if raw:  # read once: X may be a generator, and the components need it again
            X = self._check_fit_input(X, y)
        contexts, targets = self._fit_vocabulary(X, y, checked=raw)
        groups = check_groups(groups, len(contexts))
        # the components take the same input as the hybrid: whole sequences, or contexts and y
        encoded = self.encoder_._transform(X) if raw else X
        y = None if y is None else self.classes_[targets]
        self._fit_components(contexts, targets, encoded, y, groups)
        return self

    def _fit_components(self, contexts, targets, encoded, y, groups):
        rng = check_random_state(self.random_state)
        # with y derived, a class is its code minus the reserved codes
        target_codes = targets + N_RESERVED if y is None else targets
        salt = int(rng.randint(np.iinfo(np.int32).max))
        all_rows = np.arange(len(contexts))
        folds = [(all_rows, None)]
        if self.network_weight is None:
            folds = self._validation_folds(contexts, target_codes, salt, groups)
        for fit_rows, _ in folds:
            self._check_followers(contexts[fit_rows], targets[fit_rows], y, groups)

        def rows_of(rows):
            return encoded[rows], None if y is None else y[rows]

        network = self.network
        if network is None:
            network = default_network()
        augment_networks = self.augment_networks
        if augment_networks == "auto":
            augment_networks = not reads_by_interval(
                network.relative_chords, encoded.states.tolist(), bool(encoded.feature_sizes)
            )

        def network_rows(rows):
            X_rows, y_rows = rows_of(rows)
            if not augment_networks:  # the augmented copies train the count model alone
                X_rows = X_rows.with_codes(X_rows.codes)
            return X_rows, y_rows

        # the networks stop early on a split of the same kind as the mixture's
        if groups is not None and network.validation_fraction is not None:
            if any(len(set(groups[fit_rows].tolist())) < 2 for fit_rows, _ in folds):
                raise ValueError(
                    f"groups holds {len(set(groups.tolist()))} group(s): the hybrid holds some "
                    "out to choose its mixture, which leaves a network a single group to "
                    "stop early on. Pass more groups, or give the network "
                    "validation_fraction=None and patience=None."
                )
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_networks)
        # network k trains on all but fold k (of as many folds as there are): each fold
        # is then scored by networks that never saw it
        fold_of = [k % len(folds) for k in range(self.n_networks)]
        trained_on = [folds[fold][0] for fold in fold_of]
        networks = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(
                clone(network).set_params(random_state=int(seed)),
                *network_rows(rows),
                **({} if groups is None else {"groups": groups[rows]}),
            )
            for seed, rows in zip(seeds, trained_on, strict=True)
        )
        candidates = self._count_candidates()
        count, weight, log_likelihood = candidates[0], self.network_weight, None
        if weight is None:
            # on small data the count model is chosen on several splits, then mixed as it is
            chosen = self._cross_validated_count(
                contexts, targets, target_codes, rows_of, salt, groups
            )
            if chosen is not None:
                candidates = [chosen]
            parts = [
                ValidationPart(
                    [net for net, of in zip(networks, fold_of, strict=True) if of == fold],
                    rows_of(fit_rows),
                    *self._held_out(contexts, targets, valid_rows, groups),
                )
                for fold, (fit_rows, valid_rows) in enumerate(folds)
            ]
            count, weight, log_likelihood = self._choose_mixture(
                candidates, parts, grid=chosen is None
            )
        count_model = clone(count).fit(*rows_of(all_rows))
        self.networks_, self.count_model_ = networks, count_model
        self.network_weight_ = float(weight)
        self.validation_log_likelihood_ = log_likelihood

    def _validation_folds(self, contexts, target_codes, salt, groups):
        """The validation split: one fold of whole training sequences per network, each
        about ``validation_fraction`` of them, no sequence in two folds (a list of
        ``(fit_rows, valid_rows)``).

        Each network trains on all but its fold, so the mixture is scored on every fold,
        ``n_networks`` times more held-out sequences than one split holds, for the same
        training: on one tenth, the networks' weight was often chance (``benchmarks/README.md``,
        twenty-second round). Each fold is scored by its one network, not by the average
        of all of them that predicts, which is more accurate: the weight found is a cautious
        one. With fewer folds than networks (few groups small enough to hold out, or a large
        share), networks share the folds in turn. A common path's copies are spread over
        the folds in their order, so the first folds hold its earliest copies.

        One network, a ``validation_fraction`` above a half or below one sequence, data with
        fewer than two folds or with a fold more than a quarter above the share (groups too
        coarse to share out), and data larger than ``CROSS_VALIDATION_CELLS`` take the single
        split of :func:`~sklearn_seqlab.splitting.holdout_split`. On large data that split
        holds enough sequences, and scoring 76 count models on three folds doubled the fit
        of a hybrid with one-epoch networks (10^5 states of 2,000).
        """
        fraction = self.validation_fraction
        share = len(contexts) * fraction
        # a share under one sequence gets holdout_split's error, not a fold per sequence
        if self.n_networks > 1 and fraction <= 0.5 and share >= 0.5 and self._is_small(contexts):
            n_folds = int(round(1.0 / fraction))
            folds = holdout_folds(contexts, target_codes, n_folds, salt, groups)[: self.n_networks]
            # coarse groups can fill a fold far beyond the share, and starve its network
            if len(folds) >= 2 and all(len(valid) <= 1.25 * share + 1 for _, valid in folds):
                return folds
        return [holdout_split(contexts, target_codes, fraction, salt, groups)]

    def _check_followers(self, contexts, targets, y, groups):
        """Raise if training rows leave the networks a single next state to learn."""
        # with whole sequences the networks learn the state after every position, not only
        # after the last one: a log whose cases all end in one state has more to learn
        followers = targets
        if y is None:
            followers, _ = next_classes(contexts, targets, self._code_to_class)
        if len(np.unique(followers)) < 2:
            kept = "identical sequences" if groups is None else "each group"
            raise ValueError(
                f"The validation split (validation_fraction={self.validation_fraction}) keeps "
                f"{kept} together and leaves a single next state to train on: the data hold "
                "too few distinct sequences. Pass more, or fix network_weight."
            )

    def _aligned(self, model, contexts):
        """A component's probabilities in the columns of ``classes_``."""
        return self._in_columns(model.classes_, model.predict_proba(contexts))

    def _restore_derived(self):
        super()._restore_derived()
        networks = check_instance(self.networks_, "networks_", list)
        if not networks:
            raise ValueError("networks_ must hold at least one network.")
        for network in networks:
            check_instance(network, "networks_", NextStateClassifier)
        counts = (MarkovClassifier, VariableOrderMarkovClassifier)
        check_instance(self.count_model_, "count_model_", counts)
        classes = set(self.classes_.tolist())
        if any(not set(m.classes_.tolist()) <= classes for m in [*networks, self.count_model_]):
            raise ValueError("a component of the hybrid predicts states it does not know.")
        check_real(self.network_weight_, "network_weight_", 0.0, 1.0)
        if self.validation_log_likelihood_ is not None:
            check_array(self.validation_log_likelihood_, "validation_log_likelihood_", (None,), "f")

    def _predict_proba(self, contexts):
        p_count = self._aligned(self.count_model_, contexts)
        if self.network_weight_ == 0.0:  # the count model alone: no need to run the networks
            return p_count
        p_net = np.mean([self._aligned(m, contexts) for m in self.networks_], axis=0)
        return self.network_weight_ * p_net + (1.0 - self.network_weight_) * p_count


def _fit_one(model, X, y, **fit_params):
    return model.fit(X, y, **fit_params)
