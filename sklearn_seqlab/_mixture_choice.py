"""How :class:`~sklearn_seqlab.hybrid.HybridClassifier` chooses its mixture.

The count models and caches it tries, its validation split scored a chunk of whole sequences
at a time, and the rules that keep a mixture only when it gains: in likelihood by more than
chance, and in accuracy.
"""

from typing import NamedTuple

import numpy as np
from sklearn.base import clone

from ._mixture import (
    MIX_GRID,
    group_index,
    hits,
    log_proba,
    mixture_log_proba,
    more_accurate,
    n_right,
    significant_gain,
    smoothed,
    target_proba,
)
from ._targets import next_classes
from .counts import VariableOrderMarkovClassifier
from .counts.cache import mix_cache, sequence_caches
from .counts.repetition import mix_repetition, repetition_shares, spread_repetition
from .encoding import NO_CLASS
from .splitting import holdout_folds

COUNT_ORDERS = (3, 2, 4, 5)
"""The orders of the default count model tried with the mixture weight, the default
(``VariableOrderMarkovClassifier()``) first. The best order differs between corpora: 3 on
McGill's phrases, 5 on SeqLab's song sections (``benchmarks/README.md``)."""

CACHE_WEIGHTS = (0.0, 0.1, 0.2, 0.3)
"""The default count model's cache weights tried with each order (none on Helpdesk's cases,
about 0.2 on chord progressions, which return to their recent chords)."""

CACHE_ORDERS = (1, 3)
"""The default count model's cache orders tried with each cache weight: the context's states
alone, or also what followed its last one and two states earlier in it. The longer cache
gained chord corpora 0.05 to 0.22 accuracy and cost Helpdesk's cases some
(``benchmarks/README.md``, fifteenth round), so both are tried."""

REPETITION_WEIGHTS = (0.0, 0.2, 0.4)
"""The default count model's repetition weights tried with each order and cache, where it
has a cache (:mod:`sklearn_seqlab.counts.repetition`): none on Helpdesk's cases; 0.4 on most
inner splits of the chord corpora (``benchmarks/README.md``, nineteenth round)."""

COUNT_SPLITS = 10
"""How many folds of the training sequences (:func:`~sklearn_seqlab.splitting.holdout_folds`)
choose the default count model's order, cache and repetition weight on small data (see
``CROSS_VALIDATION_CELLS``): each holds out about a tenth, and together they hold out each
training sequence at most once (all but those of groups larger than a fold). Ten folds
chose the same count model for more seeds of the split than five did, for 15% more fit time
with a one-epoch network (``benchmarks/README.md``, twenty-first round)."""

CROSS_VALIDATION_CELLS = 2**25
"""Up to this many (position x class) probabilities to score in the training sequences (one
position a sequence with ``validate_on="last"``, every position with ``"all"``), the count
model is chosen on ``COUNT_SPLITS`` folds of them, not on the hybrid's validation split
alone. Count models fit in a second, and the tenth of a small corpus that the validation
split holds out is too few sequences to choose among 76 of them, where the folds score
every sequence: on the runner's synthetic chords (40 held-out progressions) the
choice fell on caches that scored 0.597 against 0.620 (``benchmarks/README.md``, twentieth
round). Larger data keep the single split, which then holds enough sequences, and whose
scoring time grows with them. Counted on the positions scored, McGill's phrases by song
(16,000 training phrases of 900 states: 5.8 * 10^7 cells at every position, 1.5 * 10^7 at
the last) are small with ``"last"``. On the single split their count model had been chosen
with the mixture on a tenth of the songs (order 2 with a network weight of 0.5 on one fold
of 7), and the hybrid rose from 0.538 to 0.545 on new songs over two seeds
(``benchmarks/README.md``, twenty-sixth round)."""

VALIDATION_CELLS = 2**20
"""About the most (prefix x class) probabilities of one model that the hybrid holds at once
while it scores its validation split (8 MB in float64). The split scores every prefix
whose next state counts (with ``validate_on="last"``, each held-out sequence whole), and
each count model is tried with 19 caches and repetition weights: held whole, with 7 caches,
they took 3.2 GB at 2,000 states and 6.8 GB at 5,000 (``benchmarks/README.md``, nineteenth
round)."""


