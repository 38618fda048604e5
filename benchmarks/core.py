"""Core benchmark: NextStateClassifier against a SeqLab-style training loop.

Measures, in one run and side by side, training speed, inference speed and held-out
accuracy of :class:`~sklearn_seqlab.NextStateClassifier` against a plain torch loop that
trains the way SeqLab does, on a seeded synthetic second-order Markov chain. It prints
markdown tables of the medians and whether the issue's targets are met:

- epoch time of ``NextStateClassifier(train_on="all")`` at most 0.6x the reference's;
- training pairs learned per second at least 60x the reference's;
- batched ``predict_proba`` at least 3x the throughput of one sequence at a time.

Notes
-----
Data: ``make_markov_sequences(4000, n_states=60, order=2, min_length=8, max_length=64,
concentration=0.03, return_transitions=True, random_state=0)``. 1,000 sequences are held
out, the other 3,000 are trained on. The best possible accuracy is that of the true chain:
for each held-out sequence, the argmax of ``transitions[a, b]`` (``a, b`` the last two
states of its context) against its true last state; ``concentration=0.03`` puts it near 0.5.

Reference (SeqLab's training, bug included): embedding -> LSTM -> linear; random batches
right-padded with 0 to the longest sequence of the batch; one target per sequence (its last
state; the rest is the context); the output read at ``[:, -1]``, which is a padding step for
most rows (SeqLab's bug, kept on purpose); Adam and cross-entropy. Its accuracy is measured
as SeqLab's evaluator does it, one sequence at a time (so that read is not padding there).

Ours: ``NextStateClassifier(train_on="all", validation_fraction=None, patience=None)`` with
the same sizes (embedding 128, hidden 256 and 512, 1 and 2 layers, batch 64) and learning
rate, trained one epoch per ``partial_fit`` call, on the same 3,000 raw sequences.

Timing: per config, the epochs of the two alternate (reference first on even epochs, ours
first on odd ones), so both see the same load of a shared machine; medians over epochs.
Ours is timed from ``history_[:, "dur"]`` (the epoch itself; ``partial_fit``'s input checks
and encoding are logged apart), the reference by wall clock around its epoch. Process CPU
time is reported too, as a cross-check less sensitive to other processes. A pair is one
(context -> next state) target in the loss: the reference has 1 per sequence per epoch, ours
``len(sequence) - 1``; pairs/s = pairs per epoch / median epoch time.

Accuracy: the first config (embedding 128, hidden 256, 1 layer) trains for
``--accuracy-epochs`` (10) epochs in the timing run, both models; no validation split and
no early stopping, so both get the same budget on the same sequences.
``NextStateClassifier("attention")`` and ``NextStateClassifier("transformer")`` get the same
budget; their median epoch times are reported beside the LSTM's at the same sizes.

Threads: torch runs 1 intra-op thread by default here. With 2 threads on a machine where
other processes also run, the threads wait for each other and epochs vary several-fold;
``--threads 2`` (or 0 for torch's own choice) uses both cores of a quiet machine.

Examples
--------
From the repository root; progress goes to stderr, the tables to stdout::

    python benchmarks/core.py                        # full run, about 15 min on 2 cores
    python benchmarks/core.py --quick                # smoke run with tiny sizes, seconds
    python benchmarks/core.py --out results.md       # also write the tables to a file
    python benchmarks/core.py --threads 2 --no-attention
"""

import argparse
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback
from torch import nn

from sklearn_seqlab import NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences

EPOCH_RATIO_TARGET = 0.6
PAIRS_RATIO_TARGET = 60.0
INFERENCE_RATIO_TARGET = 3.0


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


