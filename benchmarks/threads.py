"""Torch threads on a busy machine: wall time and CPU time of one fit.

Each measurement runs one ``NextStateClassifier`` fit in a fresh process with a given number
of torch threads (``OMP_NUM_THREADS``), on a quiet machine and beside ``--busy`` processes that
spin on the CPU, as other jobs would. It reports the wall time and the CPU time the fit
burned (user + system, all its threads). A fit that burns far more CPU than its 1-thread
run, for no gain in wall time, is spinning: OpenMP threads busy-wait for each other.

Run from the repository root (about a minute on 2 cores)::

    python benchmarks/threads.py --repeats 2
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

FIT = """
import json, resource, sys, time
import torch
from sklearn_seqlab import NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences

X = make_markov_sequences(1500, n_states=40, order=2, min_length=8, max_length=32,
                          random_state=0)
clf = NextStateClassifier(hidden_dim=128, max_epochs=2, patience=None,
                          validation_fraction=None, random_state=0)
start = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
clf.fit(X)
end = resource.getrusage(resource.RUSAGE_SELF)
cpu = (end.ru_utime - usage.ru_utime) + (end.ru_stime - usage.ru_stime)
json.dump({"threads": torch.get_num_threads(), "wall": time.perf_counter() - start,
           "cpu": cpu}, sys.stdout)
"""


TIMEOUT = 120
"""Seconds after which a fit is stopped and reported as taking longer."""


def _spin():
    while True:
        pass


def measure(threads, passive):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    else:
        env.pop("OMP_WAIT_POLICY", None)
    try:
        run = subprocess.run(
            [sys.executable, "-c", FIT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:  # a fit this slow has made the point
        return {"threads": threads, "wall": float("inf"), "cpu": float("nan")}
    return json.loads(run.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2, help="spinning processes beside the fit")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    settings = [(1, False), (2, False), (2, True)]
    print(f"{'load':>6} {'threads':>7} {'wait policy':>11} {'wall s':>7} {'CPU s':>6}")
    for busy in (0, args.busy):
        spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(busy)]
        for p in spinners:
            p.start()
        time.sleep(0.5)
        try:
            for _ in range(args.repeats):
                for threads, passive in settings:
                    m = measure(threads, passive)
                    policy = "passive" if passive else "default"
                    print(
                        f"{busy:>6} {m['threads']:>7} {policy:>11} {m['wall']:>7.2f} "
                        f"{m['cpu']:>6.2f}",
                        flush=True,
                    )
        finally:
            for p in spinners:
                p.terminate()
                p.join()


if __name__ == "__main__":
    main()
