"""The model file as an archive: its two members, their limits, checksum and version.

This module knows bytes, JSON and arrays, not models: :mod:`._value_codecs` turns models
into the tree and the arrays written here, and back.
"""

import hashlib
import io
import json
import os
import zipfile
import zlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np

FORMAT = "sklearn_seqlab.model"
FORMAT_VERSION = 3
"""Version 3 stores every fitted attribute by the type of its value; version 2 added the
input vocabulary, the random and optimizer state. Files of versions 1 and 2 load."""

MAX_JSON_BYTES = 64 * 2**20
"""Largest ``model.json`` read: room for a vocabulary of millions of states."""
MAX_EXPANSION = 100
"""Largest ratio of a member's size to its compressed size (beyond 4 MiB). Real model files
expand 1 to 12 times; a file of zeros or blanks expands about 1000 times."""
_EXPANSION_FLOOR = 4 * 2**20
MAX_DEPTH = 64
"""Deepest nesting of JSON values (and of models) read."""
_DOCUMENT_KEYS = {"format", "format_version", "versions", "model", "checksum"}


class Invalid(ValueError):
    """What is wrong with a model file; load_model adds the file's name."""


def write_model_file(path, tree, arrays):
    """Write ``tree`` (plain JSON) and ``arrays`` (name to numeric array) to ``path``."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    npz = buffer.getvalue()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": {name: _version(name) for name in ("sklearn-seqlab", "torch", "skorch")},
        "model": tree,
    }
    document["checksum"] = _checksum(document["model"], npz)
    text = json.dumps(document, separators=(",", ":")).encode()
    if len(text) > MAX_JSON_BYTES:
        raise ValueError(
            f"The model's description takes {len(text)} bytes, more than load_model reads "
            f"(MAX_JSON_BYTES={MAX_JSON_BYTES}); use joblib for a model this large."
        )
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in (("model.json", text), ("arrays.npz", npz)):
            # data that compresses too well would look like a zip bomb to load_model
            method = zipfile.ZIP_DEFLATED
            if len(data) > _EXPANSION_FLOOR and len(data) > MAX_EXPANSION * len(
                zlib.compress(data, 1)
            ):
                method = zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)


def read_model_file(name):
    """The checked document of the file ``name`` and the raw bytes of its arrays.

    Raises ValueError naming the file for anything but a model file of a version this
    package reads, unmodified since it was saved.
    """
    if os.path.isdir(name):
        raise ValueError(f"{name!r} is a directory, not a sklearn_seqlab model file.")
    try:
        with zipfile.ZipFile(name) as archive:
            raw, npz = _read_members(archive, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise ValueError(
            f"{name!r} is not a sklearn_seqlab model file. Pickle and joblib files "
            "are refused, since loading them can run code: load those with joblib only if "
            "you trust their source."
        ) from None
    document = _parse_document(raw, name)
    if document.get("checksum") != _checksum(document["model"], npz):
        raise ValueError(f"{name!r} was modified after it was saved (checksum mismatch).")
    return document, npz


def _read_members(archive, name):
    """The bytes of ``model.json`` and ``arrays.npz``, after checking names and sizes."""
    members = [info.filename for info in archive.infolist()]
    if sorted(members) != ["arrays.npz", "model.json"]:
        if len(set(members)) < len(members):
            raise ValueError(f"{name!r} holds duplicate members {sorted(members)}; refused.")
        raise ValueError(
            f"{name!r} is a zip file but not a model file (members {sorted(members)[:5]}, "
            "expected model.json and arrays.npz)."
        )
    for info in archive.infolist():
        if info.filename == "model.json" and info.file_size > MAX_JSON_BYTES:
            raise ValueError(
                f"{name!r}: model.json holds {info.file_size} bytes, more than a model needs "
                f"(MAX_JSON_BYTES={MAX_JSON_BYTES}); refused."
            )
        if info.file_size > max(_EXPANSION_FLOOR, MAX_EXPANSION * info.compress_size):
            raise ValueError(
                f"{name!r}: {info.filename} expands from {info.compress_size} to "
                f"{info.file_size} bytes, far more than model data does (padding or a zip "
                "bomb); refused."
            )
    # zipfile stops at the declared size (and checks the CRC), so these reads are bounded
    return archive.read("model.json"), archive.read("arrays.npz")


def _parse_document(raw, name):
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(
            f"{name!r} is not a sklearn_seqlab model file: model.json is not JSON."
        ) from None
    except RecursionError:
        raise ValueError(f"{name!r}: model.json is nested too deeply; refused.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{name!r} is not a sklearn_seqlab model file.")
    found = document.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found > FORMAT_VERSION:
        raise ValueError(
            f"{name!r} has format version {found!r}, newer than this package "
            f"reads ({FORMAT_VERSION}); upgrade sklearn-seqlab."
        )
    if found < 1:
        raise ValueError(f"{name!r} has format version {found!r}, which never existed.")
    missing = sorted(_DOCUMENT_KEYS - set(document))
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if missing or unknown:
        raise ValueError(
            f"{name!r} is not a valid model file: model.json "
            + (f"lacks {missing}" if missing else f"has unknown keys {unknown[:5]}")
            + "."
        )
    if _depth(document) > MAX_DEPTH:
        raise ValueError(f"{name!r}: model.json is nested deeper than {MAX_DEPTH} levels; refused.")
    return document


def _depth(value):
    """Nesting depth of a JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


class ArrayReader:
    """The arrays of ``arrays.npz``, read one by one after checking each header.

    ``get`` reads an array only when its dtype is a plain numeric kind (never objects) and
    its size fits its member; ``check_all_used`` refuses a file that holds arrays no part of
    the model named. Arrays of older formats that a model file held as JSON are ``add``-ed.
    """

    def __init__(self, npz):
        self.zip = zipfile.ZipFile(io.BytesIO(npz))
        names = [info.filename for info in self.zip.infolist()]
        if len(set(names)) < len(names) or not all(n.endswith(".npy") for n in names):
            raise Invalid("arrays.npz holds duplicate or non-array members.")
        self.infos = {info.filename[:-4]: info for info in self.zip.infolist()}
        self.used = set()
        self.added = {}

    def add(self, name, array):
        """Register an in-memory array under a name no member of the file has."""
        while name in self.infos or name in self.added:
            name += "+"
        self.added[name] = array
        return name

    def get(self, name, kinds="biuf"):
        """The array ``name``, whose dtype kind must be in ``kinds``; floats must be finite."""
        if not isinstance(name, str) or name not in self.infos and name not in self.added:
            raise Invalid(f"the array {name!r} the model names is missing.")
        if name in self.used:
            raise Invalid(f"the array {name!r} is named twice.")
        self.used.add(name)
        if name in self.added:
            return self.added[name]
        with self.zip.open(self.infos[name]) as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(member)
            if dtype.kind not in kinds or dtype.hasobject:
                raise Invalid(f"the array {name!r} has dtype {dtype}, not of kind {kinds!r}.")
            if self.infos[name].file_size > dtype.itemsize * int(np.prod(shape)) + 65536:
                raise Invalid(f"the array {name!r} is padded beyond its data.")
            member.seek(0)
            array = np.lib.format.read_array(member, allow_pickle=False)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise Invalid(f"the array {name!r} holds values that are not finite.")
        return array

    def check_all_used(self):
        extra = sorted(set(self.infos) - self.used)
        if extra:
            raise Invalid(f"arrays.npz holds arrays the model does not name: {extra[:5]}.")


def _checksum(tree, npz):
    digest = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    digest.update(npz)
    return digest.hexdigest()


def _version(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None
