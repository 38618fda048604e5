"""ONNX Runtime against PyTorch: ``predict_proba`` throughput on the held-out contexts.

The 1,000 held-out contexts of ``core.py`` (same data, same split) are scored by a fitted
:class:`~sklearn_seqlab.NextStateClassifier` (embedding 128, hidden 256, 1 layer, as the
first config of ``core.py``) in two ways, each in length-sorted batches of 256 right-padded
sequences, on 1 thread:

- **PyTorch**: ``clf.predict_proba(contexts)`` (encoding, batching, ``forward_last``,
  softmax);
- **ONNX Runtime**: the same steps with the file written by ``export_onnx``: the model's
  encoder, the same length-sorted batches, one ``session.run`` per batch.

Each is also timed on the network alone (the padded batches made in advance), to tell the
runtime's share from the encoding. Runs alternate (PyTorch first, then ONNX first, ...) so
both see the same load; figures are medians over ``--repeats`` runs, and throughput is
contexts per second. Process CPU time is reported too (as a ratio), a cross-check less
sensitive to other processes on a shared machine. The model trains for ``--epochs`` (1)
epoch: speed does not depend on the weights, only on the sizes. The probabilities of the
two are checked to agree within 1e-5 before anything is timed.

Examples
--------
From the repository root; progress goes to stderr, the table to stdout::

    python benchmarks/onnx_speed.py                 # about 1-2 min on 2 cores
    python benchmarks/onnx_speed.py --quick         # tiny sizes, a smoke run
    python benchmarks/onnx_speed.py --out onnx.md   # also write the table to a file
"""

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from sklearn_seqlab import NextStateClassifier, export_onnx
from sklearn_seqlab.batching import pad_right
from sklearn_seqlab.encoding import PAD

# the same data, split and log format as core.py, which lies beside this script
sys.path.insert(0, str(Path(__file__).resolve().parent))
core = importlib.import_module("core")
Data, log = core.Data, core.log

BATCH_SIZE = 256


def onnx_predict_proba(session, encoder, contexts, batch_size=BATCH_SIZE):
    """What ``predict_proba`` does, with ONNX Runtime in place of the torch module."""
    encoded = encoder.transform(contexts)
    order = np.argsort(encoded.lengths, kind="stable")
    proba = None
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        codes = pad_right([encoded.codes[i] for i in rows], PAD).numpy()
        batch_proba, _ = session.run(None, {"codes": codes})
        if proba is None:
            proba = np.empty((len(order), batch_proba.shape[1]), dtype=np.float64)
        proba[rows] = batch_proba
    return proba


def padded_batches(encoder, contexts, batch_size=BATCH_SIZE):
    encoded = encoder.transform(contexts)
    order = np.argsort(encoded.lengths, kind="stable")
    return [
        pad_right([encoded.codes[i] for i in order[s : s + batch_size]], PAD)
        for s in range(0, len(order), batch_size)
    ]


def time_model(module_name, data, args):
    clf = NextStateClassifier(
        module_name,
        embedding_dim=args.embedding_dim,
        hidden_dim=args.hidden_dim,
        max_epochs=args.epochs,
        validation_fraction=None,
        patience=None,
        random_state=args.seed,
    ).fit(data.train)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(clf, os.path.join(tmp, "model.onnx"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    contexts = data.test_contexts
    torch_proba = clf.predict_proba(contexts)
    onnx_proba = onnx_predict_proba(session, clf.encoder_, contexts)
    max_diff = float(np.abs(torch_proba - onnx_proba).max())
    same_argmax = bool((torch_proba.argmax(axis=1) == onnx_proba.argmax(axis=1)).all())
    assert max_diff < 1e-5 and same_argmax, (max_diff, same_argmax)

    batches = padded_batches(clf.encoder_, contexts)
    module = clf.net_.module_

    def torch_network():
        with torch.no_grad():
            for tokens in batches:
                torch.softmax(module.forward_last(tokens).double(), dim=-1)

    def onnx_network():
        for tokens in batches:
            session.run(None, {"codes": tokens.numpy()})

    kinds = {
        "pytorch predict_proba": lambda: clf.predict_proba(contexts),
        "onnxruntime predict_proba": lambda: onnx_predict_proba(session, clf.encoder_, contexts),
        "pytorch network only": torch_network,
        "onnxruntime network only": onnx_network,
    }
    times = {k: [] for k in kinds}
    cpu_times = {k: [] for k in kinds}
    for fn in kinds.values():  # warm-up
        fn()
    for r in range(args.repeats):
        order = list(kinds) if r % 2 == 0 else list(reversed(kinds))
        for kind in order:
            start, cpu_start = time.perf_counter(), time.process_time()
            kinds[kind]()
            times[kind].append(time.perf_counter() - start)
            cpu_times[kind].append(time.process_time() - cpu_start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    medians.update({f"{k} cpu": statistics.median(v) for k, v in cpu_times.items()})
    log(f"{module_name}: " + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items()))
    return medians, max_diff


def render(data, args, results, load_before, load_after, wall):
    lines = [
        f"Data: the {len(data.test)} held-out contexts of `core.py` ({data.n_states} states, "
        f"lengths {args.min_length - 1}-{args.max_length - 1}); model embedding "
        f"{args.embedding_dim}, hidden {args.hidden_dim}, 1 layer; batches of {BATCH_SIZE}, "
        f"length-sorted; {args.threads} thread; medians of {args.repeats} runs. torch "
        f"{torch.__version__}, onnxruntime {onnxruntime.__version__}. Load average (1 min) "
        f"{load_before:.2f} before, {load_after:.2f} after; wall time {wall:.0f} s.",
        "",
        "| model | path | PyTorch s | ONNX Runtime s | PyTorch contexts/s | "
        "ONNX Runtime contexts/s | speed-up | speed-up in CPU time | max abs diff of proba |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    n = len(data.test)
    for name, (medians, diff) in results.items():
        for path in ("predict_proba", "network only"):
            t, o = medians[f"pytorch {path}"], medians[f"onnxruntime {path}"]
            cpu = medians[f"pytorch {path} cpu"] / medians[f"onnxruntime {path} cpu"]
            lines.append(
                f"| {name} | {path} | {t:.3f} | {o:.3f} | {n / t:.0f} | {n / o:.0f} | "
                f"{t / o:.2f}x | {cpu:.2f}x | {diff:.1e} |"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
    parser.add_argument("--out", help="also write the markdown table to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-sequences", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--n-states", type=int, default=60)
    parser.add_argument("--min-length", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--concentration", type=float, default=0.03)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--hidden-dim", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--modules", nargs="+", default=["lstm", "attention"])
    args = parser.parse_args(argv)
    if args.quick:
        args.n_sequences, args.n_test = 300, 100
        args.embedding_dim, args.hidden_dim, args.repeats = 8, 16, 3
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    load_before = os.getloadavg()[0]
    torch.set_num_threads(args.threads)
    data = Data(
        args.n_sequences,
        args.n_states,
        args.min_length,
        args.max_length,
        args.concentration,
        args.n_test,
        args.seed,
    )
    results = {name: time_model(name, data, args) for name in args.modules}
    report = render(
        data, args, results, load_before, os.getloadavg()[0], time.perf_counter() - start
    )
    print(report)
    if args.out:
        Path(args.out).write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
