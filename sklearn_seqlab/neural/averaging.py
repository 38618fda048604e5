"""Weight averaging: validate and predict with a mean of the weights after each epoch.

On small corpora a network's weights keep moving between epochs long after its validation
loss stops improving, and every epoch's weights are a slightly different, overconfident
model. Their mean is a better one: Polyak averaging, as in stochastic weight averaging
(Izmailov et al. 2018, with a constant learning rate) and as scikit-learn's
``SGDClassifier(average=True)``. The weights after epoch k count k times (polynomial-decay
averaging, Shamir and Zhang 2013), so the poor weights of the first epochs fade from the
mean. On McGill's inner splits the mean reached a validation loss no single epoch reached,
and raised the accuracy of a network by 0.02 (``benchmarks/README.md``).

Training goes on from the weights the optimiser reached; the average is loaded into the
module only while it is evaluated: for the validation loss (which early stopping then
watches), and at the end of training. So ``valid_loss`` in the history is that of the
average, and the weights early stopping keeps as the best are averages too.
"""

from skorch.callbacks import Callback


class WeightAveraging(Callback):
    """Keep a running mean of the module's parameters at the end of every epoch, epoch k
    weighing k.

    The mean is loaded into the module before each validation pass and when training ends;
    the weights training goes on from are put back when the next epoch begins. Buffers
    that are not parameters (the transformer's count of trained positions) are taken from
    the latest weights, not averaged.

    Attributes
    ----------
    count_ : int
        Epochs averaged so far in this training call.
    average_ : dict of str to Tensor or None
        The module's state with its parameters averaged.
    trained_ : dict of str to Tensor or None
        The weights training goes on from while the average is loaded; None while the
        training weights are in the module.
    """

    def on_train_begin(self, net, **kwargs):
        # each call of fit (or partial_fit) averages its own epochs, as patience counts its own
        self.count_, self.average_, self.trained_ = 0, None, None

    def on_epoch_begin(self, net, **kwargs):
        if self.trained_ is not None:  # training goes on from the optimiser's weights
            net.module_.load_state_dict(self.trained_)
            self.trained_ = None

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if not training and self.trained_ is None:  # the epoch's first validation batch
            self._load_average(net)

    def on_epoch_end(self, net, **kwargs):
        if self.trained_ is None:  # no validation this epoch: average now
            self._load_average(net)

    def _load_average(self, net):
        """Add the module's weights to the mean, and load the mean in their place."""
        module = net.module_
        trained = {k: v.detach().clone() for k, v in module.state_dict().items()}
        # every name of a shared parameter (a tied output layer holds the embedding too):
        # a name left out would load the latest weights over the mean
        parameters = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        self.count_ += 1
        # epoch k weighs k: the running mean of weights k / (1 + 2 + ... + k)
        step = 2.0 / (self.count_ + 1)
        if self.average_ is None:
            self.average_ = {k: v.clone() for k, v in trained.items()}
        else:
            for key, value in trained.items():
                if key in parameters:
                    self.average_[key] += (value - self.average_[key]) * step
                else:
                    self.average_[key] = value.clone()
        self.trained_ = trained
        module.load_state_dict(self.average_)

    def state(self):
        """What a checkpoint saves to resume the average exactly."""
        return {"count": self.count_, "average": self.average_, "trained": self.trained_}

    def load_state(self, state):
        """Resume from :meth:`state` as a checkpoint saved it."""
        self.count_ = int(state["count"])
        self.average_, self.trained_ = state["average"], state["trained"]
