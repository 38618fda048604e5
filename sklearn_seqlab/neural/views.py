"""What a module reads beside its states' embeddings, and scores beside its class logits.

The modules of :mod:`sklearn_seqlab.neural.modules` and
:mod:`sklearn_seqlab.neural.transformer` each have two optional views of their input,
attributes that are None when off:

- ``repetition``, the :class:`~sklearn_seqlab.neural.repetition.RepetitionSlots`: each
  state's place among the distinct states of its sequence, and a pointer at them;
- ``chords``, the :class:`~sklearn_seqlab.neural.relative_chords.RelativeChords`: chords
  embedded and scored by their kind and intervals, the same in every key.

The functions here compute what the views read in a batch once per forward pass, and apply
them to the module's input embeddings and to its output logits.
"""

from typing import NamedTuple

from .batching import state_tokens


class Structure(NamedTuple):
    """What each view of a module reads in a batch of tokens (None for a view it lacks)."""

    repetition: tuple | None
    chords: tuple | None


def context_structure(module, tokens):
    """The :class:`Structure` of ``tokens`` for ``module``'s views."""
    repetition, chords = module.repetition, module.chords
    return Structure(
        None if repetition is None else repetition.structure(tokens),
        None if chords is None else chords.structure(tokens),
    )


def embed_events(module, state_embedding, feature_embeddings, tokens, structure=None):
    """A module's event embeddings: -> (B, T, E).

    Its states' (``state_embedding``), with each chord's replaced by its relative view, plus
    those of the extra features of (B, T, 1 + F) tokens and of the repetition slots, where
    ``module`` has them. ``structure`` is :func:`context_structure` of the tokens, computed
    here when None.
    """
    if structure is None:
        structure = context_structure(module, tokens)
    x = state_embedding(state_tokens(tokens))
    if module.chords is not None:
        x = module.chords.embed(x, tokens, structure.chords)
    for f, embedding in enumerate(feature_embeddings, start=1):
        x = x + embedding(tokens[..., f])
    if module.repetition is not None:
        x = x + module.repetition.embed(tokens, structure.repetition)
    return x


def output_scores(module, readout, structure, last=None):
    """A module's output: its layer ``head`` on ``readout`` (read at every position, or at
    position ``last`` of each row), with its chords' and its slots' scores where it has
    them. The slots come last: they are normalised together with the classes' logits."""
    logits = module.head(readout)
    if module.chords is not None:
        logits = module.chords(logits, readout, structure.chords, last)
    if module.repetition is not None:
        logits = module.repetition(logits, readout, structure.repetition, last)
    return logits


def with_views(state):
    """A module's pickled ``state``, given the views it was pickled without: its
    ``forward`` reads both, and pickles from before they existed have neither."""
    present = {**state, **state.get("_modules", {})}
    return state | {view: None for view in ("repetition", "chords") if view not in present}
