"""Readers of SeqLab's files: one sequence per line of text, and its CSV format.

Event logs (one row per event) are read by :mod:`.event_logs`.
"""

import csv
import os
import re
from contextlib import nullcontext

from .._validation import check_size


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
    >>> from sklearn_seqlab.data import read_txt
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


def read_seqlab_csv(path_or_file, *, target=None, features=None, clean_kern=False):
    """Read sequences from SeqLab's multi-feature CSV format, in either of its dialects.

    The first line is a header of feature names; each following row is one event, with one
    field per feature. Some rows separate the sequences instead of holding an event. SeqLab
    writes two dialects, and the header tells which one a file is:

    - **tab**: the header holds a tab; fields are tab-separated and a separator row starts
      with ``>*`` (a row of ``>*`` in every field, or just ``>*``), as SeqLab's documentation
      describes.
    - **comma**: otherwise; fields are comma-separated (quoted as the ``csv`` module quotes),
      features carry humdrum names (``**harte``, ``**kern``) and a separator row starts with
      ``*>`` (``*>Letter>A``, ``*>Label>Verse``), as in SeqLab's real files.

    As in SeqLab's own loader, a row separates sequences when its value of the *key feature*
    starts with the dialect's marker: the key feature is ``target``, else the first of
    ``features``, else the first column. A row too short to hold the key feature separates
    when its first field starts with the marker. Blank lines are skipped, as is whitespace
    around fields.

    Parameters
    ----------
    path_or_file : str, path-like or text file
        The file's path, or a file opened in text mode.
    target : str, default=None
        Name of the one feature to read: each event is then a str.
    features : list of str, default=None
        Names of several features to read: each event is then the tuple of their values, in
        this order (``target=`` and ``features=`` exclude each other). With neither, each
        event is the tuple of all the features, in header order. Tuples are hashable, so they
        serve as joint states as they are, or as multi-feature events for
        ``StateEncoder(target=...)``.
    clean_kern : bool, default=False
        Clean melody values as SeqLab's loader did, in the features named ``**kern`` or
        ``**kern_<n>``: keep the first whitespace-separated token, then strip ``]``, ``[``,
        ``.`` and ``;`` from both of its ends, in that order (``"[8f. 4g"`` -> ``"8f"``).
        Off by default: the cleaning merges distinct humdrum tokens (ties, rhythm dots,
        fermatas), so it is a modelling choice rather than a reading one.

    Returns
    -------
    sequences : list of list
        One list of events per sequence, in file order: str with ``target``, else tuples of
        str.

    Raises
    ------
    TypeError
        If ``target`` is not a str, or ``features`` not a list of str.
    ValueError
        If the file is empty, has no header, names a feature twice, has an event row with the
        wrong number of fields, an empty value of a feature read (or one that the ``**kern``
        cleaning empties), or holds no events; if ``target`` or a name of ``features`` is not
        a feature of the header; or if both ``target`` and ``features`` are given. Messages
        name the line and the feature at fault.

    See Also
    --------
    read_txt : Read SeqLab's single-feature TXT format.

    Examples
    --------
    >>> import io
    >>> from sklearn_seqlab.data import read_seqlab_csv
    >>> text = "chord\\tbass\\nC\\tC\\nG\\tB\\n>*\\t>*\\nAm\\tA\\nF\\tF\\n"
    >>> read_seqlab_csv(io.StringIO(text), target="chord")
    [['C', 'G'], ['Am', 'F']]
    >>> read_seqlab_csv(io.StringIO(text))[1]
    [('Am', 'A'), ('F', 'F')]
    >>> humdrum = ("**harte,**kern\\n*>Verse,*>Verse\\nG:maj,[d\\nG:maj,d]\\n"
    ...            "*>Chorus,*>Chorus\\nC:maj,e\\n")
    >>> read_seqlab_csv(io.StringIO(humdrum), features=["**harte", "**kern"], clean_kern=True)
    [[('G:maj', 'd'), ('G:maj', 'd')], [('C:maj', 'e')]]
    """
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a feature name (str) or None, got {target!r}.")
    if features is not None:
        if isinstance(features, str) or not isinstance(features, (list, tuple)):
            raise TypeError(f"features must be a list of feature names, got {features!r}.")
        if target is not None:
            raise ValueError(
                "Pass target= (one feature) or features= (several), not both; with features=, "
                "choose the predicted one later, e.g. StateEncoder(target=0)."
            )
        if not features:
            raise ValueError("features is empty; name at least one feature.")
        for feature in features:
            if not isinstance(feature, str):
                raise TypeError(f"features must hold feature names (str), got {feature!r}.")
            if features.count(feature) > 1:
                raise ValueError(f"features names {feature!r} twice.")
    name = _describe(path_or_file)
    with _open_text(path_or_file) as file:
        rows = list(_csv_rows(list(_lines(file))))
    if not rows:
        raise ValueError(
            f"No header in {name}: it is empty; expected a first line of feature names, "
            "tab- or comma-separated."
        )
    header_line, header, dialect = rows[0]
    marker, sep_name = _MARKERS[dialect]
    if header[0].startswith(marker):
        raise ValueError(
            f"No header in {name}: line {header_line} is a sequence separator ('{marker}'); "
            f"expected a first line of {sep_name}-separated feature names."
        )
    for field in header:
        if not field or header.count(field) > 1:
            problem = "an empty feature name" if not field else f"feature {field!r} twice"
            raise ValueError(f"The header of {name} (line {header_line}) has {problem}.")
    wanted = [target] if target is not None else features
    for feature in wanted or ():
        if feature not in header:
            argument = "target" if target is not None else "feature"
            raise ValueError(
                f"Unknown {argument} {feature!r}; the features of {name} are {header}."
            )
    columns = list(range(len(header))) if wanted is None else [header.index(f) for f in wanted]
    key = columns[0]
    cleaned = {j for j in columns if clean_kern and _KERN.fullmatch(header[j])}

    sequences, current = [], []
    for line_number, fields, _ in rows[1:]:
        value = fields[key] if key < len(fields) else fields[0]
        if value.startswith(marker):
            if current:
                sequences.append(current)
            current = []
            continue
        if len(fields) != len(header):
            raise ValueError(
                f"Line {line_number} of {name} has {len(fields)} {sep_name}-separated "
                f"field(s); expected {len(header)}, one per feature of the header {header}, or "
                f"a sequence separator starting with '{marker}'."
            )
        event = []
        for j in columns:
            value = fields[j]
            if value and j in cleaned:
                value = _clean_kern(value)
                if not value:
                    raise ValueError(
                        f"Line {line_number} of {name}: the value {fields[j]!r} of feature "
                        f"{header[j]!r} is empty after the **kern cleaning."
                    )
            if not value:
                raise ValueError(
                    f"Line {line_number} of {name} has an empty value for feature "
                    f"{header[j]!r}; expected a state."
                )
            event.append(value)
        current.append(event[0] if target is not None else tuple(event))
    if current:
        sequences.append(current)
    if not sequences:
        raise ValueError(f"No events in {name}: it holds a header but no event rows.")
    return sequences