class Data:
    """Train/test split of the synthetic chain, as raw states and as reference codes."""

    def __init__(self, n_sequences, n_states, min_length, max_length, concentration, n_test, seed):
        sequences, transitions, states = make_markov_sequences(
            n_sequences,
            n_states=n_states,
            order=2,
            min_length=min_length,
            max_length=max_length,
            concentration=concentration,
            return_transitions=True,
            random_state=seed,
        )
        order = np.random.RandomState(seed).permutation(len(sequences))
        self.train = [sequences[i] for i in np.sort(order[n_test:])]
        self.test = [sequences[i] for i in np.sort(order[:n_test])]
        self.test_contexts = [s[:-1] for s in self.test]
        self.test_targets = np.array([s[-1] for s in self.test], dtype=object)
        self.states = states
        self.n_states = len(states)

        # The reference's own encoding: state i -> code i + 1, 0 is padding.
        index = {s: i for i, s in enumerate(states.tolist())}
        self.index = index
        self.train_contexts_codes = [
            np.array([index[x] + 1 for x in s[:-1]], dtype=np.int64) for s in self.train
        ]
        self.train_targets_codes = torch.tensor([index[s[-1]] for s in self.train])
        self.test_contexts_codes = [
            np.array([index[x] + 1 for x in s], dtype=np.int64) for s in self.test_contexts
        ]

        # pairs per epoch: the reference learns 1 target per sequence, ours len - 1
        self.reference_pairs = len(self.train)
        self.our_pairs = int(sum(len(s) - 1 for s in self.train))

        # best possible accuracy: the true chain's most probable next state
        hits = [
            np.argmax(transitions[index[s[-3]], index[s[-2]]]) == index[s[-1]] for s in self.test
        ]
        self.best_accuracy = float(np.mean(hits))
        self.expected_best_accuracy = float(transitions.max(axis=-1).mean())


# ---------------------------------------------------------------------------------------
# Reference: what SeqLab does
# ---------------------------------------------------------------------------------------


class ReferenceLSTM(nn.Module):
    """Embedding -> LSTM -> linear, read at ``[:, -1]`` (padding for most padded rows)."""

    def __init__(self, n_codes, n_classes, embedding_dim, hidden_dim, num_layers):
        super().__init__()
        self.embedding = nn.Embedding(n_codes, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_dim, n_classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return self.linear(out[:, -1])


def pad_batch(rows):
    """Right-pad 1-D code arrays with 0 to the longest of them."""
    tokens = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = r
    return torch.from_numpy(tokens)


class Reference:
    """SeqLab's training loop: random padded batches, one target per sequence."""

    def __init__(self, data, embedding_dim, hidden_dim, num_layers, batch_size, lr, seed):
        torch.manual_seed(seed)
        self.data = data
        self.batch_size = batch_size
        self.model = ReferenceLSTM(
            data.n_states + 1, data.n_states, embedding_dim, hidden_dim, num_layers
        )
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self):
        """Train one epoch; return its wall-clock and process CPU durations in seconds."""
        contexts = self.data.train_contexts_codes
        targets = self.data.train_targets_codes
        start, cpu_start = time.perf_counter(), time.process_time()
        self.model.train()
        order = torch.randperm(len(contexts), generator=self.generator).tolist()
        for i in range(0, len(order), self.batch_size):
            rows = order[i : i + self.batch_size]
            tokens = pad_batch([contexts[j] for j in rows])
            loss = F.cross_entropy(self.model(tokens), targets[rows])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return time.perf_counter() - start, time.process_time() - cpu_start

    def accuracy(self):
        """Held-out accuracy, predicting one sequence at a time as SeqLab's evaluator does."""
        self.model.eval()
        hits = 0
        with torch.no_grad():
            for codes, target in zip(
                self.data.test_contexts_codes, self.data.test_targets, strict=True
            ):
                pred = int(self.model(torch.from_numpy(codes)[None]).argmax(dim=-1))
                hits += self.data.states[pred] == target
        return hits / len(self.data.test_contexts_codes)


# ---------------------------------------------------------------------------------------
# Ours
# ---------------------------------------------------------------------------------------


class EpochCPUTime(Callback):
    """Record the process CPU time of each epoch as ``history[:, "cpu"]``."""

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        net.history.record("cpu", time.process_time() - self.start_)


def our_classifier(module, embedding_dim, hidden_dim, num_layers, batch_size, lr, seed):
    return NextStateClassifier(
        module,
        embedding_dim=embedding_dim,
        hidden_dim=hidden_dim,
        num_layers=num_layers,
        batch_size=batch_size,
        lr=lr,
        # the architecture the reference shares and the first measurements used; the
        # regularised defaults (dropout, tied output) are measured in real_data.py, and the
        # repetition slots' cost per epoch in network_views.py
        dropout=0.0,
        tie_weights=False,
        repetition_slots=0,
        train_on="all",
        validation_fraction=None,
        patience=None,
        callbacks=[("cpu_time", EpochCPUTime())],
        random_state=seed,
    )


