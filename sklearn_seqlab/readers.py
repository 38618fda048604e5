"""Readers of real sequence data: SeqLab's TXT and CSV formats, and event logs."""

import os
from collections.abc import Hashable
from contextlib import nullcontext

import pandas as pd

from ._validation import check_size

_SEPARATOR = ">*"


def read_txt(path_or_file, *, min_length=1):
    """Read sequences from SeqLab's TXT format: one sequence a line.

    States are separated by whitespace; blank lines are skipped.

    Parameters
    ----------
    path_or_file : str, path-like or text file
        The file's path, or a file opened in text mode.
    min_length : int, default=1
        Sequences with fewer states are dropped; ``min_length=2`` keeps the sequences that
        have a context and a target when ``y=None``.

    Returns
    -------
    sequences : list of list of str
        One list of states per kept line, in file order.

    Raises
    ------
    ValueError
        If the file holds no sequence of at least ``min_length`` states.

    See Also
    --------
    read_seqlab_csv : Read SeqLab's multi-feature CSV format.

    Examples
    --------
    >>> import io
    >>> from sklearn_seqlab.readers import read_txt
    >>> read_txt(io.StringIO("C G Am F\\n\\nG7 C\\nF\\n"), min_length=2)
    [['C', 'G', 'Am', 'F'], ['G7', 'C']]
    """
    check_size(min_length, "min_length")
    with _open_text(path_or_file) as file:
        sequences = [seq for seq in (line.split() for line in _lines(file)) if seq]
    if not sequences:
        raise ValueError(f"No sequences in {_describe(path_or_file)}: it is empty or blank.")
    kept = [seq for seq in sequences if len(seq) >= min_length]
    if not kept:
        raise ValueError(
            f"All {len(sequences)} sequence(s) in {_describe(path_or_file)} are shorter than "
            f"min_length={min_length}."
        )
    return kept


def read_seqlab_csv(path_or_file, *, target=None):
    """Read sequences from SeqLab's multi-feature CSV format.

    The file is tab-separated. Its first line is a header of feature names; each following row
    is one event, with one field per feature. Sequences are separated by rows whose first field
    is ``>*`` (a row of ``>*`` in every field, or just ``>*``). Blank lines are skipped, as is
    whitespace around fields.

    Parameters
    ----------
    path_or_file : str, path-like or text file
        The file's path, or a file opened in text mode.
    target : str, default=None
        Name of the feature to read. With None, each event is the tuple of all its features, in
        header order: tuples are hashable, so they serve as states as they are.

    Returns
    -------
    sequences : list of list
        One list of events per sequence: str with ``target``, else tuples of str.

    Raises
    ------
    ValueError
        If the file is empty, has no header, names a feature twice, has a row with the wrong
        number of fields or an empty field, or holds no events; or if ``target`` is not a
        feature of the header.

    See Also
    --------
    read_txt : Read SeqLab's single-feature TXT format.

    Examples
    --------
    >>> import io
    >>> from sklearn_seqlab.readers import read_seqlab_csv
    >>> text = "chord\\tbass\\nC\\tC\\nG\\tB\\n>*\\t>*\\nAm\\tA\\nF\\tF\\n"
    >>> read_seqlab_csv(io.StringIO(text), target="chord")
    [['C', 'G'], ['Am', 'F']]
    >>> read_seqlab_csv(io.StringIO(text))[1]
    [('Am', 'A'), ('F', 'F')]
    """
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a feature name (str) or None, got {target!r}.")
    name = _describe(path_or_file)
    with _open_text(path_or_file) as file:
        rows = [(i, line.split("\t")) for i, line in enumerate(_lines(file), 1) if line.strip()]
    if not rows:
        raise ValueError(
            f"No header in {name}: it is empty; expected a first line of tab-separated feature "
            "names."
        )
    header_line, header = rows[0]
    header = [field.strip() for field in header]
    if header[0] == _SEPARATOR:
        raise ValueError(
            f"No header in {name}: line {header_line} is a sequence separator ('>*'); expected "
            "a first line of tab-separated feature names."
        )
    for field in header:
        if not field or header.count(field) > 1:
            problem = "an empty feature name" if not field else f"feature {field!r} twice"
            raise ValueError(f"The header of {name} (line {header_line}) has {problem}.")
    if target is not None and target not in header:
        raise ValueError(f"Unknown target {target!r}; the features of {name} are {header}.")
    column = None if target is None else header.index(target)

    sequences, current = [], []
    for line_number, fields in rows[1:]:
        fields = [field.strip() for field in fields]
        if fields[0] == _SEPARATOR:
            if current:
                sequences.append(current)
            current = []
            continue
        if len(fields) != len(header):
            raise ValueError(
                f"Line {line_number} of {name} has {len(fields)} tab-separated field(s); "
                f"expected {len(header)}, one per feature of the header {header}, or a "
                "sequence separator starting with '>*'."
            )
        used = range(len(header)) if column is None else [column]
        for j in used:
            if not fields[j]:
                raise ValueError(
                    f"Line {line_number} of {name} has an empty value for feature "
                    f"{header[j]!r}; expected a state."
                )
        current.append(tuple(fields) if column is None else fields[column])
    if current:
        sequences.append(current)
    if not sequences:
        raise ValueError(f"No events in {name}: it holds a header but no event rows.")
    return sequences


