"""Event logs: a long table of events, one row per event, gathered into sequences."""

from collections.abc import Hashable

import pandas as pd


def sequences_from_frame(df, *, sequence, state, order=None, features=None):
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
    features : list of hashable, default=None
        Columns of further features of each event (its resource, the month it happened in,
        ...). With them each event is a tuple ``(state, feature_1, ...)``: pass the sequences
        through ``StateEncoder(target=0)``, which predicts the state and gives the networks
        the features as extra inputs (count models read the state alone).

    Returns
    -------
    sequences : pandas.Series of lists
        One list of states (or of event tuples, with ``features``) per sequence, indexed by
        sequence id in order of first appearance in ``df``. It can be passed as ``X`` to the
        estimators as it is.

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
    >>> from sklearn_seqlab.data import sequences_from_frame
    >>> log = pd.DataFrame({"case": [7, 3, 7, 3], "activity": ["b", "x", "a", "y"],
    ...                     "time": [2, 1, 1, 5]})
    >>> sequences_from_frame(log, sequence="case", state="activity", order="time")
    case
    7    [a, b]
    3    [x, y]
    Name: activity, dtype: object
    >>> sequences_from_frame(log, sequence="case", state="activity", features=["time"])[3]
    [('x', 1), ('y', 5)]
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
    columns = {"sequence": sequence, "state": state}
    if order is not None:
        columns["order"] = order
    if features is not None:
        if isinstance(features, (str, bytes)) or not isinstance(features, (list, tuple)):
            raise TypeError(
                f"features must be a list of column names, got {type(features).__name__} "
                f"{features!r}; for one column write features=[{features!r}]."
            )
        if not features:
            raise ValueError("features=[] names no column; pass None for states alone.")
        columns |= {f"features[{i}]": column for i, column in enumerate(features)}
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
    if features:  # one tuple per event: the state first, then its features
        states = list(zip(states, *(df[column].tolist() for column in features), strict=True))
    lists = [[] for _ in ids]
    for row in rows:
        lists[positions[row]].append(states[row])
    index = pd.Index(list(ids), name=sequence, tupleize_cols=False)
    return pd.Series(lists, index=index, name=state, dtype=object)


def read_event_log(path, *, sequence, state, order=None, features=None, **read_csv_kwargs):
    """Read an event log from a CSV file into one list of states per sequence.

    Parameters
    ----------
    path : str, path-like or file
        Anything :func:`pandas.read_csv` reads.
    sequence, state, order : hashable
        Columns as in :func:`sequences_from_frame`.
    features : list of hashable, default=None
        Columns of further features of each event, as in :func:`sequences_from_frame`.
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
    >>> from sklearn_seqlab.data import read_event_log
    >>> csv = io.StringIO("CaseID,ActivityID,CompleteTimestamp\\n"
    ...                   "2,1,2012-04-03 16:55:38\\n2,8,2012-04-03 16:55:53\\n"
    ...                   "3,1,2010-10-29 18:14:06\\n")
    >>> read_event_log(csv, sequence="CaseID", state="ActivityID",
    ...                order="CompleteTimestamp", parse_dates=["CompleteTimestamp"]).tolist()
    [[1, 8], [1]]
    """
    df = pd.read_csv(path, **read_csv_kwargs)
    return sequences_from_frame(df, sequence=sequence, state=state, order=order, features=features)