def fit_candidates(candidates, fit_data):
    """The count models ``candidates``, fitted on ``fit_data`` (``X, y``).

    Count models that differ in their order alone are one fit: the one of the largest
    order, and copies of it that condition on fewer states
    (``VariableOrderMarkovClassifier._with_lower_order``), which are the same models as
    those fitted at their own order. They share its repetition model too. On 2,000
    sequences of 50 states the choice's fits then took 12.5 s instead of 27.5 (profiled,
    ``benchmarks/README.md``, twenty-first round).
    """
    keys = [_all_but_order(candidate) for candidate in candidates]
    largest = {}
    for key, candidate in zip(keys, candidates, strict=True):
        if key is not None:
            largest[key] = max(largest.get(key, 0), candidate.max_order)
    fitted, highest = [], {}
    for key, candidate in zip(keys, candidates, strict=True):
        if key is None:
            fitted.append(clone(candidate).fit(*fit_data))
            continue
        if key not in highest:
            highest[key] = clone(candidate).set_params(max_order=largest[key]).fit(*fit_data)
        fitted.append(highest[key]._with_lower_order(candidate.max_order))
    return fitted


def _all_but_order(candidate):
    """The parameters of a ``VariableOrderMarkovClassifier`` but its order (None for any
    other model): the candidates that one fit serves."""
    if type(candidate) is not VariableOrderMarkovClassifier:
        return None
    params = candidate.get_params()
    del params["max_order"]
    return tuple(sorted(params.items()))


def last_positions_only(classes, lengths):
    """The class after every position of sequences of ``lengths`` (as
    :func:`~sklearn_seqlab._targets.next_classes` gives them), with all but each sequence's
    last position set to ``NO_CLASS``: left out of the scores, as states never seen are
    (``validate_on="last"``)."""
    last = np.cumsum(lengths) - 1
    kept = np.full_like(classes, NO_CLASS)
    kept[last] = classes[last]
    return kept


class ValidationPart(NamedTuple):
    """One fold of the hybrid's validation split.

    ``networks`` did not train on its held-out sequences ``contexts``; ``fit_data``
    (``X, y``) holds the training sequences its count models are fitted on, all but
    ``contexts``; ``positions`` is the class that follows each position of ``contexts``
    (-1 for a state never seen, or a position not scored) and ``sequence`` the index of
    each position's sequence, or group, within the part (``MixtureChoiceMixin._held_out``).
    """

    networks: list
    fit_data: tuple
    contexts: object
    positions: np.ndarray
    sequence: np.ndarray


class _PartScores(NamedTuple):
    """What ``MixtureChoiceMixin._score_counts`` gives for one :class:`ValidationPart`, with
    the sequence of each known next state."""

    p_net: np.ndarray
    p_counts: list
    hits: list
    variants: list
    sequence: np.ndarray


def _joined(per_part):
    """Each variant's arrays, one per part, joined over the parts."""
    return [np.concatenate(of_variant) for of_variant in zip(*per_part, strict=True)]


def _numbered_apart(sequences):
    """Each part's sequence indices, shifted so that no two parts share one: the parts hold
    out different sequences, each a unit of the standard errors."""
    shifted, offset = [], 0
    for sequence in sequences:
        shifted.append(sequence + offset)
        offset += int(sequence.max()) + 1 if len(sequence) else 0
    return np.concatenate(shifted)


