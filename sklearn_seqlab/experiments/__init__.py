"""SeqLab experiments: configs, the runner and its searches, reports, tracking, the command line."""

from .._config_checks import ConfigError
from .cli import main
from .config import Experiment, read_config
from .dask_support import dask_backend
from .report import summarize
from .runner import DEFAULT_CONFIG, run_experiments
from .tracking import MlflowTracker

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigError",
    "Experiment",
    "MlflowTracker",
    "dask_backend",
    "main",
    "read_config",
    "run_experiments",
    "summarize",
]
