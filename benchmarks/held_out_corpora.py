"""Write corpora that are not in ``../shared/data`` in the formats of ``real_data.py``.

Settings are chosen on ``../shared/data``; these corpora check that they carry over to data
nothing was tuned on (``benchmarks/README.md``, eleventh round). Each is read from a clone of
its public repository:

- ``--pop DIR``: a clone of ``tmc323/Chord-Annotations`` (RWC-Pop and uspop, Harte's
  notation, one ``.lab`` file a song). Each song's chord changes (repeats merged) are cut at
  ``N``/``X`` (no chord, unknown) and then into phrases of 8; phrases of 3 chords or more
  are kept. Writes ``pop_phrases.tsv`` (``--phrases``: song_id, phrase) and
  ``pop_songs.csv`` (``--helpdesk``: each song a case, in the order of a hash of its file
  name, so that Tax's split by order mixes both collections).
- ``--abc DIR``: a clone of ``DCMLab/ABC`` (Beethoven's string quartets, Roman numerals
  relative to the local key). Each movement's ``chord`` labels (repeats merged) are cut at
  the annotated phrase ends and then into pieces of 16; pieces of 3 or more are kept. Writes
  ``abc_phrases.tsv``.
- ``--logs DIR``: a clone of ``lmu-dbs/BEST``, whose ``data/`` holds process logs as CSV
  exports of their XES files. Writes ``sepsis.csv`` and ``bpi13_closed.csv`` in Helpdesk's
  columns (``--helpdesk``), cases ordered by their first event, so that Tax's split tests on
  the later cases.

Usage::

    python benchmarks/held_out_corpora.py --pop Chord-Annotations --abc ABC --out corpora
    python benchmarks/real_data.py --phrases corpora/pop_phrases.tsv \\
        --models vomm vomm5_cache hybrid default_lstm
    python benchmarks/real_data.py --helpdesk corpora/pop_songs.csv --models vomm hybrid
"""

import argparse
import csv
import hashlib
from pathlib import Path

import pandas as pd

NO_CHORD = {"N", "X"}
LOGS = {"sepsis": "sepsis", "bpi13_closed": "BPI2013_closed"}
"""The logs written from ``lmu-dbs/BEST``'s ``data/``: our name, its file name."""


def pop_songs(root):
    """Chord changes of each ``.lab`` file under ``root``, as ``{relative path: segments}``.

    A segment is a run of chords between no-chord marks, repeated chords merged.
    """
    songs = {}
    for path in sorted(Path(root).rglob("*.lab")):
        segments, current = [], []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            chord = fields[2]
            if chord in NO_CHORD:
                segments, current = _close(segments, current), []
            elif not current or current[-1] != chord:
                current.append(chord)
        songs[path.relative_to(root).as_posix()] = _close(segments, current)
    # by a hash of the name: Tax's split by order then takes songs of both collections
    return dict(sorted(songs.items(), key=lambda item: hashlib.md5(item[0].encode()).hexdigest()))


def abc_movements(root):
    """Roman numerals of each movement under ``root/harmonies``, cut at phrase ends."""
    movements = {}
    for path in sorted((Path(root) / "harmonies").glob("*.harmonies.tsv")):
        table = pd.read_csv(path, sep="\t", dtype=str).fillna("")
        phrases, current = [], []
        for chord, phrase_end in zip(table["chord"], table["phraseend"], strict=True):
            if "{" in phrase_end and "}" not in phrase_end:  # a phrase starts
                phrases, current = _close(phrases, current), []
            if chord and chord != "@none" and (not current or current[-1] != chord):
                current.append(chord)
            if "}" in phrase_end:  # a phrase ends
                phrases, current = _close(phrases, current), []
        movements[path.name.split(".")[0]] = _close(phrases, current)
    return movements


def process_log(path):
    """A log exported from XES (``case:concept:name``, ``concept:name``, ``time:timestamp``)
    in Helpdesk's columns, its cases ordered by their first event."""
    columns = {"case:concept:name": "CaseID", "concept:name": "ActivityID"}
    log = pd.read_csv(path, usecols=[*columns, "time:timestamp"], low_memory=False)
    log = log.rename(columns=columns).dropna()
    stamps = pd.to_datetime(log.pop("time:timestamp"), utc=True, format="mixed")
    log["CompleteTimestamp"] = stamps.dt.tz_localize(None)
    start = log.groupby("CaseID")["CompleteTimestamp"].transform("min")
    return log.assign(start=start).sort_values(
        ["start", "CaseID", "CompleteTimestamp"], kind="stable"
    )[["CaseID", "ActivityID", "CompleteTimestamp"]]


def _close(segments, current):
    return [*segments, current] if current else segments


def pieces(segments, size, min_length=3):
    """Cut each segment into consecutive pieces of ``size``; keep those of ``min_length``."""
    cut = (segment[i : i + size] for segment in segments for i in range(0, len(segment), size))
    return [piece for piece in cut if len(piece) >= min_length]


def write_phrases(path, corpus, size):
    """One row per piece of ``size`` chords: song_id, the chords separated by spaces."""
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, delimiter="\t")
        writer.writerow(["song_id", "phrase"])
        for song, segments in enumerate(corpus.values()):
            for piece in pieces(segments, size):
                writer.writerow([f"{song:04d}", " ".join(piece)])


def write_cases(path, corpus):
    """Each song a case of its chords in Helpdesk's columns, one second per chord."""
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["CaseID", "ActivityID", "CompleteTimestamp"])
        for case, segments in enumerate(corpus.values(), start=1):
            chords = [chord for segment in segments for chord in segment]
            start = pd.Timestamp("2000-01-01")
            for k, chord in enumerate(chords):
                writer.writerow([case, chord, start + pd.Timedelta(seconds=k)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pop", help="clone of tmc323/Chord-Annotations")
    parser.add_argument("--abc", help="clone of DCMLab/ABC")
    parser.add_argument("--logs", help="clone of lmu-dbs/BEST (process logs)")
    parser.add_argument("--out", default="corpora", help="directory of the files written")
    args = parser.parse_args(argv)
    if not (args.pop or args.abc or args.logs):
        parser.error("give --pop, --abc or --logs")
    songs = pop_songs(args.pop) if args.pop else None
    if args.pop and not songs:
        parser.error(f"--pop {args.pop}: no .lab file found; is it a clone of the repository?")
    movements = abc_movements(args.abc) if args.abc else None
    if args.abc and not movements:
        parser.error(f"--abc {args.abc}: no harmonies/*.harmonies.tsv file found")
    logs = {}
    if args.logs:
        logs = {name: Path(args.logs) / "data" / f"{file}.csv" for name, file in LOGS.items()}
    missing = [str(path) for path in logs.values() if not path.is_file()]
    if missing:
        parser.error(f"--logs {args.logs}: not found: {', '.join(missing)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if songs:
        write_phrases(out / "pop_phrases.tsv", songs, 8)
        write_cases(out / "pop_songs.csv", songs)
        print(f"pop: {len(songs)} songs -> {out / 'pop_phrases.tsv'}, {out / 'pop_songs.csv'}")
    if movements:
        write_phrases(out / "abc_phrases.tsv", movements, 16)
        print(f"abc: {len(movements)} movements -> {out / 'abc_phrases.tsv'}")
    for name, path in logs.items():
        log = process_log(path)
        log.to_csv(out / f"{name}.csv", index=False)
        print(f"{name}: {log['CaseID'].nunique()} cases -> {out / f'{name}.csv'}")


if __name__ == "__main__":
    main()
