"""Checking the fields of a record read from a file, and splitting known fields from unknown.

A ``Schema`` names each field a record type knows, the types it may hold and whether it is
required. ``read`` returns the constructor arguments and the unknown fields (kept in
``extra``), or a plain message saying which field is missing or of the wrong type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.sources.files import ReadLimits, iter_jsonl

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "an object"}


class Field:
    __slots__ = ("types", "required", "target")

    def __init__(self, types: tuple[type, ...], *, required: bool = False, target: str | None = None):
        self.types = types
        self.required = required
        self.target = target  # the record attribute, when it differs from the file's field name


def req(*types: type, target: str | None = None) -> Field:
    return Field(types, required=True, target=target)


def opt(*types: type, target: str | None = None) -> Field:
    return Field(types, target=target)


def _describe(value: Any) -> str:
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

    __slots__ = ("name", "fields")

    def __init__(self, name: str, fields: Mapping[str, Field]):
        self.name = name
        self.fields = dict(fields)

    def read(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | str:
        """``(known, extra)`` or an error message naming the offending field."""
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
                return f"{self.name}: field '{key}' should be {wanted}, found {_describe(value)}"
            known[spec.target or key] = value
        for key, spec in fields.items():
            if spec.required and (spec.target or key) not in known:
                return f"{self.name}: required field '{key}' is missing"
        return known, extra


def iter_records(path: Path, schema: Schema, diags: Diagnostics, limits: ReadLimits) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
    """``(line, known, extra)`` for every line of a JSON Lines file that fits ``schema``; a line
    that does not is an error naming its line, and the lines after it still load."""
    for number, raw in iter_jsonl(path, diags, limits):
        parsed = schema.read(raw)
        if isinstance(parsed, str):
            diags.error(path, parsed, number)
            continue
        yield number, parsed[0], parsed[1]
