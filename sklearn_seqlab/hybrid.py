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
from ._mixture import (
    MIX_GRID,
    group_index,
    log_proba,
    mixture_log_proba,
    more_accurate,
    n_right,
    significant_gain,
    target_proba,
)
from ._params import RANDOM_STATE, Instance, Integer, Real
from ._targets import next_classes
from .counts import MarkovClassifier, VariableOrderMarkovClassifier
from .counts.cache import mix_cache, sequence_caches
from .encoding import N_RESERVED, EncodedSequences
from .neural.estimators import NextStateClassifier
from .splitting import check_groups, holdout_split

COUNT_ORDERS = (3, 2, 4, 5)
"""The orders of the default count model tried with the mixture weight, the default
(``VariableOrderMarkovClassifier()``) first. The best order differs between corpora: 3 on
McGill's phrases, 5 on SeqLab's song sections (``benchmarks/README.md``)."""

DEFAULT_NETWORK_PARAMS = {"average_weights": False, "scoring": "loss"}
"""The parameters of the default network that differ from ``NextStateClassifier()``'s.

- ``average_weights``: on McGill's inner splits averaging left the hybrid's accuracy as it
  was (0.356 and 0.351 without, 0.356 and 0.350 with the plain mean over epochs, for one and
  three networks) and took more epochs.
- ``scoring``: the mixture weighs probabilities, so its networks stop where their validation
  loss is best. Trained on, as stopping on accuracy trains them, they grow more accurate but
  less calibrated, and on McGill the hybrid did not gain (``benchmarks/README.md``,
  thirteenth round)."""


def default_network():
    """The network a hybrid trains when none is given."""
    return NextStateClassifier(**DEFAULT_NETWORK_PARAMS)


CACHE_WEIGHTS = (0.0, 0.1, 0.2, 0.3)
"""The default count model's cache weights tried with each order (none on Helpdesk's cases,
about 0.2 on chord progressions, which return to their recent chords)."""

VALIDATION_CELLS = 2**21
"""About the most (prefix x class) probabilities of one model that the hybrid holds at once
while it scores its validation split (16 MB in float64). The split scores every prefix, and
each count model is tried with seven caches: held whole, they took 3.2 GB at 2,000 states
(``benchmarks/README.md``, nineteenth round)."""

CACHE_ORDERS = (1, 3)
"""The default count model's cache orders tried with each cache weight: the context's states
alone, or also what followed its last one and two states earlier in it. The longer cache
gained chord corpora 0.05 to 0.22 accuracy and cost Helpdesk's cases some
(``benchmarks/README.md``, fifteenth round), so both are tried."""


