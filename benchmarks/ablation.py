"""What each technique earns, measured on training data only.

For each chosen outer fold of McGill's SeqLab protocol (``real_data.py``), the fold's
*training* phrases are split again: 80% to fit, 20% to score (each held-out phrase's last
chord from the rest, contexts of one chord not scored). The outer test fold is never read, so
these figures may guide the package's defaults without leaking into ``real_data.py``'s.

With ``--phrases`` (``mcgill_phrases.tsv``), the outer folds are those grouped by song, and
each one's training songs are split again 80/20 by song.

With ``--helpdesk`` instead, Tax's protocol (``real_data.py``) is applied to Helpdesk's
training cases alone: their first 2/3 fitted, every prefix of their last third scored.
``--helpdesk-features`` adds features of each event's timestamp (``real_data.py``), read by
every model through ``StateEncoder(target=0)``: the networks take them as extra inputs, the
count models read the activities alone.

With ``--seqlab-csv`` (and ``--features``, the first predicted), SeqLab's protocol on one of
its CSV files (``real_data.py``) takes the place of McGill's text file: each chosen outer
fold's training sections are split again 80/20 the same way. With several features every
model reads them through ``StateEncoder(target=0)``.

Usage::

    python benchmarks/ablation.py --mcgill ../shared/data/mcgill_seqlab.txt \\
        [--folds 0 1] [--configs kn net ...] [--out ablation.md]
    python benchmarks/ablation.py --helpdesk ../shared/data/helpdesk.csv \\
        --configs kn kn2 kn4 kn5 net net_seed1 net_seed2 hybrid3 hybrid9 prefix_counts
"""

import argparse
import functools
import time
from pathlib import Path

