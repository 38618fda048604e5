"""What every part of a config is checked with: the error, and checks of keys and values.

Its own module so that the readers of a config's parts (experiments in :mod:`.config`,
models in :mod:`.seqlab_models`, data sets in :mod:`.dataset_specs`) share one error without
importing each other.
"""

import numbers


class ConfigError(ValueError):
    """A config that cannot be used; the message names the key at fault."""

    # users import it from sklearn_seqlab.experiments.config, and tracebacks name it so
    __module__ = "sklearn_seqlab.experiments.config"


def bool_value(body, key, where):
    """``body[key]`` (False when absent), which must be true or false."""
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key!r} must be true or false, got {value!r}.")
    return value


def optional_bool_value(body, key, where):
    """``body[key]`` (None when absent, for a default that depends on the data), which must
    be true or false."""
    if key not in body:
        return None
    return bool_value(body, key, where)


def int_value(body, key, default, minimum, where):
    """``body[key]`` (``default`` when absent), which must be an integer >= ``minimum``."""
    value = body.get(key, default)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def no_unknown_keys(body, known, where):
    """Raise a ConfigError naming the keys of ``body`` outside ``known``."""
    unknown = sorted(set(body) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known: {sorted(known)}."
        )
