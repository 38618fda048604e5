"""Next-state accuracy on real data, under protocols that do not leak, beside published figures.

Protocols (see ``../shared/data/README.md``):

- **McGill, SeqLab's protocol** (``mcgill_seqlab.txt``): duplicate phrases removed, 7-fold
  ``KFold(shuffle=True, random_state=42)`` over phrases; each test phrase's last chord is
  predicted from the rest; phrases whose context has length <= 1 are not scored.
- **McGill, grouped by song** (``mcgill_phrases.tsv``, or any file of its columns, whose
  tables are then named after it; optional): ``GroupKFold(7)`` over ``song_id``, so no song
  has phrases on both sides; the same scoring.
- **Helpdesk, Tax et al.'s protocol** (``helpdesk.csv``): cases in file order, the first 2/3
  train, the last 1/3 test; every test prefix of length >= 2 that has a following event is
  scored on that event. With ``--helpdesk-features``, each event also carries features of its
  timestamp (``hour``, ``weekday``, ``month``), read by the networks through
  ``StateEncoder(target=0)``; the count models read the activities alone.

Unlike SeqLab, no test data takes part in model choice: hyper-parameters are fixed below,
before looking at any test fold, and the neural models stop early on a validation split of
the training sequences only.

Usage::

    python benchmarks/real_data.py --mcgill ../shared/data/mcgill_seqlab.txt \\
        --helpdesk ../shared/data/helpdesk.csv [--phrases ../shared/data/mcgill_phrases.tsv] \\
        [--models markov vomm lstm attention] [--folds 7] [--out results.md]
"""

import argparse
import functools
import inspect
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline

