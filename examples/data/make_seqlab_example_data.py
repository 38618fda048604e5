"""Write the small data sets that ``examples/seqlab_example_config.json`` reads.

SeqLab's example config names ``data/some-dataset.csv`` and ``data/some-dataset.txt``. These
stand in for them: synthetic chord progressions (``make_chord_progressions``) written in
SeqLab's two formats, so that the example runs anywhere, in seconds.

- ``seqlab_chords_melody.csv``: SeqLab's real CSV dialect, comma-separated with humdrum
  column names: ``**harte`` (the chord, in Harte notation), ``**kern`` (a melody note, a
  tone of the chord in humdrum pitch names, sometimes tied with ``[`` or ``]``) and
  ``**duration``; ``*>`` rows separate the sections.
- ``seqlab_chords.txt``: the same progressions as SeqLab's TXT format, one a line.

Run from anywhere: ``python examples/data/make_seqlab_example_data.py``. The files are
committed; a test checks that they are what this script writes.
"""

import csv
import io
from pathlib import Path

import numpy as np

from sklearn_seqlab.chords import parse_chord
from sklearn_seqlab.datasets import make_chord_progressions

HERE = Path(__file__).resolve().parent
N_SEQUENCES = 80
SECTIONS = ["Intro", "Verse", "Chorus", "Bridge"]
# plain chord suffix -> (Harte shorthand, semitones of the chord tones above the root)
QUALITIES = {
    "": ("maj", (0, 4, 7)),
    "m": ("min", (0, 3, 7)),
    "7": ("7", (0, 4, 7, 10)),
    "m7": ("min7", (0, 3, 7, 10)),
    "maj7": ("maj7", (0, 4, 7, 11)),
    "dim": ("dim", (0, 3, 6)),
}
KERN = ["c", "c#", "d", "e-", "e", "f", "f#", "g", "a-", "a", "b-", "b"]


def split(symbol):
    """``"Ebm7"`` -> ``("Eb", "m7")``: the root as written and the plain suffix."""
    root = symbol[:2] if symbol[1:2] in ("b", "#") else symbol[:1]
    return root, symbol[len(root) :]


def harte(symbol):
    """``"Ebm"`` -> ``"Eb:min"``: the root as written, then the Harte shorthand."""
    root, suffix = split(symbol)
    return f"{root}:{QUALITIES[suffix][0]}"


def melody_note(symbol, rng):
    """A tone of the chord, in humdrum's pitch names, now and then tied (``[``, ``]``)."""
    tone = (parse_chord(symbol).root + rng.choice(QUALITIES[split(symbol)[1]][1])) % 12
    return ["", "[", "]"][rng.choice(3, p=[0.8, 0.1, 0.1])] + KERN[tone]


def make():
    """The two files' text: (csv, txt)."""
    rng = np.random.RandomState(0)
    progressions = make_chord_progressions(N_SEQUENCES, min_length=4, max_length=12, random_state=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["**harte", "**kern", "**duration"])
    for i, progression in enumerate(progressions):
        section = f"*>{SECTIONS[i % len(SECTIONS)]}"
        writer.writerow([section, section, "1"])
        for symbol in progression:
            writer.writerow([harte(symbol), melody_note(symbol, rng), rng.choice(["4", "8"])])
    txt = "".join(" ".join(progression) + "\n" for progression in progressions)
    return out.getvalue(), txt


if __name__ == "__main__":
    csv_text, txt_text = make()
    (HERE / "seqlab_chords_melody.csv").write_text(csv_text)
    (HERE / "seqlab_chords.txt").write_text(txt_text)
