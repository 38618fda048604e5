"""Sequences in: readers of real formats, synthetic generators, chord symbols, augmenters."""

from .augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter
from .chords import (
    Chord,
    ChordNormalizer,
    chord_parts,
    chord_quality,
    format_chord,
    harte_degrees,
    normalize_chord,
    parse_chord,
    transpose_chord,
)
from .dataset_specs import load_dataset, read_table
from .datasets import make_chord_progressions, make_markov_sequences
from .event_logs import read_event_log, sequences_from_frame
from .readers import read_seqlab_csv, read_txt

__all__ = [
    "AugmenterChain",
    "Chord",
    "ChordNormalizer",
    "KeyTransposer",
    "SubsequenceAugmenter",
    "chord_parts",
    "chord_quality",
    "format_chord",
    "harte_degrees",
    "load_dataset",
    "make_chord_progressions",
    "make_markov_sequences",
    "normalize_chord",
    "parse_chord",
    "read_event_log",
    "read_seqlab_csv",
    "read_table",
    "read_txt",
    "sequences_from_frame",
    "transpose_chord",
]