def our_epoch(clf, data):
    """One ``partial_fit`` epoch; return skorch's epoch duration, its CPU time, and the wall
    clock of the whole call (input checks and encoding included)."""
    start = time.perf_counter()
    clf.partial_fit(data.train)
    wall = time.perf_counter() - start
    return float(clf.history_[-1, "dur"]), float(clf.history_[-1, "cpu"]), wall


def our_accuracy(clf, data):
    return float(np.mean(clf.predict(data.test_contexts) == data.test_targets))


# ---------------------------------------------------------------------------------------
# Benchmarks
# ---------------------------------------------------------------------------------------


def time_config(data, args, embedding_dim, hidden_dim, num_layers, epochs, seed):
    """Train reference and ours for ``epochs`` epochs, alternating; return both and timings."""
    reference = Reference(
        data, embedding_dim, hidden_dim, num_layers, args.batch_size, args.lr, seed
    )
    ours = our_classifier(
        "lstm", embedding_dim, hidden_dim, num_layers, args.batch_size, args.lr, seed
    )
    ref_times, our_times, ref_cpus, our_cpus, our_walls = [], [], [], [], []
    for epoch in range(epochs):
        if epoch % 2 == 0:
            ref_time, ref_cpu = reference.epoch()
            dur, cpu, wall = our_epoch(ours, data)
        else:
            dur, cpu, wall = our_epoch(ours, data)
            ref_time, ref_cpu = reference.epoch()
        ref_times.append(ref_time)
        ref_cpus.append(ref_cpu)
        our_times.append(dur)
        our_cpus.append(cpu)
        our_walls.append(wall)
        log(
            f"  epoch {epoch + 1}/{epochs}: reference {ref_time:.2f} s (cpu {ref_cpu:.2f}), "
            f"ours {dur:.2f} s (cpu {cpu:.2f}, partial_fit wall {wall:.2f}), "
            f"ratio {dur / ref_time:.3f} (cpu {cpu / ref_cpu:.3f})"
        )
    ref_median = statistics.median(ref_times)
    our_median = statistics.median(our_times)
    row = {
        "config": f"emb {embedding_dim}, hidden {hidden_dim}, {num_layers} layer"
        + ("s" if num_layers > 1 else ""),
        "epochs": epochs,
        "ref_epoch": ref_median,
        "our_epoch": our_median,
        "epoch_ratio": our_median / ref_median,
        "paired_ratio": statistics.median(o / r for o, r in zip(our_times, ref_times, strict=True)),
        "ref_cpu": statistics.median(ref_cpus),
        "our_cpu": statistics.median(our_cpus),
        "ref_pairs": data.reference_pairs / ref_median,
        "our_pairs": data.our_pairs / our_median,
        "our_wall": statistics.median(our_walls),
    }
    row["cpu_ratio"] = row["our_cpu"] / row["ref_cpu"]
    row["pairs_ratio"] = row["our_pairs"] / row["ref_pairs"]
    return reference, ours, row


def time_inference(clf, data, repeats):
    """Median seconds of batched and one-at-a-time ``predict_proba`` on the test contexts."""
    contexts = data.test_contexts
    clf.predict_proba(contexts[:8])  # warm-up
    batched, single = [], []
    for r in range(repeats):
        for kind in ("batched", "single") if r % 2 == 0 else ("single", "batched"):
            start = time.perf_counter()
            if kind == "batched":
                proba = clf.predict_proba(contexts)
            else:
                proba = np.vstack([clf.predict_proba([c]) for c in contexts])
            (batched if kind == "batched" else single).append(time.perf_counter() - start)
            assert proba.shape == (len(contexts), len(clf.classes_))
    b, s = statistics.median(batched), statistics.median(single)
    return {"batched": b, "single": s, "ratio": s / b}


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def verdict(ok):
    return "met" if ok else "**missed**"


