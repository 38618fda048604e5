"""NextStateClassifier: LSTM and attention next-state models as a scikit-learn classifier."""

import os

import numpy as np
import torch

from .._base import BaseNextStateClassifier, keep_previous_on_error
from .._params import RANDOM_STATE, Instance, Integer, Options, Real
from ..splitting import check_groups
from ._skorch_net import PREDICT_BATCH_SIZE, SkorchNetMixin
from .modules import MODULES
from .training import check_callbacks, check_device, stop_checkpointing

# PREDICT_BATCH_SIZE is importable from here as before it moved with the batched predictions
__all__ = ["PREDICT_BATCH_SIZE", "NextStateClassifier"]


class NextStateClassifier(SkorchNetMixin, BaseNextStateClassifier):
    """Predict the next state of a sequence with an LSTM, with or without attention.

    Holds a skorch :class:`~skorch.NeuralNet` (``net_``) built in ``fit`` (by
    :class:`~sklearn_seqlab.neural._skorch_net.SkorchNetMixin`). Parameters are
    named as SeqLab's configs name them. With ``y=None``, each sequence's last state is its
    target and the rest its context; with ``train_on="all"`` every earlier position is trained
    on too, in the same causal forward pass, with padding masked out of the loss.

    Parameters
    ----------
    module : {"lstm", "attention", "transformer"}, default="lstm"
        ``"lstm"``: embedding, LSTM, linear layer read at the last real position.
        ``"attention"``: the same plus attention over the LSTM outputs (causal, padding
        masked), its context vector concatenated with the current output.
        ``"transformer"``: token and learned position embeddings, ``num_layers`` causal
        self-attention blocks (padding masked), a linear layer; see
        :class:`~sklearn_seqlab.neural.transformer.TransformerNextState`.
    embedding_dim : int, default=128
        Size of the state embedding.
    hidden_dim : int, default=256
        Size of the LSTM state.
    num_layers : int, default=1
        Number of stacked LSTM layers.
    dropout : float or "auto", default="auto"
        Dropout probability, in [0, 1). ``"auto"`` takes the module's ``default_dropout``:
        0.3 for the LSTM modules and none for the transformer, which each did best on inner
        splits of McGill's training folds (``benchmarks/README.md``).
    tie_weights : bool, default=True
        Whether the output layer shares the input embedding (Press & Wolf 2017): a class's
        logit is a projection of the readout times that state's embedding, so a rare state
        learns from its occurrences as input and as target.
    repetition_slots : int, default=12
        With a positive number, the network also reads each state's place among its
        sequence's distinct states in the order they first occur (``C G C F`` reads
        ``0 1 0 2``, as ``D A D G`` does), and can predict the next state as the k-th
        distinct state of its context, for the first ``repetition_slots`` of them: a pointer
        at what the sequence played, scored together with the classes
        (:mod:`sklearn_seqlab.neural.repetition`). The count models' repetition model
        reads sequences the same way. 0 leaves it out. On three data sets of seven
        the slots gained 0.017-0.065 accuracy; one was level, three lost up to 0.016, for about
        5% more time per epoch (``benchmarks/README.md``, twenty-third round).
    relative_chords : {"auto", True, False}, default="auto"
        Whether chords are read and predicted by their kind (quality and bass) and the
        intervals of their roots, the same in every key
        (:mod:`sklearn_seqlab.neural.relative_chords`): a chord is embedded by its kind and
        its root's spelled interval above the previous state's root (when a chord) and above
        the context's first chord's, and scored by its kind and its root's interval above
        the context's last state (when a chord) and above its first chord. What is learned
        of a progression in one key then serves all twelve, without transposing the
        training data. States that are no chord symbol (``N``, Roman numerals, activities)
        keep their own embedding and score. ``"auto"`` turns it on when at least 90% of the
        distinct states in the input vocabulary are Harte or plain chord symbols
        (:func:`~sklearn_seqlab.data.parse_chord`) and the events have no extra features: a
        melody note is not transposed with the chords, and a network that reads chords by
        interval alone cannot tell which chord a note goes with. ``True`` needs a class
        that is a chord symbol. Activities named by single letters (``A``, ``B``) read as
        chords. With ``StateEncoder(max_length=...)`` the first chord is that of the states
        kept.
    nhead : int, default=4
        Attention heads of the transformer (``embedding_dim`` must be a multiple of it);
        the LSTM modules ignore it.
    dim_feedforward : int or None, default=None
        Width of the transformer's feed-forward layers; None uses ``hidden_dim``, which is
        then their width (the transformer's own width is ``embedding_dim``). The LSTM modules
        ignore it.
    lr : float, default=3e-3
        Learning rate of Adam.
    batch_size : int, default=64
        Sequences per batch; batches group sequences of similar length.
    max_epochs : int, default=30
        Most passes over the training data.
    patience : int or None, default=3
        Stop when the validation score (``scoring``) has not improved for this many epochs,
        and restore the weights of the best epoch (with ``scoring="accuracy"``, of the last
        epoch that improved). None trains for ``max_epochs``. Needs ``validation_fraction``.
    scoring : {"accuracy", "loss"}, default="accuracy"
        What early stopping watches on the validation split. ``"loss"``: the validation
        loss alone, and no temperature (``temperature_`` is 1).
        ``"accuracy"``: stop once neither the accuracy over every validated position nor the
        loss has improved for ``patience`` epochs, and keep the weights of the last epoch
        that improved one of them (:mod:`sklearn_seqlab.neural.stopping`); then fit a
        temperature on the validation split (``temperature_``) to calibrate the
        probabilities again. On small corpora the loss turns up while the accuracy still
        rises, so the network trains longer and predicts better: on McGill's phrases, split
        by song, the accuracy rose from 0.325 to 0.349 (``benchmarks/README.md``, thirteenth
        round).
    average_weights : bool, default=True
        Whether to validate and predict with a mean of the weights reached at the end of
        each epoch, epoch k weighing k (Polyak averaging, as in stochastic weight
        averaging), while training goes on from the weights the optimiser reached. The
        validation loss, and so early stopping, is then that of the mean
        (:mod:`sklearn_seqlab.neural.averaging`); it goes on improving for longer, so fits
        take more epochs. Each call of :meth:`fit` or :meth:`partial_fit` averages its own
        epochs. On McGill's and SeqLab's chord sequences the mean raised a network's
        accuracy by 0.02 and 0.07 (``benchmarks/README.md``).
    validation_fraction : float or None, default=0.1
        Fraction of the training sequences (whole sequences, never the test data) held out
        to measure the validation loss. Identical sequences stay on one side, except a path
        so common that new data repeat it, which gives validation the same share of its
        copies (:func:`~sklearn_seqlab.splitting.holdout_split`). ``fit(X, groups=...)``
        holds out whole groups instead, such as all the phrases of a song. None uses all
        sequences for training.
    train_on : {"all", "last"}, default="all"
        ``"all"``: learn the next state at every position of each sequence; ``"last"``: only
        the final target (SeqLab's training).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (``ProgressBar``, ``LRScheduler``, ``Checkpoint``, ...). Each
        fit works on deep copies, so the objects passed are never changed. A ``Checkpoint``
        writes into a fresh subdirectory of its ``dirname`` per fit, so parallel fits of a
        search never overwrite each other.
    checkpoint_dir : str or path-like, default=None
        When set, each fit saves its state after every epoch, and its best weights, in a
        subdirectory named by a hash of its parameters and data (``checkpoint_path_``). A fit
        that was killed resumes from there when ``fit`` is called again with the same
        parameters and data; a finished one is loaded instead of trained again. The fits of a
        search or a cross-validation differ in parameters or data, so they never share a
        directory, even in parallel. :meth:`partial_fit` never writes a checkpoint.
    handle_unknown : {"use_unknown", "error"}, default="use_unknown"
        On raw input, what to do with a state not seen in ``fit``: treat it as unknown, or
        raise. On :class:`StateEncoder` output the encoder decides.
    device : str, default="cpu"
        Torch device to train on, e.g. ``"cuda"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order and the validation split; an int makes
        refits on CPU identical. Torch's global random state is left as it was.
    verbose : int, default=0
        1 prints skorch's table of losses per epoch and, in an interactive terminal, a
        progress bar over each epoch's batches (skorch's ``ProgressBar``; none in logs).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The states that can be predicted; with ``y=None``, every state of the vocabulary.
    encoder_ : StateEncoder or None
        The encoder fitted on raw input; None when ``fit`` received encoded sequences.
    n_codes_ : int
        Size of the input vocabulary, padding and unknown codes included.
    unknown_proba_ : float
        Probability that the next state is one never seen in training (a Good-Turing
        estimate); log-loss and perplexity give it to such states.
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module.
    temperature_ : float
        What the logits are divided by before the softmax. With ``scoring="accuracy"`` and a
        validation split, the temperature (from 1/4 to 8) that minimises the log-loss of the
        validation split once training ends, which makes the probabilities of a network
        trained past its best loss calibrated again without changing which state ranks
        first (:mod:`sklearn_seqlab.neural.calibration`); 1.0 otherwise.
    history_ : skorch.History
        Losses and timings per epoch. A fit interrupted with Ctrl-C returns early with the
        epochs done so far and, with early stopping, the best weights so far.
    checkpoint_path_ : str or None
        Where this fit's checkpoint lives, when ``checkpoint_dir`` is set; None after
        :meth:`partial_fit` and in a loaded model.

    See Also
    --------
    StateEncoder : Learns the vocabulary; put it before this classifier in a Pipeline.

    Examples
    --------
    >>> from sklearn_seqlab import NextStateClassifier
    >>> X = [["C", "G", "Am", "F"] * 3] * 20
    >>> # one repeated song: nothing can be held out for early stopping
    >>> clf = NextStateClassifier(
    ...     hidden_dim=16, max_epochs=15, lr=0.05, validation_fraction=None, patience=None,
    ...     random_state=0,
    ... )
    >>> clf.fit(X).predict([["C", "G"], ["C", "G", "Am"]])
    array(['Am', 'F'], dtype=object)
    """

    _parameter_constraints = {
        **BaseNextStateClassifier._parameter_constraints,
        "module": [Options(registry=MODULES)],
        "embedding_dim": [Integer(1)],
        "hidden_dim": [Integer(1)],
        "num_layers": [Integer(1)],
        "dropout": [Options("auto"), Real(0.0, 1.0, closed="left")],
        "tie_weights": [Options(True, False)],
        "repetition_slots": [Integer(0)],
        "relative_chords": [Options("auto", True, False)],
        "nhead": [Integer(1)],
        "dim_feedforward": [Integer(1), None],
        "lr": [Real(0.0, np.inf)],
        "batch_size": [Integer(1)],
        "max_epochs": [Integer(1)],
        "patience": [Integer(1), None],
        "scoring": [Options("accuracy", "loss")],
        "average_weights": [Options(True, False)],
        "validation_fraction": [Real(0.0, 1.0), None],
        "train_on": [Options("all", "last")],
        "callbacks": [Instance((list, tuple), "a list of skorch callbacks"), None],
        "checkpoint_dir": [Instance((str, bytes, os.PathLike), "a path"), None],
        # a string or torch.device here; check_device then asks torch whether it works
        "device": [Instance((str, torch.device), "a string such as 'cpu' or 'cuda'")],
        "random_state": RANDOM_STATE,
        "verbose": [Integer(0)],
    }

    _params_before_they_existed = {
        "average_weights": False,
        "scoring": "loss",
        "repetition_slots": 0,
        "relative_chords": False,
    }

    def __init__(
        self,
        module="lstm",
        *,
        embedding_dim=128,
        hidden_dim=256,
        num_layers=1,
        dropout="auto",
        tie_weights=True,
        repetition_slots=12,
        relative_chords="auto",
        nhead=4,
        dim_feedforward=None,
        lr=3e-3,
        batch_size=64,
        max_epochs=30,
        patience=3,
        scoring="accuracy",
        average_weights=True,
        validation_fraction=0.1,
        train_on="all",
        callbacks=None,
        checkpoint_dir=None,
        handle_unknown="use_unknown",
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.tie_weights = tie_weights
        self.repetition_slots = repetition_slots
        self.relative_chords = relative_chords
        self.nhead = nhead
        self.dim_feedforward = dim_feedforward
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.scoring = scoring
        self.average_weights = average_weights
        self.validation_fraction = validation_fraction
        self.train_on = train_on
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.handle_unknown = handle_unknown
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @keep_previous_on_error
    def fit(self, X, y=None, groups=None):
        """Fit the network, stopping early on a validation split of whole sequences.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Whole sequences of 2 states or more, whose last state is the target; or, with
            ``y``, the contexts.
        y : array-like of shape (n_sequences,), default=None
            The next state of each context; None takes it from ``X``.
        groups : array-like of shape (n_sequences,), default=None
            A label per sequence (a song, a case): the validation split holds out whole
            groups, so that it measures the network on groups it never saw, as a test split
            by group does. None holds out sequences by content
            (:func:`~sklearn_seqlab.splitting.holdout_split`). Unused when
            ``validation_fraction`` is None.

        Returns
        -------
        self : NextStateClassifier
            Fitted; a fit that raises leaves it as it was, except that a non-finite loss
            keeps the new network with its last good weights.
        """
        self._check_params()
        contexts, targets = self._fit_vocabulary(X, y)
        self._fit(contexts, targets, check_groups(groups, len(contexts)))
        return self

    @keep_previous_on_error
    def partial_fit(self, X, y=None, classes=None):
        """Train for one more epoch on ``X``; the first call also learns the vocabulary.

        Each call runs exactly one epoch, as scikit-learn's ``partial_fit`` methods do:
        ``patience`` and the restoring of the best weights apply to :meth:`fit` only. The
        validation split, when ``validation_fraction`` is set, depends on each sequence's
        content, so a sequence held out in one call is held out in the next. It is the split
        by content even after ``fit(X, groups=...)``, whose groups do not carry over. With
        ``scoring="accuracy"`` each call fits ``temperature_`` again on that split, for the
        weights it leaves.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            As in :meth:`fit`.
        y : array-like of shape (n_sequences,), default=None
            As in :meth:`fit`.
        classes : array-like, default=None
            Accepted for scikit-learn compatibility; the states must all occur in the first
            call's data, since the vocabulary is fixed then.

        Returns
        -------
        self : NextStateClassifier
        """
        first_call = not hasattr(self, "net_")
        if first_call:
            self._check_params()
            contexts, targets = self._fit_vocabulary(X, y)
        else:
            contexts, targets = self._targets_for_more_training(X, y)
        if classes is not None:
            missing = set(np.asarray(classes, dtype=object).tolist()) - set(self.classes_.tolist())
            if missing:
                raise ValueError(
                    f"classes holds states {sorted(map(repr, missing))[:10]} that are not among "
                    "the classes learned from the first partial_fit call."
                )
        if first_call:
            self._initialize_net(contexts, targets)
        # checkpoint_dir is for fit: these epochs must not land in a fit's checkpoint
        stop_checkpointing(self.net_)
        self.checkpoint_path_ = None
        with self._seeded():
            self._train(contexts, targets, epochs=1)
        return self

    def __sklearn_is_fitted__(self):
        # the vocabulary is learned before the net is built; fitted means a net exists
        return hasattr(self, "net_")

    def _check_params(self):
        super()._check_params()
        if self.module == "transformer" and self.embedding_dim % self.nhead:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be a multiple of nhead={self.nhead} "
                "for module='transformer'."
            )
        if self.patience is not None and self.validation_fraction is None:
            raise ValueError(
                f"patience={self.patience} stops on a validation score, which needs a "
                "validation split; set validation_fraction, or patience=None."
            )
        check_callbacks(self.callbacks)
        check_device(self.device)

    # building, seeding and feeding the net, and _predict_proba: SkorchNetMixin (_skorch_net.py)
    def _fit(self, contexts, targets, groups=None):
        self._initialize_net(contexts, targets, groups)
        # the checkpoint callbacks resume a killed fit and load a finished one (0 epochs left)
        checkpoint = dict(self.net_.callbacks_).get("checkpoint")
        epochs = self.max_epochs if checkpoint is None else checkpoint.epochs_left(self.max_epochs)
        with self._seeded():
            self._train(contexts, targets, epochs=epochs, groups=groups)

    def sample(self, n_sequences, length, prefix=None, temperature=1.0, random_state=None):
        """Draw new sequences from the model, one state after another.

        Each state is drawn from the predicted next-state distribution given the prefix and
        the states drawn before it. The count baselines' ``sample(X, n_steps)`` continues
        given contexts; this draws ``n_sequences`` sequences from one start.

        Parameters
        ----------
        n_sequences : int
            Number of sequences to draw.
        length : int
            Number of states to draw in each.
        prefix : sequence of states, default=None
            States every sequence starts from; they are not repeated in the output. States
            never seen in training are read as unknown. None draws the first state from the
            training frequency of the states (which needs a model fitted on raw sequences).
        temperature : float, default=1.0
            Divides the logits before the softmax, after the network's own ``temperature_``
            (the two multiply): below 1 sharpens the distribution towards the most probable
            state, above 1 flattens it. Must be > 0.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; an int gives the same sequences on every call.

        Returns
        -------
        sequences : list of list
            ``n_sequences`` lists of ``length`` states from ``classes_``.

        Examples
        --------
        >>> from sklearn_seqlab import NextStateClassifier
        >>> X = [["C", "G", "Am", "F"] * 3] * 20
        >>> clf = NextStateClassifier(
        ...     hidden_dim=16, lr=0.05, validation_fraction=None, patience=None, random_state=0
        ... )
        >>> clf.fit(X).sample(2, 4, prefix=["C"], temperature=0.1, random_state=0)
        [['G', 'Am', 'F', 'C'], ['G', 'Am', 'F', 'C']]
        """
        from ..generation import sample_sequences

        return sample_sequences(
            self,
            n_sequences,
            length,
            prefix=prefix,
            temperature=temperature,
            random_state=random_state,
        )

    def attention_weights(self, X):
        """Per sequence, the attention weights over its positions for the next-state prediction.

        Only for modules with attention (``module="attention"``). The weights are those the
        prediction after the whole sequence (at its last real step) gives to each of its
        states; padding is excluded. :func:`sklearn_seqlab.inspection.plot_attention` draws
        them along a sequence as a heat map.

        Parameters
        ----------
        X : iterable of sequences or EncodedSequences
            Contexts.

        Returns
        -------
        weights : list of ndarray
            One array per sequence, as long as the sequence (or the encoder's
            ``max_length``, which keeps the last states), summing to 1.
        """
        from ..inspection import attention_weights

        return attention_weights(self, X)