class HybridClassifier(BaseNextStateClassifier):
    """Mix the averaged probabilities of several networks with those of a count model.

    ``predict_proba`` is ``w * mean_k p_net_k + (1 - w) * p_count``. The weight ``w`` (the
    fitted ``network_weight_``) is chosen on the log-likelihood of the next state at every
    position of a validation split of whole training sequences: sequences the components
    were not trained on, never test data. New data repeat the common sequences (a process's
    main paths), so the split holds out a share of their copies too
    (:func:`~sklearn_seqlab.splitting.holdout_split`); ``fit(X, groups=...)`` holds out
    whole groups instead, such as all the phrases of a song. The default count model's order
    and cache weight are chosen with it. The count model is then refitted on all training
    sequences, which costs little; the networks keep the training they had.

    The best mixture on a small split is partly luck. So it replaces the count model alone
    (the default count model, or the one given, with ``w = 0``) only when its validation
    log-likelihood is higher by more than ``min_gain_se`` standard errors, errors taken over
    whole held-out sequences (over whole groups when ``fit`` gets ``groups``). Otherwise the
    hybrid predicts with that count model alone, as a user without the networks would. The
    networks then keep their weight only if the mixture also predicts the validation next
    states more often right than its count model alone: a weight that makes them more
    likely but no more often right trades the accuracy users score for a likelihood they do
    not (on chord corpora, beside a count model with an n-gram cache, it did:
    ``benchmarks/README.md``, fifteenth round). Without them, the hybrid keeps, among the
    count models alone whose validation log-likelihood too gains ``min_gain_se`` standard
    errors on the first one, the one that predicts the validation next states most often
    right (the likeliest of those that tie), and the first one if none gains. The likeliest
    cache is often smaller than the most accurate one, as a wrong cache costs more
    likelihood than accuracy (``benchmarks/README.md``, eighteenth round). Whatever replaces
    the first count model alone, a mixture or another count model, must also predict the
    validation next states more often right than it. On Helpdesk's cases a likelier order 2
    was not, for one seed of ten, and the later cases scored order 3 higher
    (``benchmarks/README.md``, seventeenth round).

    Parameters
    ----------
    network : NextStateClassifier, default=None
        The network to train ``n_networks`` times from different seeds; None means
        ``NextStateClassifier(average_weights=False, scoring="loss")``. Averaging a network's
        weights over its epochs makes it more accurate alone but not the mixture, which then
        gives it more weight for its likelihood; the fits also take more epochs. Stopping on
        accuracy makes it more accurate alone but less calibrated, and the mixture did not
        gain either (``benchmarks/README.md``).
    n_networks : int, default=3
        Number of networks averaged. Averaging seeds is the cheapest large gain measured on
        small corpora (``benchmarks/README.md``).
    count_model : estimator, default=None
        The count model. None means ``VariableOrderMarkovClassifier`` (Kneser-Ney) with the
        ``max_order`` (2 to 5) and ``cache_weight`` (0 to 0.3) whose mixture has the best
        validation log-likelihood, if that mixture gains ``min_gain_se`` standard errors on
        ``VariableOrderMarkovClassifier()`` alone and is more often right than it; if its
        networks lose their weight, the most often right of those that gain as much alone
        (see above); otherwise, or when ``network_weight`` is fixed, ``max_order=3`` without
        a cache.
    network_weight : float or None, default=None
        The weight of the averaged networks in [0, 1]; None learns it on a validation split.
        ``1.0`` gives a pure ensemble of networks, ``0.0`` the count model alone; a fixed
        weight trains every component on all the training sequences.
    validation_fraction : float, default=0.1
        Share of the training sequences held out to learn the mixture weight.
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
        weight above 0: a gain too small to trust, or one in likelihood alone.

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
        "min_gain_se": [Real(0.0, np.inf, closed="left")],
        "n_jobs": [Integer(None), None],
        "random_state": RANDOM_STATE,
    }

    _params_before_they_existed = {"min_gain_se": 0.0}

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
        fit_rows, valid_rows = all_rows, None
        if self.network_weight is None:
            fit_rows, valid_rows = holdout_split(
                contexts, target_codes, self.validation_fraction, salt, groups
            )

        # with whole sequences the networks learn the state after every position, not only
        # after the last one: a log whose cases all end in one state has more to learn
        followers = targets[fit_rows]
        if y is None:
            followers, _ = next_classes(contexts[fit_rows], followers, self._code_to_class)
        if len(np.unique(followers)) < 2:
            kept = "identical sequences" if groups is None else "each group"
            raise ValueError(
                f"The validation split (validation_fraction={self.validation_fraction}) keeps "
                f"{kept} together and leaves a single next state to train on: the data hold "
                "too few distinct sequences. Pass more, or fix network_weight."
            )

        def rows_of(rows):
            return encoded[rows], None if y is None else y[rows]

        # the networks stop early on a split of the same kind as the mixture's
        fit_groups = {} if groups is None else {"groups": groups[fit_rows]}

        network = self.network
        if network is None:
            network = default_network()
        if fit_groups and network.validation_fraction is not None:
            if len(set(fit_groups["groups"].tolist())) < 2:
                raise ValueError(
                    f"groups holds {len(set(groups.tolist()))} group(s): the hybrid holds one "
                    "out to choose its mixture, which leaves its networks a single group to "
                    "stop early on. Pass more groups, or give the network "
                    "validation_fraction=None and patience=None."
                )
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_networks)
        networks = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(
                clone(network).set_params(random_state=int(seed)), *rows_of(fit_rows), **fit_groups
            )
            for seed in seeds
        )
        candidates = self._count_candidates()
        count, weight, log_likelihood = candidates[0], self.network_weight, None
        if weight is None:
            valid = contexts[valid_rows]
            positions, sequence = self._positions(valid, targets[valid_rows])
            if groups is not None:  # the phrases of one song are not independent either
                sequence = group_index(groups[valid_rows])[sequence]
            count, weight, log_likelihood = self._choose_mixture(
                networks, candidates, rows_of(fit_rows), valid, positions, sequence
            )
        count_model = clone(count).fit(*rows_of(all_rows))
        self.networks_, self.count_model_ = networks, count_model
        self.network_weight_ = float(weight)
        self.validation_log_likelihood_ = log_likelihood

    def _choose_mixture(self, networks, candidates, fit_data, contexts, positions, sequence):
        """The count model (unfitted), the network weight and the validation log-likelihood
        of each weight with that count model, from the validation sequences ``contexts``,
        the class that follows each of their positions (``positions``) and the index of
        each position's sequence (or group).

        The best mixture must gain ``min_gain_se`` standard errors on the first candidate
        alone (weight 0, its first variant), or that candidate alone is kept. Its networks
        then keep their weight only if the mixture predicts the validation next states more
        accurately than its count model alone. If they do not, the count model alone that
        predicts them most accurately (the likeliest of those that tie) among those that
        gain as much on the first candidate is kept, or the first if none does. Whatever is
        kept in place of the first candidate alone must also predict the validation next
        states more accurately than it, or the first is kept.
        """
        fitted = [clone(candidate).fit(*fit_data) for candidate in candidates]
        p_net, p_counts, rights, variants = self._score_counts(
            networks, fitted, contexts, positions
        )
        # the unfitted count model of each variant
        models = [clone(model).set_params(**params) for model, params, _ in variants]
        # each count model alone and in mixtures: per weight, per prefix log-probabilities
        scores, chosen = [], 0
        for index, p_count in enumerate(p_counts):
            scores.append(mixture_log_proba(p_net, p_count).mean(axis=1))
            if scores[index].max() > scores[chosen].max():  # the default first: a tie keeps it
                chosen = index
        alone = log_proba(p_counts[0])
        reference = (models[0], 0.0, scores[0])
        weight = float(MIX_GRID[np.argmax(scores[chosen])])
        sequence = sequence[positions >= 0]
        best = mixture_log_proba(p_net, p_counts[chosen])[np.argmax(scores[chosen])]
        if not significant_gain(best - alone, sequence, self.min_gain_se):
            return reference
        right = rights[chosen]
        if weight > 0:
            model, _, slot = variants[chosen]
            right = self._mixture_right(networks, model, slot, weight, contexts, positions)
        if weight > 0 and not more_accurate(right, rights[chosen]):
            # more likely but no more often right: the networks would blunt the counts. The
            # gain that let the mixture in was partly theirs, so the count model kept alone
            # must gain as much on its own. Among those that do, the most often right is
            # kept: the likeliest cache is often smaller, as a wrong cache costs more
            # likelihood than accuracy (benchmarks/README.md, eighteenth round)
            ranked = sorted(
                range(len(models)), key=lambda i: (rights[i], scores[i][0]), reverse=True
            )  # stable: on a tie the default order
            trusted = (
                index
                for index in ranked
                if significant_gain(log_proba(p_counts[index]) - alone, sequence, self.min_gain_se)
            )
            chosen = next(trusted, None)
            if chosen is None:
                return reference
            right, weight = rights[chosen], 0.0
        # users score accuracy: a likelier choice that is no more often right than the first
        # candidate alone (another order that only sharpens its probabilities) is not kept
        if not more_accurate(right, rights[0]):
            return reference
        return models[chosen], weight, scores[chosen]

    def _count_candidates(self):
        """The count models the validation split chooses from, the default first."""
        if self.count_model is not None:
            return [self.count_model]
        if self.network_weight is not None:  # no validation split to choose on
            return [VariableOrderMarkovClassifier(max_order=3)]
        return [VariableOrderMarkovClassifier(max_order=order) for order in COUNT_ORDERS]

    def _count_variants(self, held_out, contexts, caches):
        """The settings tried with a fitted count model, each with its probabilities.

        A model given is tried as it is. The default one is tried with every weight of
        ``CACHE_WEIGHTS`` and every order of ``CACHE_ORDERS``: ``caches`` (those of
        :func:`~sklearn_seqlab.counts.cache.sequence_caches` up to the largest order) are
        mixed into its prediction after the counts, one after the other, so one prediction
        and one set of caches serve every setting, and nothing is refitted.
        """
        proba = held_out.predict_proba(contexts)
        if self.count_model is not None:
            return [({}, proba)]
        variants = [({"cache_weight": 0.0}, proba)]  # without a cache the order is moot
        for weight in (w for w in CACHE_WEIGHTS if w > 0):
            mixed = proba
            for order, cache in enumerate(caches, start=1):  # each order extends the last
                mixed = mix_cache(mixed, cache, weight)
                if order in CACHE_ORDERS:
                    variants.append(({"cache_weight": weight, "cache_order": order}, mixed))
        return variants

    def _positions(self, contexts, targets):
        """The class that follows every position of the sequences, and the index of its
        sequence: the next state at every position is what the mixture must predict, not
        only the last one."""
        classes, _ = next_classes(contexts, targets, self._code_to_class)
        return classes, np.repeat(np.arange(len(contexts)), contexts.lengths)

    def _score_counts(self, networks, fitted, contexts, positions):
        """One pass over the validation split, a chunk at a time.

        Returns the networks' averaged probability of each known next state; for each
        count variant (each fitted count model's ``_count_variants`` in turn), its
        probability of each known next state; how many next states each variant predicts
        right; and each variant's fitted model, settings and place among that model's
        variants.
        """
        p_net, p_counts, rights, variants = [], [], [], []
        for classes, net, variants_of in self._chunk_probas(networks, fitted, contexts, positions):
            p_net.append(target_proba(net, classes))
            index = 0
            for model in fitted:  # one model's variants at a time: each is a large matrix
                for slot, (params, proba) in enumerate(variants_of(model)):
                    if index == len(variants):
                        variants.append((model, params, slot))
                        p_counts.append([])
                        rights.append(0)
                    p_counts[index].append(target_proba(proba, classes))
                    rights[index] += n_right(proba, classes)
                    index += 1
        return np.concatenate(p_net), [np.concatenate(p) for p in p_counts], rights, variants

    def _mixture_right(self, networks, model, slot, weight, contexts, positions):
        """How many validation next states a mixture predicts right: ``weight`` on the
        networks, the rest on the fitted count ``model`` with its variant ``slot`` (its
        place in ``_count_variants``). A second pass, so that no pass holds every
        variant's probabilities."""
        right = 0
        for classes, net, variants_of in self._chunk_probas(networks, [model], contexts, positions):
            proba = variants_of(model)[slot][1]
            right += n_right(weight * net + (1.0 - weight) * proba, classes)
        return right

    def _chunk_probas(self, networks, fitted, contexts, positions):
        """The validation split in chunks of whole sequences, each of about
        ``VALIDATION_CELLS`` probabilities per model.

        Yields, per chunk: the class that follows each of its positions (from
        ``positions``), the networks' averaged probabilities after each position, and a
        function that gives a fitted count model's variants there (``_count_variants``, in
        the columns of ``classes_``). The caches are those of ``fitted[0]``: every
        candidate is fitted on the same sequences.
        """
        ends = np.cumsum(contexts.lengths)
        size = max(1, VALIDATION_CELLS // len(self.classes_))
        first = 0
        while first < len(ends):
            start = ends[first - 1] if first else 0
            last = max(first + 1, int(np.searchsorted(ends, start + size, side="right")))
            chunk = contexts[first:last]
            prefixes = chunk.with_codes([c[:k] for c in chunk.codes for k in range(1, len(c) + 1)])
            net = np.mean(
                [
                    self._in_columns(m.classes_, m._proba_after_each_position(chunk))
                    for m in networks
                ],
                axis=0,
            )
            caches = None
            if self.count_model is None:
                cached = fitted[0]
                caches = sequence_caches(
                    prefixes,
                    cached._code_to_class,
                    len(cached.classes_),
                    cached.cache_decay,
                    max(CACHE_ORDERS),
                )

            def variants_of(model, prefixes=prefixes, caches=caches):
                return [
                    (params, self._in_columns(model.classes_, proba))
                    for params, proba in self._count_variants(model, prefixes, caches)
                ]

            yield positions[start : ends[last - 1]], net, variants_of
            first = last

    def _aligned(self, model, contexts):
        """A component's probabilities in the columns of ``classes_``."""
        return self._in_columns(model.classes_, model.predict_proba(contexts))

    def _in_columns(self, classes, proba):
        """Probabilities over ``classes`` in the columns of ``classes_`` (zero elsewhere)."""
        if np.array_equal(classes, self.classes_):
            return proba
        index = {state: j for j, state in enumerate(self.classes_.tolist())}
        out = np.zeros((len(proba), len(self.classes_)))
        out[:, [index[state] for state in classes.tolist()]] = proba
        return out

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
