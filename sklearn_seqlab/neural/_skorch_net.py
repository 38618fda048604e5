"""How :class:`~sklearn_seqlab.NextStateClassifier` drives its skorch net.

The net is built from the parameters and the learned vocabulary (afresh in ``fit``, again
for a loaded model file), seeded from ``random_state``, fed datasets of whole sequences that
its ``train_split`` splits, and asked for batched predictions. The estimator's module keeps
its parameters and public methods; this one keeps the machinery behind them.
"""

import contextlib
import copy
import os
import sys

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import ProgressBar
from skorch.history import History

from .._base import NonFiniteLossError, derive_targets
from .._fitted_checks import check_instance, check_integer, check_real
from .._targets import last_only, next_classes, per_context
from ..encoded import N_RESERVED, NO_CLASS, PAD, UNK, EncodedSequences
from ..splitting import UnsplitSequences, WholeSequenceSplit
from .averaging import WeightAveraging
from .batching import SequenceDataset, bucket_iterator, pad_right
from .calibration import fit_temperature
from .modules import MODULES, SequenceCrossEntropy
from .relative_chords import chord_geometry, reads_by_interval
from .stopping import stopping_callbacks
from .training import (
    FiniteLossGuard,
    LoadCheckpoint,
    ResumableCheckpoint,
    fit_fingerprint,
    fresh_checkpoint_dir,
)

# Batches of ~256 length-sorted sequences are the fastest for CPU inference measured here;
# 1024 is slower again.
PREDICT_BATCH_SIZE = 256

PREDICT_CELLS = 2**22
"""The most (position x class) probabilities a batch scored at every position holds (32 MB
in float64)."""