def render(data, args, timing, inference, accuracy, extra_epochs, wall):
    lines = []
    lines.append(
        f"Data: {len(data.train)} training / {len(data.test)} held-out sequences, "
        f"{data.n_states} states, order 2, lengths {args.min_length}-{args.max_length}, "
        f"concentration {args.concentration}; {data.our_pairs} training pairs per epoch for "
        f"ours, {data.reference_pairs} for the reference. Batch {args.batch_size}, Adam "
        f"lr {args.lr}. torch {torch.__version__}, {torch.get_num_threads()} thread(s)."
    )
    lines.append("")
    lines.append("### Training speed")
    lines.append("")
    lines.append(
        "| config | epochs timed | reference epoch s (median) | ours epoch s (median) "
        "| epoch ratio | reference pairs/s | ours pairs/s | pairs/s ratio |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in timing:
        lines.append(
            f"| {row['config']} | {row['epochs']} | {row['ref_epoch']:.2f} | "
            f"{row['our_epoch']:.2f} | {row['epoch_ratio']:.3f} | {row['ref_pairs']:.0f} | "
            f"{row['our_pairs']:.0f} | {row['pairs_ratio']:.1f}x |"
        )
    lines.append("")
    lines.append(
        "Cross-check less sensitive to other processes on the machine: process CPU time per "
        "epoch (all threads), medians, and the median of the per-epoch wall-clock ratios."
    )
    lines.append("")
    lines.append(
        "| config | reference CPU s | ours CPU s | CPU ratio | CPU pairs/s ratio "
        "| median paired wall ratio |"
    )
    lines.append("|---|---|---|---|---|---|")
    for row in timing:
        cpu_pairs = (data.our_pairs / row["our_cpu"]) / (data.reference_pairs / row["ref_cpu"])
        lines.append(
            f"| {row['config']} | {row['ref_cpu']:.2f} | {row['our_cpu']:.2f} | "
            f"{row['cpu_ratio']:.3f} | {cpu_pairs:.1f}x | {row['paired_ratio']:.3f} |"
        )
    lines.append("")
    lines.append("### Inference (`predict_proba` on the held-out contexts)")
    lines.append("")
    lines.append("| model | batched s | one-at-a-time s | ratio |")
    lines.append("|---|---|---|---|")
    for name, row in inference.items():
        lines.append(
            f"| {name} | {row['batched']:.3f} | {row['single']:.3f} | {row['ratio']:.1f}x |"
        )
    lines.append("")
    lines.append(
        f"### Held-out accuracy after {args.accuracy_epochs} epochs "
        f"({timing[0]['config']}, no validation split, no early stopping)"
    )
    lines.append("")
    lines.append("| reference | ours lstm | ours attention | ours transformer | best possible |")
    lines.append("|---|---|---|---|---|")
    att, trf = (
        "-" if accuracy[m] is None else f"{accuracy[m]:.3f}" for m in ("attention", "transformer")
    )
    lines.append(
        f"| {accuracy['reference']:.3f} | {accuracy['lstm']:.3f} | {att} | {trf} | "
        f"{data.best_accuracy:.3f} |"
    )
    lines.append("")
    lines.append("### Targets")
    lines.append("")
    worst_epoch = max(r["epoch_ratio"] for r in timing)
    worst_pairs = min(r["pairs_ratio"] for r in timing)
    worst_inf = min(r["ratio"] for r in inference.values())
    lines.append(
        f"- epoch time at most {EPOCH_RATIO_TARGET}x the reference: "
        f"{verdict(worst_epoch <= EPOCH_RATIO_TARGET)} (worst config {worst_epoch:.3f}x)"
    )
    lines.append(
        f"- pairs/s at least {PAIRS_RATIO_TARGET:.0f}x the reference: "
        f"{verdict(worst_pairs >= PAIRS_RATIO_TARGET)} (worst config {worst_pairs:.1f}x)"
    )
    lines.append(
        f"- batched inference at least {INFERENCE_RATIO_TARGET:.0f}x one-at-a-time: "
        f"{verdict(worst_inf >= INFERENCE_RATIO_TARGET)} (worst model {worst_inf:.1f}x)"
    )
    lines.append("")
    extra = [
        "ours `partial_fit` wall clock per epoch (dur + input checks and encoding): "
        + ", ".join(f"{r['config']} {r['our_wall']:.2f} s" for r in timing),
    ]
    for module, epoch in extra_epochs.items():  # beside the LSTM's, at the same sizes
        extra.append(
            f"ours {module} epoch s (median): {epoch:.2f}; lstm {timing[0]['our_epoch']:.2f} "
            f"({timing[0]['config']})"
        )
    extra.append(f"expected best accuracy over all contexts: {data.expected_best_accuracy:.3f}")
    extra.append(f"wall time of the run: {wall / 60:.1f} min")
    lines.extend(f"- {e}" for e in extra)
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
    parser.add_argument("--out", help="also write the markdown tables to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1; 0 keeps torch's own choice)",
    )
    parser.add_argument("--n-sequences", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--n-states", type=int, default=60)
    parser.add_argument("--min-length", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--concentration", type=float, default=0.03)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--hidden-dims", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--num-layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--timing-epochs",
        type=int,
        default=5,
        help="epochs timed per config (the first config trains --accuracy-epochs)",
    )
    parser.add_argument("--accuracy-epochs", type=int, default=10)
    parser.add_argument("--inference-repeats", type=int, default=3)
    parser.add_argument("--no-attention", action="store_true", help="skip the attention model")
    parser.add_argument("--no-transformer", action="store_true", help="skip the transformer model")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_sequences, args.n_test = 300, 100
        args.min_length, args.max_length = 8, 16
        args.embedding_dim, args.hidden_dims, args.num_layers = 8, [16, 32], [1, 2]
        args.timing_epochs, args.accuracy_epochs = 3, 3
    return args


def main(argv=None):
    args = parse_args(argv)
    run_start = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    data = Data(
        args.n_sequences,
        args.n_states,
        args.min_length,
        args.max_length,
        args.concentration,
        args.n_test,
        args.seed,
    )
    log(
        f"data: {len(data.train)} train / {len(data.test)} test, best possible accuracy "
        f"{data.best_accuracy:.3f}; torch {torch.__version__}, {torch.get_num_threads()} threads"
    )

    configs = [(h, n) for h in args.hidden_dims for n in args.num_layers]
    timing, accuracy, inference = [], {}, {}
    for k, (hidden_dim, num_layers) in enumerate(configs):
        epochs = args.accuracy_epochs if k == 0 else args.timing_epochs
        log(f"timing hidden {hidden_dim}, {num_layers} layer(s), {epochs} epochs")
        reference, ours, row = time_config(
            data, args, args.embedding_dim, hidden_dim, num_layers, epochs, args.seed
        )
        timing.append(row)
        if k == 0:
            accuracy["reference"] = reference.accuracy()
            accuracy["lstm"] = our_accuracy(ours, data)
            log(f"accuracy: reference {accuracy['reference']:.3f}, ours {accuracy['lstm']:.3f}")
            inference["ours lstm"] = time_inference(ours, data, args.inference_repeats)
            log(f"inference lstm: {inference['ours lstm']}")

    extra_epochs = {}  # median epoch time of the other modules, first config's sizes
    for module in ("attention", "transformer"):
        accuracy[module] = None
        if getattr(args, f"no_{module}"):
            continue
        hidden_dim, num_layers = configs[0]
        log(f"{module}: hidden {hidden_dim}, {num_layers} layer(s), {args.accuracy_epochs} epochs")
        clf = our_classifier(
            module,
            args.embedding_dim,
            hidden_dim,
            num_layers,
            args.batch_size,
            args.lr,
            args.seed,
        )
        clf.set_params(max_epochs=args.accuracy_epochs).fit(data.train)
        extra_epochs[module] = statistics.median(clf.history_[:, "dur"])
        accuracy[module] = our_accuracy(clf, data)
        log(f"{module} accuracy {accuracy[module]:.3f}, epoch {extra_epochs[module]:.2f} s")
        inference[f"ours {module}"] = time_inference(clf, data, args.inference_repeats)
        log(f"inference {module}: {inference[f'ours {module}']}")

    wall = time.perf_counter() - run_start
    report = render(data, args, timing, inference, accuracy, extra_epochs, wall)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
