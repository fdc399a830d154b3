"""Checking the fields of a record read from a file, and splitting known fields from unknown.

A ``Schema`` names each field a record type knows, the types it may hold and whether it is
required. ``read`` returns the constructor arguments and the unknown fields (kept in
``extra``), or a plain message saying which field is missing or of the wrong type.

``read`` runs once per record (200k times in a 100k-work-unit load), so each schema is compiled
into a table of exact types: a good record costs one ``type(value) in allowed`` per field. Any
record the table does not accept outright (a wrong type, a subclass, a missing field) goes through
the checked path, which alone writes the messages: both paths agree on every record they accept.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import msgspec

from core.diagnostics import Diagnostics
from core.sources.files import ReadLimits, iter_jsonl

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "an object"}


class Field:
    __slots__ = ("required", "target", "types")

    def __init__(self, types: tuple[type, ...], *, required: bool = False, target: str | None = None):
        self.types = types
        self.required = required
        self.target = target  # the record attribute, when it differs from the file's field name


def req(*types: type, target: str | None = None) -> Field:
    return Field(types, required=True, target=target)


def opt(*types: type, target: str | None = None) -> Field:
    return Field(types, target=target)


def describe(value: Any) -> str:
    """A JSON value's type in words: 'a string', 'a list', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # bool is an int in Python, never in these files
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


class Schema:
    """The known fields of one record type as it is written in one file format."""

    __slots__ = ("_required", "_table", "fields", "name")

    def __init__(self, name: str, fields: Mapping[str, Field]):
        self.name = name
        self.fields = dict(fields)
        # file field -> (record attribute, the exact types accepted without a check, optional)
        self._table = {key: (spec.target or key, _exact_types(spec.types), not spec.required)
                       for key, spec in self.fields.items()}
        self._required = frozenset(spec.target or key for key, spec in self.fields.items() if spec.required)

    def read(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | str:
        """``(known, extra)`` or an error message naming the offending field."""
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        table = self._table
        for key, value in raw.items():
            spec = table.get(key)
            if spec is None:
                extra[key] = value
            elif type(value) in spec[1]:
                known[spec[0]] = value
            elif value is not None or not spec[2]:
                return self._read_checked(raw)  # unusual or wrong: the checked path decides and says why
        if not known.keys() >= self._required:
            return self._read_checked(raw)
        return known, extra

    def line_type(self, name: str, *, typed: Mapping[str, Any] | None = None,
                  kept: Sequence[str] | Mapping[str, Any] = (),
                  order: Sequence[str] | None = None) -> type[msgspec.Struct]:
        """A struct that a JSON line fitting this schema exactly decodes straight into, for
        ``files.iter_typed``: no dict, no ``read``, nothing left for ``extra`` to hold.

        Each known field becomes its record attribute (``target``), read from the file's name,
        with the schema's types (``typed`` may name a stricter type, e.g. ``list[str]``, or a
        field the caller takes out before ``read``, e.g. typed ``dependencies``); an optional
        field is None when absent or null, as ``read`` leaves it out then. ``kept`` names unknown
        fields common enough to take on the fast path (UNSET when absent; the caller puts them in
        ``extra``), as any JSON value, or each with its type (``SCALAR``: a field that never holds a
        container, so that a line's nesting is bounded by its struct, see ``files.iter_typed``).
        Any other field, or a value of another type, fails the decode and the line takes the
        checked path.

        ``extra`` keeps the file's order of keys, which a decode cannot tell. One kept field needs
        no order. Several need ``order``, the file fields in the order the tool writes them: the
        struct's fields follow it, and ``iter_typed(exact=True)`` takes a line only when the struct
        encodes back to the very same bytes, which proves it holds every key, in the line's order.
        """
        typed = dict(typed or {})
        fields: dict[str, tuple[str, Any] | tuple[str, Any, Any]] = {}
        rename: dict[str, str] = {}
        for key, spec in self.fields.items():
            attr = spec.target or key
            if attr != key:
                rename[attr] = key
            kind = typed.pop(attr, None) or _json_type(spec.types)
            fields[key] = (attr, kind) if spec.required else (attr, kind | None, None)
        fields.update((attr, (attr, kind | None, None)) for attr, kind in typed.items())
        kinds = kept if isinstance(kept, Mapping) else dict.fromkeys(kept, Any)
        fields.update((key, (key, kind, msgspec.UNSET)) for key, kind in kinds.items())
        if order is not None:
            fields = {key: fields[key] for key in order}
        return msgspec.defstruct(name, list(fields.values()), rename=rename, kw_only=True,
                                 forbid_unknown_fields=True, gc=False)

    def _read_checked(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | str:
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        fields = self.fields
        for key, value in raw.items():
            spec = fields.get(key)
            if spec is None:
                extra[key] = value
                continue
            if value is None and not spec.required:
                continue
            if not _type_ok(value, spec.types):
                wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in spec.types)
                return f"{self.name}: field '{key}' should be {wanted}, found {describe(value)}"
            known[spec.target or key] = value
        for key, spec in fields.items():
            if spec.required and (spec.target or key) not in known:
                return f"{self.name}: required field '{key}' is missing"
        return known, extra


# A JSON value that is not a container: a kept field typed so nests nothing.
SCALAR: Any = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime union


def _json_type(types: tuple[type, ...]) -> Any:
    """The msgspec type decoding exactly what ``_type_ok`` accepts from JSON: an int stays an int
    where a number is allowed (msgspec's ``float`` alone would turn it into a float)."""
    if float in types and int not in types:
        types = (*types, int)
    return Union[types]  # noqa: UP007 - a runtime union of a tuple of types


def _exact_types(types: tuple[type, ...]) -> frozenset[type]:
    """The value types ``_type_ok`` accepts for ``types`` that can be tested by identity: an int
    where a number is allowed, a datetime where a date is; ``bool`` only where it is named."""
    exact = set(types)
    if float in exact:
        exact.add(int)
    if datetime.date in exact:
        exact.add(datetime.datetime)
    return frozenset(exact)


def iter_records(path: Path, schema: Schema, diags: Diagnostics, limits: ReadLimits) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
    """``(line, known, extra)`` for every line of a JSON Lines file that fits ``schema``; a line
    that does not is an error naming its line, and the lines after it still load."""
    return records_of(path, schema, diags, iter_jsonl(path, diags, limits))


def records_of(path: Path, schema: Schema, diags: Diagnostics, objects: Iterable[tuple[int, dict[str, Any]]]) \
        -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
    """``iter_records`` of objects read already (``files.jsonl_objects``)."""
    for number, raw in objects:
        parsed = schema.read(raw)
        if isinstance(parsed, str):
            diags.error(path, parsed, number)
            continue
        yield number, parsed[0], parsed[1]
