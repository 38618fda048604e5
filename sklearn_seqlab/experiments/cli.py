"""Command line: ``sklearn-seqlab run [CONFIG] [--output DIR] [--resume] [--n-jobs N]
[--threads N] [--dask ADDRESS] [--quiet]``."""

import argparse
import contextlib
import logging
import re
import sys
from pathlib import Path

from tqdm.auto import tqdm

from .config import ConfigError, read_config
from .dask_support import dask_backend
from .runner import DEFAULT_CONFIG, run_experiments


class FoldProgress:
    """A progress bar over the folds of a run (tqdm), with the runner's lines above it.

    Parameters
    ----------
    total : int or None
        Number of folds the run will fit; None shows a count without an end.
    """

    FOLD = re.compile(r": fold \d+/\d+ ")

    def __init__(self, total, file=None):
        self.bar = tqdm(total=total, unit="fold", file=file or sys.stderr, dynamic_ncols=True)

    def __call__(self, line):
        self.bar.write(line, file=self.bar.fp)
        if self.FOLD.search(line):
            self.bar.update(1)

    def close(self):
        self.bar.close()


def _count_folds(config):
    """Folds a config asks for (None when it cannot be read: the run will say why)."""
    try:
        experiments = read_config(DEFAULT_CONFIG if config is None else config)
    except (ConfigError, OSError, ValueError):
        return None
    return sum(
        len(e.datasets) * len(e.models) * (1 if e.test_dataset is not None else e.kfold_splits)
        for e in experiments
    )


def main(argv=None):
    """Entry point of ``sklearn-seqlab`` and ``python -m sklearn_seqlab``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-seqlab",
        description="Next-state prediction experiments from SeqLab-style configs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="tune, cross-validate and report every model of a config")
    run.add_argument(
        "config", nargs="?", help="SeqLab JSON config; without one, the embedded default runs"
    )
    run.add_argument("--output", default="seqlab_results", help="report directory")
    run.add_argument(
        "--search",
        choices=["random", "optuna"],
        default="random",
        help="inner search: RandomizedSearchCV, or optuna's OptunaSearchCV (needs optuna)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows of OUTPUT/results.csv from a killed run of this config and run "
        "only what is missing",
    )
    run.add_argument("--n-jobs", type=int, default=None, help="parallel search candidates")
    run.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per fit (default 1: more threads busy-wait for each other and "
        "can take many times the CPU on a busy machine; 0 keeps torch's default); with "
        "--n-jobs, each worker gets 1 unless set",
    )
    run.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        default=None,
        metavar="URI",
        help="also log to MLflow (needs mlflow-skinny); default store: OUTPUT/mlflow.db",
    )
    run.add_argument("--quiet", action="store_true", help="log progress instead of printing")
    run.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the inner searches' candidates on Dask (needs dask, distributed): a "
        "scheduler address, or 'local' to start a LocalCluster; --n-jobs defaults to -1",
    )
    args = parser.parse_args(argv)

    if args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        progress = logging.getLogger("sklearn_seqlab").info
    elif sys.stderr.isatty():  # a bar over the folds in a terminal; plain lines in logs
        progress = FoldProgress(_count_folds(args.config))
    else:
        progress = print
    try:
        mlflow_uri = args.mlflow
        if mlflow_uri == "":  # --mlflow without a URI: a SQLite file beside the report
            mlflow_uri = "sqlite:///" + str(Path(args.output).resolve() / "mlflow.db")
        # one level only: the outer folds stay serial, the inner candidates go to the workers
        n_jobs = -1 if args.dask and args.n_jobs is None else args.n_jobs
        with dask_backend(args.dask) if args.dask else contextlib.nullcontext():
            run_experiments(
                args.config,
                args.output,
                search=args.search,
                n_jobs=n_jobs,
                mlflow_uri=mlflow_uri,
                progress=progress,
                resume=args.resume,
                threads=args.threads or None,
            )
    except (ConfigError, FileNotFoundError, ValueError, ImportError, OSError) as exc:
        print(f"sklearn-seqlab: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if isinstance(progress, FoldProgress):
            progress.close()
    if args.quiet:
        print(f"Report written to {args.output}/summary.md")
    return 0
