"""The modules that moved into subpackages, still importable by their old names.

The package was flat at first. Its modules now live in subpackages by concern
(``neural``, ``counts``, ``data``, ``experiments``, ``persistence``), and this table keeps
every old path working: ``import sklearn_seqlab.estimators`` and
``from sklearn_seqlab.runner import run_experiments`` give the very module objects of the
new homes, and joblib or pickle files written before the move, which name classes and
functions by their old module paths, still load. A module that was split maps to its
subpackage, which exports all of its public names.

The table is the one place that knows the old layout: code in the package imports the new
paths.
"""

import importlib
import sys

MOVED = {
    "_legacy_format": "persistence._legacy_format",
    "_model_file": "persistence._model_file",
    "_model_params": "persistence._model_params",
    "_value_codecs": "persistence._value_codecs",
    "augmentation": "data.augmentation",
    "baselines": "counts",  # split into counts.markov and counts.variable_order
    "batching": "neural.batching",
    "chords": "data.chords",
    "cli": "experiments.cli",
    "config": "experiments.config",
    "dask_support": "experiments.dask_support",
    "dataset_specs": "data.dataset_specs",
    "datasets": "data.datasets",
    "estimators": "neural.estimators",
    "modules": "neural.modules",
    "readers": "data",  # split into data.readers and data.event_logs
    "report": "experiments.report",
    "runner": "experiments.runner",
    "searches": "experiments.searches",
    "seqlab_models": "experiments.seqlab_models",
    "tracking": "experiments.tracking",
    "training": "neural.training",
    "transformer": "neural.transformer",
}
"""Old module name -> new module path, both relative to the package."""


def register(package):
    """Make each old name a module attribute of ``package`` and an entry of ``sys.modules``.

    Registered when the package is imported, before any old path can be asked for; the
    modules are imported then, which adds a few tens of milliseconds to a first import.
    """
    for old, new in MOVED.items():
        module = importlib.import_module(f"{package.__name__}.{new}")
        sys.modules[f"{package.__name__}.{old}"] = module
        setattr(package, old, module)