# the dialects: field delimiter -> (separator marker, name used in messages)
_MARKERS = {"\t": (">*", "tab"), ",": ("*>", "comma")}
_KERN = re.compile(r"\*\*kern(_\d+)?")


def _csv_rows(lines):
    """``(line number, stripped fields, delimiter)`` of each non-blank row of a list of lines.

    The header (the first non-blank line) fixes the dialect: tab-separated when it holds a
    tab, comma-separated when it holds a comma. A header of one name holds neither: then the
    first row that starts with a marker (``>*`` or ``*>``) tells, and without one the file is
    one sequence whichever the dialect. Tab rows are split on tabs as they are (SeqLab's
    documented format has no quoting); comma rows go through the ``csv`` module, since real
    files quote values that hold commas (``"C:sus4(b7,9,13)"``). A row's number is that of the
    line it starts on.
    """
    numbered = [(i, line) for i, line in enumerate(lines, 1)]
    body = [(i, line) for i, line in numbered if line.strip()]
    if not body:
        return
    header = body[0][1]
    if "\t" in header:
        delimiter = "\t"
    elif "," in header:
        delimiter = ","
    else:
        by_marker = {marker: d for d, (marker, _) in _MARKERS.items()}
        starts = (line.lstrip()[:2] for _, line in body[1:])
        delimiter = next((by_marker[s] for s in starts if s in by_marker), "\t")
    if delimiter == "\t":
        for number, line in body:
            yield number, [f.strip() for f in line.split("\t")], delimiter
        return
    numbered = numbered[body[0][0] - 1 :]
    starts = []

    def physical():
        for number, line in numbered:
            starts.append(number)
            yield line

    for fields in csv.reader(physical()):
        first_line = starts[0]
        starts.clear()
        fields = [f.strip() for f in fields]
        if any(fields):
            yield first_line, fields, delimiter


def _clean_kern(value):
    """SeqLab's cleaning of a ``**kern`` value: first token, then four strips in its order."""
    token = value.split()[0]
    for char in "][.;":
        token = token.strip(char)
    return token


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