from sklearn_seqlab import (
    HybridClassifier,
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.augmentation import KeyTransposer
from sklearn_seqlab.chords import ChordNormalizer
from sklearn_seqlab.dataset_specs import read_table
from sklearn_seqlab.metrics import next_state_accuracy, perplexity, top_k_accuracy
from sklearn_seqlab.readers import read_seqlab_csv, read_txt, sequences_from_frame

# Fixed a priori for small vocabularies and short sequences; not tuned on any test fold.
NEURAL = dict(
    embedding_dim=64,
    hidden_dim=256,
    dropout=0.3,
    lr=3e-3,
    batch_size=64,
    max_epochs=40,
    patience=4,
    validation_fraction=0.1,
    random_state=0,
)

TIME_FEATURES = {
    "hour": lambda times: times.dt.hour,
    "weekday": lambda times: times.dt.day_of_week,
    "month": lambda times: times.dt.strftime("%Y-%m"),
}
"""Features of an event's timestamp that ``--helpdesk-features`` can add."""


class ContentSplitNetwork(NextStateClassifier):
    """A network that stops early on the split by content even when ``fit`` gets groups: in a
    hybrid fitted with ``--fit-groups``, only the mixture is then chosen on whole songs."""

    def fit(self, X, y=None, groups=None):
        return super().fit(X, y)


def augmented(model):
    """Spellings merged on all data; training sequences also transposed into 12 keys."""
    return make_pipeline(ChordNormalizer(), StateEncoder(augment=KeyTransposer()), model)


MODELS = {
    "markov": lambda: MarkovClassifier(alpha=1.0),
    "vomm": lambda: VariableOrderMarkovClassifier(max_order=3),
    "lstm": lambda: NextStateClassifier("lstm", **NEURAL),
    "attention": lambda: NextStateClassifier("attention", **NEURAL),
    "transformer": lambda: NextStateClassifier("transformer", **NEURAL),
    # the defaults of the package, nothing set but the seed
    "default_lstm": lambda: NextStateClassifier(random_state=0),
    "default_attention": lambda: NextStateClassifier("attention", random_state=0),
    # the default before the thirteenth round: stopping on the validation loss alone
    "default_lstm_loss": lambda: NextStateClassifier(scoring="loss", random_state=0),
    # more patience and epochs (fourteenth round, not kept)
    "default_lstm_p5": lambda: NextStateClassifier(patience=5, max_epochs=60, random_state=0),
    "default_transformer": lambda: NextStateClassifier("transformer", random_state=0),
    "hybrid": lambda: HybridClassifier(random_state=0),
    # the mixture chosen on the state that ends each held-out sequence (twenty-fifth round),
    # the default since; before, on the next state after every position
    "hybrid_last": lambda: HybridClassifier(validate_on="last", random_state=0),
    "hybrid_all": lambda: HybridClassifier(validate_on="all", random_state=0),
    "vomm_aug": lambda: augmented(VariableOrderMarkovClassifier(max_order=3)),
    # the networks on the copies too: as measured before augment_networks="auto"
    "hybrid_aug": lambda: augmented(
        HybridClassifier(n_networks=1, augment_networks=True, random_state=0)
    ),
    "hybrid3_aug": lambda: augmented(HybridClassifier(augment_networks=True, random_state=0)),
    "hybrid_last_aug": lambda: augmented(
        HybridClassifier(validate_on="last", augment_networks=True, random_state=0)
    ),
    # the copies train the count model alone: the networks read chords by interval
    "hybrid_last_aug_count": lambda: augmented(
        HybridClassifier(validate_on="last", augment_networks=False, random_state=0)
    ),
    # nine networks, on the original sequences (augment_networks="auto"), in parallel
    "hybrid9_aug": lambda: augmented(HybridClassifier(n_networks=9, n_jobs=2, random_state=0)),
    "hybrid_val20_aug": lambda: augmented(
        HybridClassifier(validation_fraction=0.2, n_jobs=2, random_state=0)
    ),
    "hybrid1": lambda: HybridClassifier(n_networks=1, random_state=0),
    # networks that stop once neither their validation accuracy nor their loss improves
    "hybrid_acc": lambda: HybridClassifier(
        NextStateClassifier(average_weights=False, scoring="accuracy"), random_state=0
    ),
    # networks trained a fixed number of epochs, without early stopping
    "hybrid_e20": lambda: HybridClassifier(
        NextStateClassifier(average_weights=False, patience=None, max_epochs=20),
        random_state=0,
    ),
    # with --fit-groups: the mixture on whole songs, the networks' early stopping by content
    "hybrid_mixture_by_group": lambda: HybridClassifier(
        ContentSplitNetwork(average_weights=False), random_state=0
    ),
    "hybrid9": lambda: HybridClassifier(n_networks=9, random_state=0),
    # the count model's order chosen on inner splits of the training folds (ablation.py)
    "vomm5": lambda: VariableOrderMarkovClassifier(max_order=5),
    # the cache's weight and decay chosen on the inner splits of ablation.py
    "vomm_cache": lambda: VariableOrderMarkovClassifier(max_order=3, cache_weight=0.2),
    "vomm5_cache": lambda: VariableOrderMarkovClassifier(max_order=5, cache_weight=0.2),
    "vomm5_cache_aug": lambda: augmented(
        VariableOrderMarkovClassifier(max_order=5, cache_weight=0.2)
    ),
    # the largest cache weight the hybrid may choose: the count model at its most favourable
    "vomm5_cache3_aug": lambda: augmented(
        VariableOrderMarkovClassifier(max_order=5, cache_weight=0.3)
    ),
    # the n-gram cache (fifteenth round): the followers of the context's last states as well
    "vomm5_ngram": lambda: VariableOrderMarkovClassifier(
        max_order=5, cache_weight=0.2, cache_order=3
    ),
    "vomm5_ngram3": lambda: VariableOrderMarkovClassifier(
        max_order=5, cache_weight=0.3, cache_order=3
    ),
    "vomm5_ngram_aug": lambda: augmented(
        VariableOrderMarkovClassifier(max_order=5, cache_weight=0.2, cache_order=3)
    ),
    # the repetition model (nineteenth round), at the weight the inner splits chose most
    "vomm5_ngram_rep": lambda: VariableOrderMarkovClassifier(
        max_order=5, cache_weight=0.2, cache_order=3, repetition_weight=0.4
    ),
    "vomm5_ngram_rep_aug": lambda: augmented(
        VariableOrderMarkovClassifier(
            max_order=5, cache_weight=0.2, cache_order=3, repetition_weight=0.4
        )
    ),
    "hybrid_kn5": lambda: HybridClassifier(
        count_model=VariableOrderMarkovClassifier(max_order=5), random_state=0
    ),
    "vomm5_aug": lambda: augmented(VariableOrderMarkovClassifier(max_order=5)),
    # a pure ensemble: 3 networks of 30 epochs on all their data, weights averaged over the
    # epochs, no early stopping (chosen on ablation.py's inner splits)
    "ensemble3_e30": lambda: HybridClassifier(
        NextStateClassifier(max_epochs=30, patience=None, validation_fraction=None),
        network_weight=1.0,
        random_state=0,
    ),
    "default_lstm_no_avg": lambda: NextStateClassifier(average_weights=False, random_state=0),
    # the hybrids with networks that average their weights (the default network does not)
    "hybrid_avg": lambda: HybridClassifier(NextStateClassifier(), random_state=0),
    "hybrid1_avg": lambda: HybridClassifier(NextStateClassifier(), n_networks=1, random_state=0),
    "hybrid_aug5": lambda: augmented(
        HybridClassifier(
            n_networks=1,
            count_model=VariableOrderMarkovClassifier(max_order=5),
            augment_networks=True,
            random_state=0,
        )
    ),
}
LABELS = {
    "markov": "Markov (order 1)",
    "vomm": "variable-order Markov (KN, order 3)",
    "lstm": "NextStateClassifier lstm (issue-3 settings)",
    "attention": "NextStateClassifier attention (issue-3 settings)",
    "transformer": "NextStateClassifier transformer (issue-3 settings)",
    "default_lstm": "NextStateClassifier() defaults",
    "default_attention": "NextStateClassifier('attention') defaults",
    "default_transformer": "NextStateClassifier('transformer') defaults",
    "hybrid": "HybridClassifier() defaults (3 nets + KN)",
    "hybrid_last": 'HybridClassifier(validate_on="last")',
    "hybrid_all": 'HybridClassifier(validate_on="all"), the default before the twenty-fifth round',
    "vomm_aug": "KN order 3, 12 keys",
    "hybrid_aug": "HybridClassifier(n_networks=1), 12 keys",
    "hybrid3_aug": "HybridClassifier() defaults (3 nets + KN), 12 keys",
    "hybrid_last_aug": 'HybridClassifier(validate_on="last"), 12 keys',
    "hybrid9_aug": "HybridClassifier(n_networks=9), 12 keys for its count model",
    "hybrid_val20_aug": "HybridClassifier(validation_fraction=0.2), 12 keys for its count model",
    "hybrid_last_aug_count": 'HybridClassifier(validate_on="last", augment_networks=False), '
    "12 keys for its count model",
    "hybrid1": "HybridClassifier(n_networks=1)",
    "hybrid_acc": "HybridClassifier(), networks stopped on accuracy or loss",
    "default_lstm_loss": "NextStateClassifier(scoring='loss')",
    "default_lstm_p5": "NextStateClassifier(patience=5, max_epochs=60)",
    "hybrid_e20": "HybridClassifier(), networks of 20 epochs without early stopping",
    "hybrid_mixture_by_group": "HybridClassifier(), networks stopped by content",
    "hybrid9": "HybridClassifier(n_networks=9)",
    "vomm5": "KN order 5",
    "vomm_cache": "KN order 3, cache 0.2",
    "vomm5_cache": "KN order 5, cache 0.2",
    "vomm5_cache_aug": "KN order 5, cache 0.2, 12 keys",
    "vomm5_cache3_aug": "KN order 5, cache 0.3, 12 keys",
    "hybrid_kn5": "HybridClassifier(count_model=KN order 5)",
    "vomm5_ngram": "KN order 5, n-gram cache 0.2 (cache_order=3)",
    "vomm5_ngram3": "KN order 5, n-gram cache 0.3 (cache_order=3)",
    "vomm5_ngram_aug": "KN order 5, n-gram cache 0.2 (cache_order=3), 12 keys",
    "vomm5_ngram_rep": "KN order 5, n-gram cache 0.2 (cache_order=3), repetition 0.4",
    "vomm5_ngram_rep_aug": "KN order 5, n-gram cache 0.2 (cache_order=3), repetition 0.4, 12 keys",
    "vomm5_aug": "KN order 5, 12 keys",
    "hybrid_aug5": "HybridClassifier(n_networks=1, count_model=KN order 5), 12 keys",
    "ensemble3_e30": "3 networks averaged, 30 epochs each, weights averaged, no early stopping",
    "default_lstm_no_avg": "NextStateClassifier(average_weights=False)",
    "hybrid_avg": "HybridClassifier(NextStateClassifier()): networks averaging their weights",
    "hybrid1_avg": "HybridClassifier(NextStateClassifier(), n_networks=1)",
}

# Published next-state accuracies (shared/data/README.md). SeqLab's used the test fold for
# early stopping and trial choice, so they are optimistic.
PUBLISHED = {
    "mcgill": {
        "markov": 0.140,
        "vomm": 0.277,
        "lstm": 0.191,
        "attention": 0.329,
        "transformer": 0.321,  # SeqLab's TransformerModel; its GPTModel scored 0.301
    },
    "helpdesk": {"lstm": 0.7123},
}


def mcgill_splits(path, n_folds):
    """SeqLab's protocol on the deduplicated phrases."""
    phrases = [list(p) for p in dict.fromkeys(tuple(p) for p in read_txt(path))]
    folds = KFold(n_folds, shuffle=True, random_state=42).split(phrases)
    for train, test in folds:
        yield _last_state_split([phrases[i] for i in train], [phrases[i] for i in test])


def grouped_splits(path, n_folds):
    """Phrases split by song, so that no song is on both sides; each split also gives the
    song of every training phrase, which ``--fit-groups`` passes to ``fit``."""
    phrases, songs = read_table({"path": path, "phrase": "phrase", "group": "song_id"})
    folds = GroupKFold(n_folds).split(phrases, groups=songs)
    for train, test in folds:
        train = [i for i in train if len(phrases[i]) >= 2]
        split = _last_state_split([phrases[i] for i in train], [phrases[i] for i in test])
        yield (*split, [songs[i] for i in train])


def _last_state_split(train, test):
    train = [p for p in train if len(p) >= 2]  # a phrase of one chord has no next chord
    test = [p for p in test if len(p) > 2]  # contexts of length <= 1 are not scored
    return train, [p[:-1] for p in test], [p[-1] for p in test]


def seqlab_csv_splits(path, n_folds, features):
    """SeqLab's protocol on one of its CSV files: distinct sections, 7-fold, last state.

    With one feature the states are its values; with several, each event is a tuple of them
    and the first is predicted (SeqLab's ``many_to_one``).
    """
    if len(features) == 1:
        sections = read_seqlab_csv(path, target=features[0])
    else:
        sections = read_seqlab_csv(path, features=features)
    # distinct by the predicted feature, so every feature set is scored on the same sections
    # (the first of each, with its melody): the protocol of the chords-alone figure
    first = {}
    for section in sections:
        key = tuple(e if len(features) == 1 else e[0] for e in section)
        first.setdefault(key, list(section))
    distinct = list(first.values())
    folds = KFold(n_folds, shuffle=True, random_state=42).split(distinct)
    for train, test in folds:
        train, contexts, targets = _last_state_split(
            [distinct[i] for i in train], [distinct[i] for i in test]
        )
        if len(features) > 1:  # the predicted feature of the next event
            targets = [t[0] for t in targets]
        yield train, contexts, targets


def helpdesk_cases(path, features=(), by_time=False):
    """Helpdesk's cases in file order: lists of activities, or with ``features`` (names of
    ``TIME_FEATURES``) lists of ``(activity, feature, ...)`` events.

    The file's order of cases is not the order of time: the cases of its last third start
    over the same months as the others (January 2010 to September 2012). ``by_time`` orders
    the cases by their first event instead (a stable sort), so that a split in this order
    tests on later cases only.
    """
    log = pd.read_csv(path, parse_dates=["CompleteTimestamp"])
    for name in features:
        log[name] = TIME_FEATURES[name](log["CompleteTimestamp"])
    cases = sequences_from_frame(
        log, sequence="CaseID", state="ActivityID", features=list(features) or None
    )
    if by_time:
        start = log.groupby("CaseID", sort=False)["CompleteTimestamp"].first()
        cases = cases.loc[start.sort_values(kind="stable").index]
    return cases.tolist()


def helpdesk_splits(path, features=(), by_time=False):
    """Tax et al.'s protocol: every test prefix of length >= 2 with a following event."""
    train, contexts, targets = tax_split(helpdesk_cases(path, features, by_time))
    yield train, contexts, [t[0] for t in targets] if features else targets


def add_dataset_arguments(parser):
    """The options that name the data sets of :func:`named_splits` (several files each for
    phrases and logs), its number of folds and the outer folds to run."""
    parser.add_argument("--mcgill", help="mcgill_seqlab.txt: SeqLab's protocol")
    parser.add_argument("--seqlab-csv", help="one of SeqLab's CSVs: its sections, **harte")
    parser.add_argument("--phrases", nargs="*", default=[], help="phrases by song (TSVs)")
    parser.add_argument("--helpdesk", nargs="*", default=[], help="logs with Helpdesk's columns")
    parser.add_argument("--folds", type=int, default=7, help="outer folds (7 as SeqLab)")
    parser.add_argument("--only", type=int, nargs="+", help="run these outer folds only")


def datasets_of(parser, args):
    """:func:`named_splits` of the files that ``args`` name (:func:`add_dataset_arguments`);
    a parser error when they name none."""
    datasets = named_splits(args.mcgill, args.seqlab_csv, args.phrases, args.helpdesk, args.folds)
    if not datasets:
        parser.error("give at least one of --mcgill, --seqlab-csv, --phrases, --helpdesk")
    return datasets


def named_splits(mcgill=None, seqlab_csv=None, phrases=(), logs=(), n_folds=7):
    """The protocols of the files given, as (title, splits): McGill's SeqLab protocol, a
    SeqLab CSV's sections on ``**harte``, phrases grouped by song, event logs by Tax et
    al.'s split. For the scripts that run one model over several data sets."""
    datasets = []
    if mcgill:
        datasets.append(("McGill, SeqLab's protocol", mcgill_splits(mcgill, n_folds)))
    if seqlab_csv:
        splits = seqlab_csv_splits(seqlab_csv, n_folds, ["**harte"])
        datasets.append((f"{seqlab_csv}, **harte", splits))
    datasets += [(f"{path}, by song", grouped_splits(path, n_folds)) for path in phrases]
    datasets += [(f"{path}, Tax protocol", helpdesk_splits(path)) for path in logs]
    return datasets


def tax_split(cases):
    """Cases in order: the first 2/3 to fit, every prefix of 2 or more events of the rest
    scored on the event that follows it."""
    cut = int(round(len(cases) * 2 / 3))
    train, test = cases[:cut], cases[cut:]
    contexts, targets = [], []
    for case in test:
        for k in range(2, len(case)):
            contexts.append(case[:k])
            targets.append(case[k])
    return [c for c in train if len(c) >= 2], contexts, targets


def _metrics(targets, proba, classes, unknown_proba):
    return {
        "accuracy": next_state_accuracy(targets, classes[proba.argmax(axis=1)]),
        "top3": top_k_accuracy(targets, proba, classes, k=3),
        "perplexity": perplexity(targets, proba, classes, unknown_proba=unknown_proba),
    }


def evaluate(make_model, splits, fit_groups=None):
    """Fit and score on each split; return per-split metrics, by variant.

    A hybrid is also scored as the pure average of its networks (its ``networks_``, the
    mixture weight set to 1) and as its first network alone, from the same fit. With
    ``fit_groups="song"``, a split's fourth item (the group of each training sequence) is
    passed to the fit of a model that takes ``groups``; with ``"phrase"``, each training
    sequence is a group of its own (a random split, without the groups by content); with
    ``"blocks"``, the training sequences in their order fall into ``FIT_BLOCKS`` contiguous
    groups, so that the hybrid validates on a block of consecutive sequences (whole songs when
    the file holds a song's phrases together).
    """
    rows = {}
    for train, contexts, targets, *groups in splits:
        model = make_model()
        fit_params = {}
        if fit_groups == "song" and groups:
            fit_params = _group_params(model, groups[0])
        elif fit_groups == "phrase":
            fit_params = _group_params(model, list(range(len(train))))
        elif fit_groups == "blocks":
            fit_params = _group_params(model, contiguous_blocks(len(train)))
        start = time.perf_counter()
        model.fit(train, **fit_params)
        fit_seconds = time.perf_counter() - start
        final = model[-1] if hasattr(model, "steps") else model
        history = getattr(final, "history_", None)
        if isinstance(final, HybridClassifier):
            history = final.networks_[0].history_
        targets = spelled_as_predicted(model, targets)
        proba = model.predict_proba(contexts)
        row = _metrics(targets, proba, model.classes_, final.unknown_proba_)
        row.update(fit_s=fit_seconds, epochs=None if history is None else len(history))
        row["predicted"] = model.classes_[proba.argmax(axis=1)].tolist()
        row["targets"] = list(targets)
        if isinstance(final, HybridClassifier):
            row["network_weight"] = final.network_weight_
            encoded = model[:-1].transform(contexts) if hasattr(model, "steps") else contexts
            encoded = final._encode(encoded)
            nets = [final._aligned(net, encoded) for net in final.networks_]
            for label, proba in (
                ("networks averaged", np.mean(nets, axis=0)),
                ("one network", nets[0]),
            ):
                variant = _metrics(targets, proba, final.classes_, final.unknown_proba_)
                rows.setdefault(label, []).append(variant)
        rows.setdefault("", []).append(row)
        # progress on stderr: a long run's folds can be read before it ends
        done = {label: r[-1]["accuracy"] for label, r in rows.items()}
        print(f"  split {len(rows['']) - 1}: {done}, fit {fit_seconds:.0f} s", file=sys.stderr)
    return {label: pd.DataFrame(r) for label, r in rows.items()}


FIT_GROUP_TITLES = {
    "song": ", songs as fit groups",
    "phrase": ", phrases as fit groups",
    "blocks": ", 100 blocks in order as fit groups",
}

FIT_BLOCKS = 100
"""The contiguous groups of ``--fit-groups blocks``: the hybrid's validation split
(``validation_fraction=0.1``) holds out about ten of them, enough to take an error over; with
ten blocks it would hold out one, and no gain could be trusted."""


def contiguous_blocks(n_sequences):
    """A label per sequence: the sequences in their order cut into ``FIT_BLOCKS`` blocks."""
    return (np.arange(n_sequences) * FIT_BLOCKS // n_sequences).tolist()


def _group_params(model, groups):
    """``groups`` as a fit parameter of ``model``'s last step, if that step takes one."""
    final = model[-1] if hasattr(model, "steps") else model
    if "groups" not in inspect.signature(final.fit).parameters:
        return {}
    return {f"{model.steps[-1][0]}__groups" if hasattr(model, "steps") else "groups": groups}


def spelled_as_predicted(model, targets):
    """The targets spelled as ``model`` predicts them.

    An augmented pipeline (:func:`augmented`) respells every chord with ``ChordNormalizer``
    before it learns or reads it, so it predicts ``Bb:maj`` where the data say ``B-:maj``
    (SeqLab's CSVs spell flats with ``-``) and ``F#:maj`` where they say ``Gb:maj``. Scored
    against the raw spelling, each such target would count as wrong whatever the model said.
    """
    if hasattr(model, "steps") and isinstance(model[0], ChordNormalizer):
        return [seq[0] for seq in model[0].transform([[t] for t in targets])]
    return targets


def save_predictions(directory, title, name, folds, table):
    """Write the targets and a model's predictions of each fold, for ``paired.py``."""
    path = Path(directory) / f"{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_')}__{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "data": title,
        "model": LABELS[name],
        "folds": folds,
        "targets": [_plain(targets) for targets in table["targets"]],
        "predicted": [_plain(p) for p in table["predicted"]],
    }
    path.write_text(json.dumps(record))
    print(f"  predictions written to {path}", file=sys.stderr)


def _plain(states):
    """States as JSON can hold them (numpy scalars become Python ones)."""
    return [s.item() if isinstance(s, np.generic) else s for s in states]


def _many_to_one(make_model):
    """The model after an encoder that predicts the first feature of the events."""
    return make_pipeline(StateEncoder(target=0), make_model())


def _cell(values, digits=3):
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcgill", help="path to mcgill_seqlab.txt")
    parser.add_argument(
        "--phrases",
        help="path to mcgill_phrases.tsv, or another file of its columns (song_id, phrase): "
        "phrases split grouped by song",
    )
    parser.add_argument(
        "--helpdesk",
        help="path to helpdesk.csv, or to another log with its columns (CaseID, ActivityID, "
        "CompleteTimestamp), such as Tax et al.'s BPI logs",
    )
    parser.add_argument("--seqlab-csv", help="path to one of SeqLab's CSVs (seqlab_mcgill.csv)")
    parser.add_argument(
        "--features",
        nargs="+",
        default=["**harte"],
        help="features of --seqlab-csv; the first is predicted, the others are inputs",
    )
    parser.add_argument(
        "--helpdesk-features",
        nargs="+",
        default=[],
        choices=list(TIME_FEATURES),
        help="features of each event's timestamp, extra inputs of the networks (--helpdesk only)",
    )
    parser.add_argument(
        "--helpdesk-by-time",
        action="store_true",
        help="order Helpdesk's cases by their start, not as in the file, before the 2/3 cut",
    )
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--folds", type=int, default=7, help="number of folds (7 as SeqLab)")
    parser.add_argument(
        "--only", type=int, nargs="+", help="run these folds only (0-based), e.g. to share cores"
    )
    parser.add_argument(
        "--fit-groups",
        nargs="?",
        const="song",
        choices=["song", "phrase", "blocks"],
        help="--phrases: pass each training phrase's song to fit as groups, so that the "
        "hybrid's and the networks' validation splits hold out whole songs; 'phrase': each "
        "phrase a group of its own, a random split without the groups by content; 'blocks' "
        "(any data set): the training sequences in file order cut into 100 contiguous groups",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is steadiest)")
    parser.add_argument("--out", help="also write the markdown table to this file")
    parser.add_argument(
        "--save-predictions",
        metavar="DIR",
        help="write each model's predictions to DIR, for a paired test with paired.py",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    datasets = []
    if args.mcgill:
        datasets.append(("McGill, SeqLab protocol", "mcgill", mcgill_splits, args.mcgill))
    if args.phrases:  # another corpus in mcgill_phrases.tsv's columns is named after its file
        corpus = Path(args.phrases).stem
        corpus = "McGill" if corpus == "mcgill_phrases" else corpus
        title = f"{corpus}, grouped by song"
        datasets.append((title, None, grouped_splits, args.phrases))
    if args.helpdesk:
        log = Path(args.helpdesk).stem
        title = "Helpdesk" if log.lower() == "helpdesk" else log
        title += ", Tax protocol" + (", cases by time" if args.helpdesk_by_time else "")
        title += "".join(f" + {f}" for f in args.helpdesk_features)
        datasets.append((title, "helpdesk", None, args.helpdesk))
    if args.seqlab_csv:
        title = f"{Path(args.seqlab_csv).name}, {' + '.join(args.features)}"
        splits = functools.partial(seqlab_csv_splits, features=args.features)
        datasets.append((title, None, splits, args.seqlab_csv))
    if not datasets:
        parser.error("give at least one of --mcgill, --phrases, --helpdesk, --seqlab-csv")
    suffix = FIT_GROUP_TITLES.get(args.fit_groups, "")
    datasets = [(title + suffix, *rest) for title, *rest in datasets]
    if args.helpdesk_features and len(datasets) > 1:
        parser.error("--helpdesk-features applies to --helpdesk alone; run the others apart")
    models = dict(MODELS)
    several = args.seqlab_csv and len(args.features) > 1
    if several or args.helpdesk_features:  # events of several features
        if any(hasattr(models[name](), "steps") for name in args.models):
            parser.error("the augmented models read chords alone, not events of features")
        models = {n: functools.partial(_many_to_one, MODELS[n]) for n in args.models}

    lines = [
        "| data | model | accuracy | top-3 | perplexity | fit s | epochs | published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for title, anchor, make_splits, path in datasets:
        for name in args.models:
            if make_splits is None:
                splits = helpdesk_splits(path, args.helpdesk_features, args.helpdesk_by_time)
            else:
                splits = make_splits(path, args.folds)
            splits = list(splits)
            folds = [i for i in range(len(splits)) if not args.only or i in args.only]
            splits = [splits[i] for i in folds]
            tables = evaluate(models[name], splits, args.fit_groups)
            if args.save_predictions:
                save_predictions(args.save_predictions, title, name, folds, tables[""])
            published = PUBLISHED.get(anchor, {}).get(name)
            for variant, table in tables.items():
                epochs = ""
                if "epochs" in table and not table["epochs"].isna().all():
                    epochs = f"{table['epochs'].median():.0f}"
                fit = f"{table['fit_s'].median():.1f}" if "fit_s" in table else ""
                label = LABELS[name] + (f": {variant}" if variant else "")
                if "network_weight" in table:
                    label += f" (network weight {_cell(table['network_weight'], 2)})"
                row = (
                    f"| {title} | {label} | {_cell(table['accuracy'])} | "
                    f"{_cell(table['top3'])} | {_cell(table['perplexity'], 1)} | "
                    f"{fit} | {epochs} | "
                    f"{'' if published is None or variant else f'{published:.3f}'} |"
                )
                lines.append(row)
                print(row, flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
