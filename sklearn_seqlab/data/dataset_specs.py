"""The data sets a config names: their specs checked when the config is read, then loaded.

A data set is a path (``.txt``: one sequence a line; ``.csv``/``.tsv``: SeqLab's
multi-feature format, read for ``target_feature``), ``"builtin:chords"``, or a table with
named columns: ``{"path": "phrases.tsv", "phrase": "phrase", "group": "song_id"}`` (a column
of whitespace-separated states, one sequence a row) or ``{"path": "log.csv", "sequence":
"CaseID", "state": "ActivityID", "order": "CompleteTimestamp"}`` (an event log, one event a
row). ``"sep"`` sets the field separator of a table (default: a tab for ``.tsv``, else a
comma). With a ``"group"`` column, the runner's outer folds keep each group on one side.
"""

import os
import warnings
from pathlib import Path

import pandas as pd

from .._config_checks import ConfigError, no_unknown_keys
from .datasets import make_chord_progressions
from .event_logs import sequences_from_frame
from .readers import read_seqlab_csv, read_txt

BUILTIN_CHORDS = "builtin:chords"
"""The name of the bundled synthetic chord data (600 progressions of 8 to 24 chords)."""

DATASET_KEYS = {"path", "phrase", "sequence", "state", "order", "group", "sep"}
"""The keys of a table spec."""


def check_dataset_spec(spec, where, base=None):
    """A data set of a config, checked, its paths as the config means them.

    Parameters
    ----------
    spec : str or dict
        A path or ``builtin:`` name, or a table spec (see the module docstring).
    where : str
        Where the spec stands in the config, for messages.
    base : path-like, default=None
        The folder of the config file, against which relative paths are read (see
        :func:`resolve_path`); None for a config given as a dict.

    Returns
    -------
    spec : str or dict

    Raises
    ------
    ConfigError
        If the spec is neither a path nor an object with a ``"path"``, has an unknown key, or
        names neither a column of phrases nor the columns of an event log. The files are not
        opened: a missing file is found when the data set is loaded.
    """
    if isinstance(spec, str):
        return resolve_path(spec, base)
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise ConfigError(f"{where} must be a path, or an object with a 'path'.")
    no_unknown_keys(spec, DATASET_KEYS, where)
    if ("phrase" in spec) == ("state" in spec):
        raise ConfigError(
            f"{where} needs either 'phrase' (a column of whitespace-separated states, one "
            "sequence a row) or 'sequence' and 'state' (an event log, one event a row)."
        )
    if "state" in spec and "sequence" not in spec:
        raise ConfigError(f"{where}: an event log needs 'sequence', the column of case ids.")
    return {**spec, "path": resolve_path(spec["path"], base)}


def resolve_path(path, base):
    """A data path as the config means it: relative to the config file's folder.

    SeqLab read its paths relative to the working directory, where its config also lay; so a
    relative path that is not found beside the config file but is in the working directory
    is taken from there. Paths of a config given as a dict, absolute paths and ``builtin:``
    names are kept as they are.
    """
    if base is None or path.startswith("builtin:") or Path(path).is_absolute():
        return path
    beside = base / path
    if not beside.exists() and Path(path).exists():
        return path
    return os.fspath(beside)


def load_dataset(spec, target_feature=None, *, features=None, clean_kern=False):
    """Sequences of a data set named in a config, with their groups (or None).

    ``builtin:chords`` is the bundled synthetic chord data; a ``.txt`` file is SeqLab's TXT
    format; a ``.csv`` or ``.tsv`` file is SeqLab's multi-feature format, read for
    ``target_feature``, or as tuples of ``features`` when given (see
    :func:`~sklearn_seqlab.data.readers.read_seqlab_csv`, also for ``clean_kern``); an object
    names the columns of a table (see :func:`read_table`), and ``features`` (the state column
    first) makes an event log's events tuples of those columns. Sequences shorter than 2
    states are dropped: they have no target.
    """
    if isinstance(spec, dict):
        sequences, groups = read_table(spec, None if features is None else features[1:])
        keep = [i for i, s in enumerate(sequences) if len(s) >= 2]
        sequences = [sequences[i] for i in keep]
        return sequences, None if groups is None else [groups[i] for i in keep]
    if spec == BUILTIN_CHORDS:
        return make_chord_progressions(600, min_length=8, max_length=24, random_state=0), None
    path = _existing(spec)
    if path.suffix == ".txt":
        return read_txt(path, min_length=2), None
    if path.suffix in (".csv", ".tsv"):
        if features is not None:
            target_feature = None  # the events are tuples of all the features
        sequences = read_seqlab_csv(
            path, target=target_feature, features=features, clean_kern=clean_kern
        )
        return [s for s in sequences if len(s) >= 2], None
    raise ValueError(
        f"Data set {spec!r}: unknown format {path.suffix!r}; use .txt (one sequence a line) or "
        ".csv/.tsv (SeqLab's multi-feature format), or 'builtin:chords'."
    )


def read_table(spec, features=None):
    """Every sequence of a table of phrases (one a row) or of an event log (one event a row).

    Parameters
    ----------
    spec : dict
        A checked table spec (see the module docstring and :func:`check_dataset_spec`).
    features : list of str, default=None
        Further columns of an event log: each event becomes a tuple of its state and these
        (see :func:`~sklearn_seqlab.data.sequences_from_frame`).

    Returns
    -------
    sequences : list of list of str
        In the order of the rows (of an event log: of each case's first event), short ones
        included. States are read as text; the events of a case are sorted by the
        ``"order"`` column, read as numbers, else as times, else as text.
    groups : list or None
        The ``"group"`` of each sequence (of a case: that of its first event), or None.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a named column is not in the table, or a reader of the columns finds a problem.
    """
    path = _existing(spec["path"])
    sep = spec.get("sep", "\t" if path.suffix == ".tsv" else ",")
    table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    if spec.get("order") in table:  # states stay text; events are ordered by real values
        table[spec["order"]] = _typed(table[spec["order"]])
    group = spec.get("group")
    missing = [c for c in (spec.get("phrase"), group) if c is not None and c not in table]
    if missing:
        raise ValueError(f"Data set {str(path)!r} has no column {missing[0]!r}.")
    if "phrase" in spec:
        sequences = table[spec["phrase"]].str.split().tolist()
        return sequences, None if group is None else table[group].tolist()
    series = sequences_from_frame(
        table,
        sequence=spec["sequence"],
        state=spec["state"],
        order=spec.get("order"),
        features=features or None,
    )
    if features is not None and not features:  # events of the state alone, as a CSV's are
        series = series.map(lambda states: [(state,) for state in states])
    groups = None
    if group is not None:  # the group of a case is that of its first event
        groups = table.groupby(spec["sequence"], sort=False)[group].first()[series.index]
        groups = groups.tolist()
    return series.tolist(), groups


def _existing(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Data set {str(path)!r} does not exist.")
    return path


def _typed(column):
    """An order column as numbers, else as times, else as text: read as text, "10" would
    sort before "2"."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas' notes on format inference
            return pd.to_datetime(column, format="mixed")
    except (ValueError, TypeError, OverflowError):
        return column