def sequences_from_frame(df, *, sequence, state, order=None):
    """Gather the states of a long table (an event log) into one list per sequence.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event.
    sequence : hashable
        Column naming the sequence (case) each event belongs to.
    state : hashable
        Column holding the events' states (activities).
    order : hashable, default=None
        Column by which to order the events of a sequence (e.g. a timestamp). The sort is
        stable: events that tie keep their row order. With None, events keep their row order.
        Timestamps read as text sort correctly only in ISO format (``2012-04-03 16:55:38``);
        parse them first otherwise (``pd.to_datetime``, or ``parse_dates`` in
        :func:`read_event_log`).

    Returns
    -------
    sequences : pandas.Series of lists
        One list of states per sequence, indexed by sequence id in order of first appearance
        in ``df``. It can be passed as ``X`` to the estimators as it is.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        If a column is missing, ``df`` has no rows, or a sequence id, state or order value is
        missing (NaN or None).

    See Also
    --------
    read_event_log : Read an event log from a CSV file.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_seqlab.readers import sequences_from_frame
    >>> log = pd.DataFrame({"case": [7, 3, 7, 3], "activity": ["b", "x", "a", "y"],
    ...                     "time": [2, 1, 1, 5]})
    >>> sequences_from_frame(log, sequence="case", state="activity", order="time")
    case
    7    [a, b]
    3    [x, y]
    Name: activity, dtype: object
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
    columns = {"sequence": sequence, "state": state}
    if order is not None:
        columns["order"] = order
    for argument, column in columns.items():
        if not isinstance(column, Hashable) or column not in df.columns:
            raise ValueError(
                f"{argument}={column!r} is not a column of df; its columns are "
                f"{df.columns.tolist()}."
            )
    if len(df) == 0:
        raise ValueError("df has no rows; at least one event is required.")
    for argument, column in columns.items():
        missing = df[column].isna().to_numpy()
        if missing.any():
            raise ValueError(
                f"Column {column!r} ({argument}) has {int(missing.sum())} missing value(s), "
                f"first at row {df.index.tolist()[missing.argmax()]!r}; drop or fill them first."
            )
    ids, positions = {}, []
    for case in df[sequence].tolist():
        positions.append(ids.setdefault(case, len(ids)))
    rows = range(len(df))
    if order is not None:
        try:
            rows = df[order].reset_index(drop=True).sort_values(kind="stable").index
        except TypeError as exc:
            raise TypeError(f"Column {order!r} (order) cannot be sorted: {exc}.") from None
    states = df[state].tolist()
    lists = [[] for _ in ids]
    for row in rows:
        lists[positions[row]].append(states[row])
    index = pd.Index(list(ids), name=sequence, tupleize_cols=False)
    return pd.Series(lists, index=index, name=state, dtype=object)


def read_event_log(path, *, sequence, state, order=None, **read_csv_kwargs):
    """Read an event log from a CSV file into one list of states per sequence.

    Parameters
    ----------
    path : str, path-like or file
        Anything :func:`pandas.read_csv` reads.
    sequence, state, order : hashable
        Columns as in :func:`sequences_from_frame`.
    **read_csv_kwargs : dict
        Passed to :func:`pandas.read_csv`, e.g. ``sep`` or ``parse_dates``.

    Returns
    -------
    sequences : pandas.Series of lists
        One list of states per sequence, indexed by sequence id in order of first appearance.

    See Also
    --------
    sequences_from_frame : The same from a DataFrame.

    Examples
    --------
    >>> import io
    >>> from sklearn_seqlab.readers import read_event_log
    >>> csv = io.StringIO("CaseID,ActivityID,CompleteTimestamp\\n"
    ...                   "2,1,2012-04-03 16:55:38\\n2,8,2012-04-03 16:55:53\\n"
    ...                   "3,1,2010-10-29 18:14:06\\n")
    >>> read_event_log(csv, sequence="CaseID", state="ActivityID",
    ...                order="CompleteTimestamp", parse_dates=["CompleteTimestamp"]).tolist()
    [[1, 8], [1]]
    """
    df = pd.read_csv(path, **read_csv_kwargs)
    return sequences_from_frame(df, sequence=sequence, state=state, order=order)


def _open_text(path_or_file):
    if isinstance(path_or_file, (str, os.PathLike)):
        return open(path_or_file, encoding="utf-8-sig")  # a byte-order mark is not a state
    if not hasattr(path_or_file, "read"):
        raise TypeError(
            "path_or_file must be a path (str or os.PathLike) or a file opened in text mode, "
            f"got {type(path_or_file).__name__}."
        )
    return nullcontext(path_or_file)  # the caller opened it, so the caller closes it


def _lines(file):
    for line in file:
        if not isinstance(line, str):
            raise TypeError(
                "The file was opened in binary mode; open it in text mode (open(path)) or pass "
                "its path."
            )
        yield line


def _describe(path_or_file):
    if isinstance(path_or_file, (str, os.PathLike)):
        return f"file {os.fspath(path_or_file)!r}"
    name = getattr(path_or_file, "name", None)
    return f"file {name!r}" if isinstance(name, str) else "the file"