class SkorchNetMixin:
    """The skorch net of a :class:`~sklearn_seqlab.NextStateClassifier`: built, seeded, fed,
    restored from a model file, and read in batches.

    Reads the estimator's parameters and the vocabulary its ``fit`` learned; sets ``net_``,
    ``history_``, ``checkpoint_path_`` and the random streams ``_rng`` and ``_split_salt``.
    """

    # the random streams go on where they were, so partial_fit continues alike after loading
    _saved_private = ("_rng", "_split_salt")
    # a path on the machine that saved the model: a loaded model writes no checkpoint
    _derived_attributes = ("checkpoint_path_",)

    def __setstate__(self, state):
        if "net_" in state:  # a pickle of a network fitted before temperature scaling
            state = {"temperature_": 1.0, **state}
        super().__setstate__(state)

    def _restore_derived(self):
        """Build ``net_`` again from the parameters and vocabulary, and load into it the
        weights and optimizer state that ``load_model`` set as ``net_``."""
        super()._restore_derived()
        check_instance(self.history_, "history_", History)
        # files saved before temperature scaling hold none: their networks used none
        self.temperature_ = check_real(
            getattr(self, "temperature_", 1.0), "temperature_", 0.0, np.inf, closed=False
        )
        saved = self.net_
        if not hasattr(saved, "load_into"):
            raise ValueError(f"net_ must hold a network's weights, not a {type(saved).__name__}.")
        self.checkpoint_path_ = None
        streams = None  # format version 1 kept none: they start afresh, as in fit
        if hasattr(self, "_rng"):
            check_instance(self._rng, "_rng", np.random.RandomState)
            check_integer(self._split_salt, "_split_salt", 0)
            streams = (self._rng.get_state(), self._split_salt)
        self._reset_random_streams()
        device = self.device
        self.device = None  # skorch leaves a module where it was built when device is None
        try:
            with torch.device("meta"):  # shapes first: a crafted hidden_dim allocates nothing
                self._build_net()
            saved.check_fits(self.net_)
        finally:
            self.device = device
        self._reset_random_streams()
        self._build_net()  # on the CPU when the device saved is not on this machine
        saved.load_into(self.net_)
        self.net_.history = self.history_
        if streams is not None:
            self._rng.set_state(streams[0])
            self._split_salt = streams[1]

    def _seeded(self):
        """A context in which torch is seeded from ``random_state``; torch's RNG is restored
        afterwards, so fitting never disturbs the user's own random streams."""
        return _seeded(int(self._rng.randint(np.iinfo(np.int32).max)))

    def _initialize_net(self, contexts, targets, groups=None):
        """Seed, name this fit's checkpoint directory, and build a fresh net."""
        self._reset_random_streams()
        self.checkpoint_path_ = None
        if self.checkpoint_dir is not None:
            # groups change the split, and without a split they change nothing
            groups = None if self.validation_fraction is None else groups
            params = self.get_params()
            # parameters at the value they had before they existed: the names checkpoints had
            before_they_existed = (
                ("scoring", "loss"),
                ("repetition_slots", 0),
                ("relative_chords", False),
            )
            for name, before in before_they_existed:
                if params[name] == before:
                    del params[name]
            key = fit_fingerprint(params, contexts, targets, self.classes_, groups)
            self.checkpoint_path_ = os.path.join(os.fspath(self.checkpoint_dir), key)
        self._build_net()

    def _reset_random_streams(self):
        """Start the random streams of a fit (torch seeds, validation split) from random_state."""
        self._rng = check_random_state(self.random_state)
        self._split_salt = int(self._rng.randint(np.iinfo(np.int32).max))

    def _build_net(self):
        """Build and initialise ``net_`` from the parameters and the learned vocabulary."""
        stopping, stopper = [], None
        if self.patience is not None:
            # a checkpoint puts back its best file instead: the best of every session
            load_best = self.checkpoint_path_ is None
            stopping = stopping_callbacks(self.scoring, self.patience, load_best)
            stopper = dict(stopping)["early_stopping"]
        # the score first, so that the user's callbacks and the checkpoint can read it
        callbacks = stopping[:-1]
        callbacks += [fresh_checkpoint_dir(copy.deepcopy(cb)) for cb in self.callbacks or []]
        callbacks.append(("finite_loss", FiniteLossGuard()))
        averaging = WeightAveraging() if self.average_weights else None
        if self.checkpoint_path_ is not None:
            checkpoint = ResumableCheckpoint(
                self.checkpoint_path_, early_stopping=stopper, averaging=averaging
            )
            # loaded before any other callback starts, saved after the user's callbacks ran
            callbacks.insert(0, ("resume", LoadCheckpoint(checkpoint)))
            callbacks.append(("checkpoint", checkpoint))
        if averaging is not None:
            # first: it starts afresh before a checkpoint resumes it, and puts the average in
            # place before the other callbacks read or save the weights at an epoch's end
            callbacks.insert(0, ("weight_averaging", averaging))
        callbacks.extend(stopping[-1:])
        if self.verbose and sys.stderr.isatty():  # a bar per epoch in a terminal, not in logs
            callbacks.append(("progress_bar", ProgressBar()))
        self.net_ = NeuralNet(
            module=MODULES[self.module],
            **{f"module__{name}": value for name, value in self._module_params().items()},
            criterion=SequenceCrossEntropy,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=bucket_iterator,
            iterator_train__shuffle=True,
            iterator_valid=bucket_iterator,
            train_split=WholeSequenceSplit(self.validation_fraction),
            callbacks=callbacks,
            device=self.device,
            verbose=self.verbose,
        )
        with self._seeded():
            self.net_.initialize()

    def _module_params(self):
        """The arguments of the torch module: the vocabulary learned, and the parameters."""
        params = {
            "n_codes": self.n_codes_,
            "n_classes": len(self.classes_),
            "feature_sizes": self.feature_sizes_,
            "class_codes": self._class_codes() if self.tie_weights else None,
            # no row holds more distinct states than the codes other than padding
            "repetition_slots": min(self.repetition_slots, self.n_codes_ - 1),
            "code_classes": self._code_to_class.tolist() if self.repetition_slots else None,
            "chord_geometry": self._chord_geometry(),
        }
        # parameters named alike here and in the module; the transformer adds its own
        module = MODULES[self.module]
        shared = ("embedding_dim", "hidden_dim", "num_layers", "dropout")
        extra = getattr(module, "estimator_params", ())
        params |= {name: getattr(self, name) for name in shared + tuple(extra)}
        if self.dropout == "auto":
            params["dropout"] = getattr(module, "default_dropout", 0.3)
        return params

    def _chord_geometry(self):
        """The spelled root and kind of each input code and class when the network reads
        chords by their intervals (``relative_chords``; :func:`~.relative_chords.chord_geometry`),
        else None."""
        states = [] if self._input_states is None else self._input_states.tolist()
        if not reads_by_interval(self.relative_chords, states, bool(self.feature_sizes_)):
            return None
        geometry = chord_geometry(states, self.classes_.tolist())
        if max(geometry.class_kinds, default=-1) < 0:
            raise ValueError(
                "relative_chords=True needs chord symbols among the states predicted (Harte "
                "such as 'C:min7' or plain such as 'Cm7'), and none of the classes seen in fit "
                "is one; use relative_chords='auto' or False."
            )
        return geometry

    def _class_codes(self):
        """The input code of each class; a class missing from the input vocabulary (possible
        when ``y`` is given) shares the unknown code's embedding and keeps its own bias."""
        codes = np.full(len(self.classes_), UNK, dtype=np.int64)
        is_class = self._code_to_class != NO_CLASS
        codes[self._code_to_class[is_class]] = np.flatnonzero(is_class)
        return codes.tolist()

    def _train(self, contexts, targets, epochs, groups=None):
        try:
            self.net_.partial_fit(self._unsplit(contexts, targets, groups), epochs=epochs)
        except NonFiniteLossError:  # the weights kept are trained too: calibrate them
            self._calibrate(contexts, targets, groups)
            raise
        finally:  # also after a failed epoch, so that the kept weights are usable
            self.history_ = self.net_.history
            self.net_.module_.eval()
        self._calibrate(contexts, targets, groups)

    def _calibrate(self, contexts, targets, groups):
        """Fit ``temperature_`` on the validation split (see calibration.py): a network
        stopped on accuracy is trained past its best loss, and overconfident."""
        self.temperature_ = 1.0
        if self.scoring == "accuracy" and self.validation_fraction is not None:
            unsplit = self._unsplit(contexts, targets, groups)
            valid = self.net_.train_split.validation_set(unsplit)
            self.temperature_ = fit_temperature(self.net_, valid)

    def _training_dataset(self, contexts, targets):
        """Inputs and per-position targets: every position, or only the last."""
        classes, offsets = next_classes(contexts, targets, self._code_to_class)
        if self.train_on == "last":
            classes = last_only(classes, offsets)
        return SequenceDataset(contexts.codes, per_context(classes, offsets))

    def _split(self, contexts, targets, groups=None):
        """Training and validation datasets, as the net's ``train_split`` makes them.

        See :func:`~sklearn_seqlab.splitting.holdout_split`: identical sequences, and a
        sequence and the sequences equal to its augmented copies, stay on one side, except
        that a common path gives validation a share of its copies. Only the training side's
        augmented copies are trained on. With ``groups``, whole groups are held out instead.
        """
        return self.net_.train_split(self._unsplit(contexts, targets, groups))

    def _unsplit(self, contexts, targets, groups=None):
        """The data of a training call, before ``train_split`` holds out whole sequences."""
        # with copies, y was derived, so a class is its code minus the reserved codes
        target_codes = targets + N_RESERVED if contexts.augmented is not None else targets

        def make_dataset(rows, with_copies):
            if with_copies:
                return self._training_dataset(*self._with_copies(contexts, targets, rows))
            return self._training_dataset(contexts[rows], targets[rows])

        return UnsplitSequences(contexts, target_codes, self._split_salt, make_dataset, groups)

    def _targets_for_more_training(self, X, y):
        """Encode the data of a later ``partial_fit`` call, refusing states not yet known."""
        check_is_fitted(self)
        contexts, target_states = derive_targets(X, y)
        if not isinstance(contexts, EncodedSequences):
            new = {s for seq in contexts for s in seq} - set(self.encoder_.states_.tolist())
            if new:
                raise ValueError(
                    f"partial_fit cannot learn new states {sorted(map(repr, new))[:10]}: the "
                    "vocabulary was fixed by the first call. Refit with fit() on all the data."
                )
        index = {s: i for i, s in enumerate(self.classes_.tolist())}
        missing = {t for t in target_states if t not in index}
        if missing:
            raise ValueError(
                f"partial_fit got next states {sorted(map(repr, missing))[:10]} that are not "
                "among classes_; the classes are fixed by the first call."
            )
        targets = np.array([index[t] for t in target_states], dtype=np.int64)
        return self._encode(contexts, checked=True), targets

    def _predict_proba(self, contexts):
        module = self.net_.module_
        module.eval()
        lengths = contexts.lengths
        order = np.argsort(lengths, kind="stable")
        proba = np.empty((len(contexts), len(self.classes_)), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(order), PREDICT_BATCH_SIZE):
                rows = order[start : start + PREDICT_BATCH_SIZE]
                tokens = pad_right([contexts.codes[i] for i in rows], PAD).to(self.net_.device)
                logits = module.forward_last(tokens).double() / self.temperature_
                proba[rows] = torch.softmax(logits, dim=-1).cpu().numpy()
        return proba

    def _proba_after_each_position(self, contexts):
        """The next-state probabilities after every position of each context.

        Row ``offsets[i] + t`` is ``_predict_proba`` of the prefix ``contexts[i][: t + 1]``
        (``offsets`` the cumulative lengths), from one pass over each context: every
        module reads a position's past alone (causal LSTM, attention and transformer), so
        its output at ``t`` is its prediction after the prefix, equal up to rounding. Scoring
        each prefix as a context of its own costs the square of the lengths.
        """
        module = self.net_.module_
        module.eval()
        lengths = contexts.lengths
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        proba = np.empty((offsets[-1], len(self.classes_)), dtype=np.float64)
        order = np.argsort(lengths, kind="stable")
        # a batch's logits are (B, T, C): bound the cells, not the sequences
        per_batch = max(1, PREDICT_CELLS // (len(self.classes_) * max(1, lengths.max())))
        with torch.no_grad():
            for start in range(0, len(order), min(per_batch, PREDICT_BATCH_SIZE)):
                rows = order[start : start + min(per_batch, PREDICT_BATCH_SIZE)]
                tokens = pad_right([contexts.codes[i] for i in rows], PAD).to(self.net_.device)
                logits = module(tokens).double() / self.temperature_  # (B, T, C)
                batch = torch.softmax(logits, dim=-1).cpu().numpy()
                for j, i in enumerate(rows):
                    proba[offsets[i] : offsets[i + 1]] = batch[j, : lengths[i]]
        return proba


@contextlib.contextmanager
def _seeded(seed):
    """Torch's CPU random generator forked and seeded inside, restored on exit."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