import numpy as np
import torch
from real_data import (
    TIME_FEATURES,
    augmented,
    helpdesk_cases,
    mcgill_splits,
    seqlab_csv_splits,
    spelled_as_predicted,
    tax_split,
)
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import (
    HybridClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.chords import chord_parts
from sklearn_seqlab.data import read_table
from sklearn_seqlab.hybrid import default_network
from sklearn_seqlab.metrics import next_state_accuracy


def net(**params):
    return NextStateClassifier(random_state=0, **params)


CONFIGS = {
    "kn": ("KN order 3", lambda: VariableOrderMarkovClassifier(max_order=3)),
    "net": (
        "network, defaults (tied, dropout auto: 0.3, 12 repetition slots, relative chords)",
        lambda: net(),
    ),
    "net_loss": (
        "network, scoring='loss' (stopping on the loss alone, the default before)",
        lambda: net(scoring="loss"),
    ),
    "untied": ("network, tie_weights=False", lambda: net(tie_weights=False)),
    "patience5": (
        "network, patience=5, max_epochs=60",
        lambda: net(patience=5, max_epochs=60),
    ),
    "no_dropout": ("network, dropout=0", lambda: net(dropout=0.0)),
    "parts": (
        "network, chord parts as extra inputs",
        lambda: make_pipeline(StateEncoder(state_features=chord_parts), net()),
    ),
    "small": ("network, embedding 64, hidden 128", lambda: net(embedding_dim=64, hidden_dim=128)),
    "ensemble3": (
        "3 networks averaged",
        lambda: HybridClassifier(n_networks=3, network_weight=1.0, random_state=0),
    ),
    "hybrid1": ("hybrid, 1 network + KN", lambda: HybridClassifier(n_networks=1, random_state=0)),
    "hybrid3": ("hybrid, 3 networks + KN", lambda: HybridClassifier(random_state=0)),
    "hybrid3_acc": (
        "hybrid, 3 networks stopped on accuracy and calibrated + KN",
        lambda: HybridClassifier(NextStateClassifier(average_weights=False), random_state=0),
    ),
    "fixed_half": (
        "hybrid, 3 networks + KN, weight fixed at 0.5",
        lambda: HybridClassifier(network_weight=0.5, random_state=0),
    ),
    "kn_aug": ("KN order 3, 12 keys", lambda: augmented(VariableOrderMarkovClassifier())),
    "net_aug": ("network, 12 keys", lambda: augmented(net())),
    "hybrid1_aug": (
        "hybrid, 1 network + KN, 12 keys",
        lambda: augmented(HybridClassifier(n_networks=1, random_state=0)),
    ),
}


class PrefixCounts:
    """The commonest next state after the whole prefix, as counted in training (KN order 3
    for a prefix never seen): what a model that learns the training data exactly predicts."""

    def fit(self, X):
        self.counts_ = {}
        for seq in X:
            for k in range(1, len(seq)):
                follow = self.counts_.setdefault(tuple(seq[:k]), {})
                follow[seq[k]] = follow.get(seq[k], 0) + 1
        self.fallback_ = VariableOrderMarkovClassifier(max_order=3).fit(X)
        return self

    def predict(self, X):
        fallback = self.fallback_.predict(X)
        counted = [self.counts_.get(tuple(c)) for c in X]
        # ties go to the state counted first, as Counter.most_common does
        return [max(f, key=f.get) if f else b for f, b in zip(counted, fallback, strict=True)]


def transformer(**params):
    return net(module="transformer", **params)


def kn(order, with_keys=False):
    model = VariableOrderMarkovClassifier(max_order=order)
    return augmented(model) if with_keys else model


CONFIGS.update(
    {f"kn{order}": (f"KN order {order}", functools.partial(kn, order)) for order in (2, 4, 5, 6)}
    | {
        f"kn{order}_aug": (f"KN order {order}, 12 keys", functools.partial(kn, order, True))
        for order in (2, 4, 5)
    }
    | {
        "net_seed1": ("network, defaults, seed 1", lambda: NextStateClassifier(random_state=1)),
        "net_seed2": ("network, defaults, seed 2", lambda: NextStateClassifier(random_state=2)),
        "hybrid9": (
            "hybrid, 9 networks + KN",
            lambda: HybridClassifier(n_networks=9, random_state=0),
        ),
        "ensemble3_d1": (
            "3 networks averaged, dropout 0.1",
            lambda: HybridClassifier(
                NextStateClassifier(dropout=0.1), network_weight=1.0, random_state=0
            ),
        ),
        "ensemble3_untied": (
            "3 networks averaged, tie_weights=False",
            lambda: HybridClassifier(
                NextStateClassifier(tie_weights=False), network_weight=1.0, random_state=0
            ),
        ),
        "hybrid3_slots": (
            "hybrid, 3 networks with repetition_slots=12 + its count models",
            lambda: HybridClassifier(
                default_network().set_params(repetition_slots=12), random_state=0
            ),
        ),
        "hybrid3_absolute": (
            "hybrid, 3 networks with relative_chords=False + its count models",
            lambda: HybridClassifier(
                default_network().set_params(relative_chords=False), random_state=0
            ),
        ),
        "hybrid3_kn5": (
            "hybrid, 3 networks + KN order 5",
            lambda: HybridClassifier(
                count_model=VariableOrderMarkovClassifier(max_order=5), random_state=0
            ),
        ),
        "kn_cache": (
            "KN order 3, cache weight 0.2",
            lambda: VariableOrderMarkovClassifier(max_order=3, cache_weight=0.2),
        ),
        "kn5_cache": (
            "KN order 5, cache weight 0.2",
            lambda: VariableOrderMarkovClassifier(max_order=5, cache_weight=0.2),
        ),
        "kn_cache_aug": (
            "KN order 3, cache weight 0.2, 12 keys",
            lambda: augmented(VariableOrderMarkovClassifier(max_order=3, cache_weight=0.2)),
        ),
        "kn5_cache_aug": (
            "KN order 5, cache weight 0.2, 12 keys",
            lambda: augmented(VariableOrderMarkovClassifier(max_order=5, cache_weight=0.2)),
        ),
        "hybrid1_no_avg": (
            "hybrid, 1 network (weights not averaged) + KN",
            lambda: HybridClassifier(
                NextStateClassifier(average_weights=False), n_networks=1, random_state=0
            ),
        ),
        "hybrid3_no_avg": (
            "hybrid, 3 networks (weights not averaged) + KN",
            lambda: HybridClassifier(NextStateClassifier(average_weights=False), random_state=0),
        ),
        "ensemble3_no_avg": (
            "3 networks averaged, weights not averaged",
            lambda: HybridClassifier(
                NextStateClassifier(average_weights=False), network_weight=1.0, random_state=0
            ),
        ),
        "ensemble9": (
            "9 networks averaged",
            lambda: HybridClassifier(n_networks=9, network_weight=1.0, random_state=0),
        ),
        "prefix_counts": ("the commonest next state after the whole prefix", PrefixCounts),
        "transformer": ("transformer, dropout auto (none)", transformer),
        "transformer_d3": ("transformer, dropout 0.3", lambda: transformer(dropout=0.3)),
        "transformer_d1": ("transformer, dropout 0.1", lambda: transformer(dropout=0.1)),
        "transformer_d1lr1": (
            "transformer, dropout 0.1, lr 1e-3",
            lambda: transformer(dropout=0.1, lr=1e-3),
        ),
        "transformer_d1l2lr1": (
            "transformer, dropout 0.1, 2 blocks, lr 1e-3",
            lambda: transformer(dropout=0.1, num_layers=2, lr=1e-3),
        ),
    }
)


# single networks, one setting away from the defaults: what an ensemble's members might gain
NET_VARIANTS = {
    "net_h128": ("network, hidden 128", {"hidden_dim": 128}),
    "net_h512": ("network, hidden 512", {"hidden_dim": 512}),
    "net_e256": ("network, embedding 256", {"embedding_dim": 256}),
    "net_d1": ("network, dropout 0.1", {"dropout": 0.1}),
    "net_d5": ("network, dropout 0.5", {"dropout": 0.5}),
    "net_lr1": ("network, lr 1e-3", {"lr": 1e-3}),
    "net_b32": ("network, batch 32", {"batch_size": 32}),
    "net_l2": ("network, 2 layers", {"num_layers": 2}),
    "net_p6": ("network, patience 6", {"patience": 6}),
    "net_no_avg": ("network, weights not averaged", {"average_weights": False}),
    "attention_no_avg": (
        "attention network, weights not averaged",
        {"module": "attention", "average_weights": False},
    ),
    "attention": ("attention network, defaults", {"module": "attention"}),
    "transformer_no_avg": (
        "transformer, weights not averaged",
        {"module": "transformer", "average_weights": False},
    ),
    "net_no_slots": ("network, repetition_slots=0 (the default before)", {"repetition_slots": 0}),
    "attention_no_slots": (
        "attention network, repetition_slots=0 (the default before)",
        {"module": "attention", "repetition_slots": 0},
    ),
    "net_absolute": (
        "network, relative_chords=False (the default before)",
        {"relative_chords": False},
    ),
    "attention_absolute": (
        "attention network, relative_chords=False (the default before)",
        {"module": "attention", "relative_chords": False},
    ),
}
CONFIGS.update(
    {
        name: (label, functools.partial(net, **params))
        for name, (label, params) in NET_VARIANTS.items()
    }
)


# networks trained a fixed number of epochs on all their data, without early stopping, alone,
# averaged, and in the hybrid; "_avg" with their weights averaged over the epochs, the others
# without (as measured before weight averaging existed)
def fixed_epochs(epochs, average):
    return NextStateClassifier(
        max_epochs=epochs, patience=None, validation_fraction=None, average_weights=average
    )


def _avg(average):
    return ("_avg", ", weights averaged") if average else ("", "")


CONFIGS.update(
    {
        f"ensemble{n}_e{epochs}{_avg(average)[0]}": (
            f"{n} networks averaged, {epochs} epochs each, no early stopping{_avg(average)[1]}",
            functools.partial(
                HybridClassifier,
                fixed_epochs(epochs, average),
                n_networks=n,
                network_weight=1.0,
                random_state=0,
            ),
        )
        for n in (3, 9)
        for epochs in (6, 10, 15, 20, 30)
        for average in (False, True)
    }
    | {
        f"net_e{epochs}{_avg(average)[0]}": (
            f"network, {epochs} epochs, no early stopping{_avg(average)[1]}",
            lambda epochs=epochs, average=average: fixed_epochs(epochs, average).set_params(
                random_state=0
            ),
        )
        for epochs in (10, 15, 20, 30)
        for average in (False, True)
    }
    | {
        f"hybrid3_e{epochs}{_avg(average)[0]}": (
            f"hybrid, 3 networks of {epochs} epochs (no early stopping{_avg(average)[1]}) + KN",
            functools.partial(HybridClassifier, fixed_epochs(epochs, average), random_state=0),
        )
        for epochs in (10, 15, 20)
        for average in (False, True)
    }
    | {
        f"net_no_avg_seed{seed}": (
            f"network, weights not averaged, seed {seed}",
            functools.partial(NextStateClassifier, average_weights=False, random_state=seed),
        )
        for seed in (1, 2)
    }
    # the output layer tied or not, over seeds (small vocabularies, benchmarks/README.md)
    | {
        f"net_seed{seed}": (
            f"network, defaults, seed {seed}",
            functools.partial(NextStateClassifier, random_state=seed),
        )
        for seed in (3, 4)
    }
    | {
        f"untied_seed{seed}": (
            f"network, tie_weights=False, seed {seed}",
            functools.partial(NextStateClassifier, tie_weights=False, random_state=seed),
        )
        for seed in (1, 2, 3, 4)
    }
    | {
        f"patience5_seed{seed}": (
            f"network, patience=5, max_epochs=60, seed {seed}",
            functools.partial(NextStateClassifier, patience=5, max_epochs=60, random_state=seed),
        )
        for seed in (1, 2)
    }
)


# the rule that keeps the hybrid's best mixture: any gain (0), or 3 standard errors (default 2)
CONFIGS.update(
    {
        f"hybrid3_se{gain:g}": (
            f"hybrid, 3 networks + KN, min_gain_se={gain:g}",
            functools.partial(HybridClassifier, min_gain_se=gain, random_state=0),
        )
        for gain in (0.0, 3.0)
    }
)


# the cache's weight and decay, with KN of order 3 and 5 (the settings of vomm*_cache)
def cached_kn(order, weight, decay, cache_order=1):
    """The label and factory of Kneser-Ney with a cache (of ``cache_order``)."""
    longer = f", cache order {cache_order}" if cache_order > 1 else ""
    label = f"KN order {order}, cache weight {weight}{longer}, decay {decay}"
    params = {"max_order": order, "cache_weight": weight, "cache_decay": decay}
    return label, functools.partial(
        VariableOrderMarkovClassifier, **params, cache_order=cache_order
    )


CONFIGS.update(
    {
        f"kn{order}_c{weight}_d{decay}": cached_kn(order, weight, decay)
        for order in (3, 5)
        for weight in (0.1, 0.2, 0.3)
        for decay in (1.0, 0.7, 0.5)
    }
    # the n-gram cache (fifteenth round): the followers of the context's last states as well
    | {
        f"kn{order}_c{weight}_o{cache_order}" + ("" if decay == 0.7 else f"_d{decay}"): cached_kn(
            order, weight, decay, cache_order
        )
        for order in (3, 5)
        for weight in (0.1, 0.2, 0.3)
        for cache_order in (2, 3, 4)
        for decay in (0.7, 1.0)
    }
)


def inner_split(train, groups=None):
    """80% of an outer fold's training phrases to fit, 20% to score; with ``groups`` (the
    song of each phrase), 80% of the training songs to fit and 20% to score."""
    if groups is None:
        fit_rows, score_rows = next(KFold(5, shuffle=True, random_state=0).split(train))
    else:
        fit_rows, score_rows = next(GroupKFold(5).split(train, groups=groups))
    fit = [train[i] for i in fit_rows if len(train[i]) >= 2]
    scored = [train[i] for i in score_rows if len(train[i]) > 2]
    return fit, [p[:-1] for p in scored], [p[-1] for p in scored]


def grouped_inner_splits(path, folds):
    """McGill grouped by song (``real_data.py``'s outer folds): each chosen outer fold's
    training songs split again by song."""
    phrases, songs = read_table({"path": path, "phrase": "phrase", "group": "song_id"})
    songs = np.asarray(songs)
    outer = list(GroupKFold(7).split(phrases, groups=songs))
    return {k: inner_split([phrases[i] for i in outer[k][0]], songs[outer[k][0]]) for k in folds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--mcgill", help="path to mcgill_seqlab.txt")
    data.add_argument("--phrases", help="path to mcgill_phrases.tsv (grouped by song)")
    data.add_argument("--helpdesk", help="path to helpdesk.csv")
    data.add_argument("--seqlab-csv", help="path to one of SeqLab's CSVs (seqlab_mcgill.csv)")
    parser.add_argument("--features", nargs="+", default=["**harte"])
    parser.add_argument("--helpdesk-features", nargs="+", default=[], choices=list(TIME_FEATURES))
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.helpdesk:  # the training cases of Tax's split, split again the same way
        cases = helpdesk_cases(args.helpdesk, args.helpdesk_features)
        args.folds = [0]
        splits = {0: tax_split(cases[: int(round(len(cases) * 2 / 3))])}
    elif args.phrases:
        splits = grouped_inner_splits(args.phrases, args.folds)
    else:
        if args.mcgill:
            outer = list(mcgill_splits(args.mcgill, 7))
        else:
            outer = list(seqlab_csv_splits(args.seqlab_csv, 7, args.features))
        splits = {k: inner_split(outer[k][0]) for k in args.folds}
    several = bool(args.helpdesk_features) or (args.seqlab_csv and len(args.features) > 1)
    if several:  # each model predicts the events' first feature
        splits = {k: (fit, c, [t[0] for t in targets]) for k, (fit, c, targets) in splits.items()}
    lines = [
        "| technique | " + " | ".join(f"fold {k}" for k in args.folds) + " | mean | fit s |",
        "|---|" + "---|" * (len(args.folds) + 2),
    ]
    for name in args.configs:
        label, make = CONFIGS[name]
        scores, seconds = [], []
        for k in args.folds:
            fit, contexts, targets = splits[k]
            model = make()
            if several:
                model = make_pipeline(StateEncoder(target=0), model)
            start = time.perf_counter()
            model.fit(fit)
            seconds.append(time.perf_counter() - start)
            truth = spelled_as_predicted(model, targets)  # a 12-key model respells chords
            scores.append(next_state_accuracy(truth, model.predict(contexts)))
        cells = " | ".join(f"{s:.3f}" for s in scores)
        row = f"| {label} | {cells} | {np.mean(scores):.3f} | {np.median(seconds):.0f} |"
        lines.append(row)
        print(row, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
