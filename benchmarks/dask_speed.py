"""Dask speed-up: the runner's default experiment with n_jobs=1 and on a local Dask cluster.

Runs ``run_experiments()`` (the runner's default config: synthetic chords, 3 outer folds, 3
inner trials per model, Markov, variable-order Markov, LSTM and attention models) twice:

- ``n_jobs=1``: every inner-search candidate one after another, in this process;
- on a ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``, through
  ``joblib.parallel_config(backend="dask")`` with ``n_jobs=-1``: the inner searches'
  candidates run in the two worker processes (one level only: the outer folds stay serial).

torch runs one thread in this process and in each worker (Dask's nanny sets
``OMP_NUM_THREADS=1``). It prints the wall times, the speed-up, the cluster's start-up time
(outside the timed run) and whether the two runs gave the same scores.

Examples
--------
From the repository root (the workers import ``sklearn_seqlab``, so it must be installed or
on ``PYTHONPATH``)::

    python benchmarks/dask_speed.py                 # about 3 min on 2 quiet cores
    python benchmarks/dask_speed.py --quick         # 3 epochs and 2 trials, a smoke run
"""

import argparse
import copy
import os
import sys
import tempfile
import time

import joblib
import pandas as pd
import torch
from distributed import Client, LocalCluster

from sklearn_seqlab.runner import DEFAULT_CONFIG, run_experiments


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def quick_config():
    config = copy.deepcopy(DEFAULT_CONFIG)
    for experiment in config["experiments"].values():
        experiment["number_of_trials"] = 2
        for model in experiment["models"]:
            if "epochs" in model:
                model["epochs"] = 3
    return config


def timed_run(config, n_jobs):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        results = run_experiments(config, out, n_jobs=n_jobs, progress=lambda line: None)
        return time.perf_counter() - start, results


def scores(results):
    """The score columns, for comparing the two runs (times differ by nature)."""
    keep = [c for c in results.columns if "second" not in c and "time" not in c]
    return results[keep].reset_index(drop=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    config = quick_config() if args.quick else None
    torch.set_num_threads(1)
    load_before = os.getloadavg()[0]

    log("n_jobs=1")
    serial, serial_results = timed_run(config, n_jobs=1)
    log(f"n_jobs=1: {serial:.1f} s")

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        startup = time.perf_counter() - start
        log(f"cluster up in {startup:.1f} s")
        with joblib.parallel_config(backend="dask"):
            distributed, distributed_results = timed_run(config, n_jobs=-1)
    log(f"dask: {distributed:.1f} s")

    same = scores(serial_results).equals(scores(distributed_results))
    load_after = os.getloadavg()[0]
    print(
        "| run | wall s | speed-up |\n|---|---|---|\n"
        f"| n_jobs=1 | {serial:.1f} | 1.00x |\n"
        f"| Dask LocalCluster, 2 workers x 1 thread | {distributed:.1f} | "
        f"{serial / distributed:.2f}x |\n\n"
        f"Cluster start-up (not in the time above): {startup:.1f} s. Same scores in both runs: "
        f"{same}. Load average (1 min) {load_before:.2f} before, {load_after:.2f} after; "
        f"{os.cpu_count()} CPUs; torch {torch.__version__}, joblib {joblib.__version__}, "
        f"pandas {pd.__version__}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