class MixtureChoiceMixin:
    """The choice of a :class:`~sklearn_seqlab.hybrid.HybridClassifier`'s count model and
    network weight on its validation split.

    Reads the hybrid's parameters (``count_model``, ``network_weight``, ``min_gain_se``) and
    the vocabulary its ``fit`` learned (``classes_``, ``_code_to_class``).
    """

    def _choose_mixture(self, candidates, parts, grid=True):
        """The count model (unfitted), the network weight and the validation log-likelihood
        of each weight with that count model.

        ``parts`` are the validation folds, each a :class:`ValidationPart`: the networks
        that did not train on its held-out sequences, the data its count models are fitted
        on (all training sequences but those), and its held-out sequences, the class that
        follows each of their positions and the index of each position's sequence (or
        group). Their next states are scored together, as one validation split.

        The best mixture must gain ``min_gain_se`` standard errors on the first candidate
        alone (weight 0, its first variant), or that candidate alone is kept. Its networks
        then keep their weight only if the mixture predicts the validation next states more
        accurately than its count model alone; if the likeliest weight does not, the weight
        most often right (each weight's count averaged with its neighbours', ``smoothed``) takes
        its place when it does. If none does, the count model alone that
        predicts them most accurately (the likeliest of those that tie) among those that
        gain as much on the first candidate is kept, or the first if none does. Whatever is
        kept in place of the first candidate alone must also predict the validation next
        states more accurately than it, or the first is kept. ``grid=False`` tries each
        candidate as it is, without the default count model's caches and repetition weights.
        """
        scored, p_counts, hit, sequence, models = self._pooled_scores(candidates, parts, grid)
        p_net = np.concatenate([part_scores.p_net for part_scores in scored])
        rights = [int(np.sum(h)) for h in hit]
        # each count model alone and in mixtures: per weight, per prefix log-probabilities
        scores, chosen = [], 0
        for index, p_count in enumerate(p_counts):
            scores.append(mixture_log_proba(p_net, p_count).mean(axis=1))
            if scores[index].max() > scores[chosen].max():  # the default first: a tie keeps it
                chosen = index
        alone = log_proba(p_counts[0])
        reference = (models[0], 0.0, scores[0])
        likeliest = int(np.argmax(scores[chosen]))  # the weight's place in MIX_GRID
        weight = float(MIX_GRID[likeliest])
        best = mixture_log_proba(p_net, p_counts[chosen])[likeliest]
        if not significant_gain(best - alone, sequence, self.min_gain_se):
            return reference
        right = rights[chosen]
        if weight > 0:
            right_by_weight = np.zeros(len(MIX_GRID), dtype=int)  # how often each is right
            for part, part_scores in zip(parts, scored, strict=True):
                model, _, slot = part_scores.variants[chosen]
                right_by_weight += self._mixture_rights(
                    part.networks, model, slot, part.contexts, part.positions, grid
                )
            right = right_by_weight[likeliest]
            # the likeliest weight is no more often right than its count model alone: the
            # weight most often right takes its place if it is more often right. On the
            # runner's data the likeliest weight (about 0.5) lost its networks on most
            # folds, where the most accurate one (about 0.2) gained (benchmarks/README.md,
            # twenty-sixth round)
            most = int(np.argmax(smoothed(right_by_weight)))
            if not more_accurate(right, rights[chosen]) and most > 0:
                if more_accurate(right_by_weight[most], rights[chosen]):
                    weight, right = float(MIX_GRID[most]), int(right_by_weight[most])
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

    def _pooled_scores(self, candidates, parts, grid):
        """Every part scored (:meth:`_score_part`), and over all of them together: each
        count variant's probability of each known next state, whether it predicts each one
        right, the unit of each (its sequence or group, distinct between parts), and each
        variant's unfitted count model (every part tries the same settings)."""
        scored = [self._score_part(candidates, part, grid) for part in parts]
        p_counts = _joined(part_scores.p_counts for part_scores in scored)
        hit = _joined(part_scores.hits for part_scores in scored)
        sequence = _numbered_apart([part_scores.sequence for part_scores in scored])
        models = [clone(model).set_params(**params) for model, params, _ in scored[0].variants]
        return scored, p_counts, hit, sequence, models

    def _score_part(self, candidates, part, grid):
        """The candidates fitted on ``part``'s training sequences and scored, with its
        networks, on its held-out ones: a :class:`_PartScores`."""
        fitted = fit_candidates(candidates, part.fit_data)
        p_net, p_counts, hit, variants = self._score_counts(
            part.networks, fitted, part.contexts, part.positions, grid
        )
        return _PartScores(p_net, p_counts, hit, variants, part.sequence[part.positions >= 0])

    def _cross_validated_count(self, contexts, targets, target_codes, rows_of, salt, groups):
        """The default count model (unfitted) chosen on ``COUNT_SPLITS`` folds of the
        training sequences, or None when a count model or a network weight is given, or
        when the data hold more than ``CROSS_VALIDATION_CELLS`` probabilities to score.

        Each fold holds out about a tenth of the sequences (by content, or whole ``groups``,
        as the validation split does; :func:`~sklearn_seqlab.splitting.holdout_folds`) and
        fits the candidates on the rest. Over the positions of every fold, the count model alone
        that predicts the next state most often right is kept (the likeliest of those that
        tie) if it gains on ``VariableOrderMarkovClassifier()`` ``min_gain_se`` standard
        errors in log-likelihood, and in how often it is right the larger of ``min_gain_se``
        and ``sqrt(2 ln n)`` standard errors, what the most often right of ``n`` count models
        gains by chance; otherwise the next most often right, and so on, down to that
        default. A held-out sequence (or group) is a unit of the errors. With fewer than two
        folds (fewer groups no larger than a fold) it returns None.
        """
        if self.count_model is not None or self.network_weight is not None:
            return None
        if not self._is_small(contexts):
            return None
        folds = holdout_folds(contexts, target_codes, COUNT_SPLITS, salt + 1, groups)
        if len(folds) < 2:  # too few groups to score on: the validation split chooses
            return None
        parts = [
            ValidationPart([], rows_of(fit_rows), *self._held_out(contexts, targets, valid, groups))
            for fit_rows, valid in folds
        ]
        _, p_counts, hit, sequence, models = self._pooled_scores(
            self._count_candidates(), parts, grid=True
        )
        log = [log_proba(p) for p in p_counts]
        hit = [h.astype(float) for h in hit]
        rights = [int(h.sum()) for h in hit]
        ranked = sorted(range(len(models)), key=lambda i: (rights[i], log[i].mean()), reverse=True)
        # the most often right of many count models is more often right than the default
        # by about sqrt(2 ln n) standard errors by chance alone: on Helpdesk's cases order 2
        # gained 2.8 on the splits, and was less often right on the later cases
        # (benchmarks/README.md, twentieth round)
        by_chance = np.sqrt(2.0 * np.log(len(models)))
        for index in ranked:  # stable: on a tie the default order
            if not more_accurate(rights[index], rights[0]):
                break
            if significant_gain(
                log[index] - log[0], sequence, self.min_gain_se
            ) and significant_gain(hit[index] - hit[0], sequence, max(self.min_gain_se, by_chance)):
                return models[index]
        return models[0]

    def _is_small(self, contexts):
        """Whether the training sequences hold at most ``CROSS_VALIDATION_CELLS`` (position x
        class) probabilities to score: small enough to be scored several times over. With
        ``validate_on="last"`` one position of each sequence is scored (``_chunk_probas``)."""
        scored = len(contexts) if self.validate_on == "last" else int(np.sum(contexts.lengths))
        return scored * len(self.classes_) <= CROSS_VALIDATION_CELLS

    def _count_candidates(self):
        """The count models the validation split chooses from, the default first."""
        if self.count_model is not None:
            return [self.count_model]
        if self.network_weight is not None:  # no validation split to choose on
            return [VariableOrderMarkovClassifier(max_order=3)]
        # fitted with a repetition model, whose weights _count_variants tries without refitting
        most = max(REPETITION_WEIGHTS)
        return [
            VariableOrderMarkovClassifier(max_order=order, repetition_weight=most)
            for order in COUNT_ORDERS
        ]

    def _count_variants(self, held_out, contexts, caches, repetitions=(None, None)):
        """The settings tried with a fitted count model, each with its probabilities.

        A model given, or any model when ``caches`` is None, is tried as it is. The default
        one is tried with every weight of
        ``CACHE_WEIGHTS`` and every order of ``CACHE_ORDERS``, each with every weight of
        ``REPETITION_WEIGHTS`` where it has a cache: ``caches`` (those of
        :func:`~sklearn_seqlab.counts.cache.sequence_caches` up to the largest order) are
        mixed into its counts' prediction one after the other, then its repetition model's
        prediction, so one prediction of each and one set of caches serve every setting,
        and nothing is refitted. ``repetitions`` is a repetition model and its
        :func:`~sklearn_seqlab.counts.repetition.repetition_shares` of ``contexts``, used
        when it is ``held_out``'s: the candidates share it.
        """
        if caches is None:
            return [({}, held_out.predict_proba(contexts))]
        encoded = held_out._encode(contexts)
        proba = held_out._counts_proba(encoded)
        caches_mixed = [({"cache_weight": 0.0}, proba)]  # without a cache the order is moot
        for weight in (w for w in CACHE_WEIGHTS if w > 0):
            mixed = proba
            for order, cache in enumerate(caches, start=1):  # each order extends the last
                mixed = mix_cache(mixed, cache, weight)
                if order in CACHE_ORDERS:
                    caches_mixed.append(({"cache_weight": weight, "cache_order": order}, mixed))
        repeats = None  # fitted only when a repetition weight is tried
        shared, shares = repetitions
        if held_out.repetition_model_ is shared is not None:
            repeats = spread_repetition(shares, proba)
        elif held_out.repetition_model_ is not None:
            repeats = held_out._repetition_proba(encoded, proba)
        # the repetition model refines a cache, and only with one: alone in its place, the
        # likeliest choice on the validation split lost accuracy on Beethoven's quartets and
        # on a process log's inner split (benchmarks/README.md, nineteenth round)
        return [
            (
                {**params, "repetition_weight": weight},
                mixed if weight == 0 else mix_repetition(mixed, repeats, weight),
            )
            for params, mixed in caches_mixed
            for weight in REPETITION_WEIGHTS
            if weight == 0 or params["cache_weight"] > 0
        ]

    def _held_out(self, contexts, targets, rows, groups):
        """The held-out sequences ``rows``, the class that follows each of their positions
        (``_positions``), and the unit of each position for the standard errors: its
        sequence, or its group when ``groups`` are given (the phrases of one song are not
        independent either)."""
        held_out = contexts[rows]
        positions, sequence = self._positions(held_out, targets[rows])
        if groups is not None:
            sequence = group_index(groups[rows])[sequence]
        return held_out, positions, sequence

    def _positions(self, contexts, targets):
        """The class that follows every position of the sequences, and the index of its
        sequence: with ``validate_on="all"`` the mixture must predict the next state at
        every position, not only the last one. With ``"last"`` the class after each whole
        sequence alone; the other positions are ``NO_CLASS``, left out like states never
        seen."""
        classes, _ = next_classes(contexts, targets, self._code_to_class)
        if self.validate_on == "last":
            classes = last_positions_only(classes, contexts.lengths)
        return classes, np.repeat(np.arange(len(contexts)), contexts.lengths)

    def _score_counts(self, networks, fitted, contexts, positions, grid=True):
        """One pass over the validation split, a chunk at a time.

        Returns the networks' averaged probability of each known next state (None without
        networks); for each count variant (each fitted count model's ``_count_variants`` in
        turn), its probability of each known next state, and whether it predicts each one
        right; and each variant's fitted model, settings and place among that model's
        variants.
        """
        p_net, p_counts, hit, variants = [], [], [], []
        chunks = self._chunk_probas(networks, fitted, contexts, positions, grid)
        for classes, net, variants_of in chunks:
            if networks:
                p_net.append(target_proba(net, classes))
            index = 0
            for model in fitted:  # one model's variants at a time: each is a large matrix
                for slot, (params, proba) in enumerate(variants_of(model)):
                    if index == len(variants):
                        variants.append((model, params, slot))
                        p_counts.append([])
                        hit.append([])
                    p_counts[index].append(target_proba(proba, classes))
                    hit[index].append(hits(proba, classes))
                    index += 1
        p_net = np.concatenate(p_net) if networks else None
        p_counts = [np.concatenate(p) for p in p_counts]
        return p_net, p_counts, [np.concatenate(h) for h in hit], variants

    def _mixture_rights(self, networks, model, slot, contexts, positions, grid=True):
        """How many validation next states the mixture of each weight of ``MIX_GRID``
        predicts right: the weight on the networks, the rest on the fitted count ``model``
        with its variant ``slot`` (its place in ``_count_variants``). A second pass, so that
        no pass holds every variant's probabilities."""
        right = np.zeros(len(MIX_GRID), dtype=int)
        chunks = self._chunk_probas(networks, [model], contexts, positions, grid)
        for classes, net, variants_of in chunks:
            proba = variants_of(model)[slot][1]
            right += [n_right(w * net + (1.0 - w) * proba, classes) for w in MIX_GRID]
        return right

    def _chunk_probas(self, networks, fitted, contexts, positions, grid=True):
        """The validation split in chunks of whole sequences, each of about
        ``VALIDATION_CELLS`` probabilities per model.

        Yields, per chunk: the class that follows each of its positions (from
        ``positions``), the networks' averaged probabilities after each position (None
        without networks), and a function that gives a fitted count model's variants there
        (``_count_variants``, in the columns of ``classes_``; only the model as it is when
        ``grid`` is False or a count model was given). The caches are those of
        ``fitted[0]``: every candidate is fitted on the same sequences. So is its repetition
        model's share of each state, computed once for the candidates that share it.
        """
        ends = np.cumsum(contexts.lengths)
        size = max(1, VALIDATION_CELLS // len(self.classes_))
        first = 0
        while first < len(ends):
            start = ends[first - 1] if first else 0
            last = max(first + 1, int(np.searchsorted(ends, start + size, side="right")))
            chunk = contexts[first:last]
            classes = positions[start : ends[last - 1]]
            # only the positions whose next state is scored: with validate_on="last", one
            # a sequence, which spares the count models' variants most of their work
            scored = classes >= 0
            if not scored.any():  # one position, left out as NO_CLASS: every variant listed
                scored[-1] = True
            every = ((c, k) for c in chunk.codes for k in range(1, len(c) + 1))
            prefixes = chunk.with_codes(
                [c[:k] for (c, k), kept in zip(every, scored, strict=True) if kept]
            )
            net = None
            if networks:
                net = np.mean(
                    [
                        self._in_columns(m.classes_, m._proba_after_each_position(chunk)[scored])
                        for m in networks
                    ],
                    axis=0,
                )
            caches, repetitions = None, (None, None)
            if grid and self.count_model is None:
                cached = fitted[0]
                caches = sequence_caches(
                    prefixes,
                    cached._code_to_class,
                    len(cached.classes_),
                    cached.cache_decay,
                    max(CACHE_ORDERS),
                )
                repeated = cached.repetition_model_
                if repeated is not None:
                    encoded = cached._encode(prefixes)
                    shares = repetition_shares(repeated, encoded, cached._code_to_class)
                    repetitions = (repeated, shares)

            def variants_of(model, prefixes=prefixes, caches=caches, repetitions=repetitions):
                return [
                    (params, self._in_columns(model.classes_, proba))
                    for params, proba in self._count_variants(model, prefixes, caches, repetitions)
                ]

            yield classes[scored], net, variants_of
            first = last

    def _in_columns(self, classes, proba):
        """Probabilities over ``classes`` in the columns of ``classes_`` (zero elsewhere)."""
        if np.array_equal(classes, self.classes_):
            return proba
        index = {state: j for j, state in enumerate(self.classes_.tolist())}
        out = np.zeros((len(proba), len(self.classes_)))
        out[:, [index[state] for state in classes.tolist()]] = proba
        return out
