"""Where a document or a line went wrong, and what, in plain words.

Slow paths only: ``core.sources.files`` calls these once a JSON document or line has failed to
decode (or was refused), never for good input. Each scan is a single pass over the bytes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import msgspec
import yaml

from core.sources.limits import MAX_NESTING

# One JSON token: a string (possibly cut short at the end of the input), punctuation, or a bare
# word (number, true, false, null, or junk up to the next delimiter).
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}:,]|[^\s\[\]{}:,"]+', re.S)
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.S)
_BYTE_OFFSET = re.compile(r"\s*\(byte (\d+)\)")
_NUMBER = re.compile(rb"-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?")
_decode_key = msgspec.json.Decoder(str).decode


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a byte offset; the column counts characters, not bytes."""
    offset = max(0, min(offset, len(data)))
    start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[start:offset].decode("utf-8", "replace")) + 1


def json_problem(data: bytes, exc: BaseException, what: str = "line") -> tuple[str, int | None]:
    """What is wrong with ``data`` (a JSON ``line`` or ``file``) in plain words, and the byte offset
    where it went wrong (None when that cannot be told)."""
    if isinstance(exc, RecursionError):
        return nested_too_deep(), deep_offset(data)
    text = str(exc)
    if isinstance(exc, UnicodeDecodeError) or "invalid utf-8" in text.lower():
        return "not valid UTF-8", bad_utf8_offset(data)
    if "truncated" in text or "surrogate" in text:
        lone = lone_surrogate(data)
        if lone is not None:
            return (f"malformed JSON: a lone surrogate {lone[1]} (one half of a UTF-16 pair, not a character)",
                    lone[0])
        if "truncated" in text:
            return f"malformed JSON: the {what} ends in the middle of a value (cut short?)", len(data.rstrip())
    if "out of range" in text:  # msgspec: "Number out of range", "Integer value out of range"
        return "malformed JSON: a number too large to read", huge_number_offset(data)
    match = _BYTE_OFFSET.search(text)
    words = _BYTE_OFFSET.sub("", text).removeprefix("JSON is malformed: ")
    return "malformed JSON: " + words, int(match.group(1)) if match else None


def nested_too_deep() -> str:
    return f"nested more than {MAX_NESTING} levels deep"


def deep_offset(data: bytes, limit: int = MAX_NESTING) -> int | None:
    """The offset of the bracket that opens level ``limit + 1`` (strings skipped)."""
    depth = 0
    for token in _TOKEN.finditer(data):
        first = data[token.start()]
        if first in b"[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif first in b"]}":
            depth -= 1
    return None


def bad_utf8_offset(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def lone_surrogate(data: bytes) -> tuple[int, str] | None:
    """The first ``\\uD800``-``\\uDFFF`` escape not in a high-low pair: its offset and text."""
    for token in _TOKEN.finditer(data):
        if data[token.start()] != 0x22:  # not a string
            continue
        pending: re.Match[bytes] | None = None  # a high half waiting for its low half
        for escape in _ESCAPE.finditer(data, token.start(), token.end()):
            code = int(escape.group(1), 16) if escape.group(1) else None
            if pending is not None:
                if code is not None and 0xDC00 <= code <= 0xDFFF and escape.start() == pending.end():
                    pending = None
                    continue
                return pending.start(), pending.group().decode()
            if code is not None and 0xD800 <= code <= 0xDBFF:
                pending = escape
            elif code is not None and 0xDC00 <= code <= 0xDFFF:
                return escape.start(), escape.group().decode()
        if pending is not None:
            return pending.start(), pending.group().decode()
    return None


def huge_number_offset(data: bytes) -> int | None:
    """The first number too large to read: past a double's range, or an integer of more digits
    than Python reads (``sys.get_int_max_str_digits``, as msgspec). Only the number that starts a
    bare word counts (``1e310true`` is read as far as ``1e310``, as the decoder reads it)."""
    digits = sys.get_int_max_str_digits()
    for token in _TOKEN.finditer(data):
        number = _NUMBER.match(token.group())
        if number is None:
            continue
        if number.group(1) or number.group(2):  # a fraction or an exponent: a double
            if abs(float(number.group())) == float("inf"):
                return token.start()
        elif digits and len(number.group().lstrip(b"-")) > digits:
            return token.start()
    return None


def json_offset(data: bytes, keys: Sequence[str | int]) -> int | None:
    """The offset of the value at ``keys`` in a JSON document (of its key, for an object's member),
    or of the deepest enclosing value that is there."""
    target = list(keys)
    best: int | None = None
    stack: list[list[Any]] = []  # [kind "{" or "[", key or index, offset of the key, awaiting a key]
    for token in _TOKEN.finditer(data):
        word = token.group()
        first = word[:1]
        frame = stack[-1] if stack else None
        if first in b",:" or first in b"]}":
            if first == b"," and frame is not None:
                if frame[0] == "{":
                    frame[3] = True
                else:
                    frame[1] += 1
                    frame[2] = None
            elif first in b"]}" and stack:
                stack.pop()
            continue
        if frame is not None and frame[0] == "{" and frame[3]:  # an object's key
            try:
                frame[1] = _decode_key(word)
            except msgspec.DecodeError:
                frame[1] = None
            frame[2], frame[3] = token.start(), False
            continue
        # a value starts here
        path = [f[1] for f in stack]
        if target[: len(path)] == path:
            at = frame[2] if frame is not None and frame[2] is not None else token.start()
            if path == target:
                return at
            best = at
        if first == b"{":
            stack.append(["{", None, None, True])
        elif first == b"[":
            stack.append(["[", 0, None, False])
    return best


def json_value_line(data: bytes, keys: Sequence[str | int]) -> int | None:
    at = json_offset(data, keys)
    return position(data, at)[0] if at is not None else None


def yaml_construct_problem(text: str, loader: Any, exc: BaseException) -> tuple[str, int | None]:
    """A YAML document composed but did not construct (``!!int x``, ``!!float abc``, a 5,000-digit
    number): which scalar, and its line."""
    try:
        node = yaml.compose(text, Loader=loader)
    except Exception:  # noqa: BLE001 - it failed to load already; any way it fails here says no more
        node = None
    stack = [node] if node is not None else []
    constructor = loader("")
    try:
        while stack:
            current = stack.pop()
            if isinstance(current, yaml.ScalarNode):
                try:
                    constructor.construct_object(current, deep=True)
                except Exception as error:  # noqa: BLE001 - the failure being looked for
                    tag = current.tag.replace("tag:yaml.org,2002:", "!!")
                    value = current.value if len(current.value) <= 40 else current.value[:37] + "..."
                    return f"malformed YAML: {value!r} cannot be read as {tag} ({error})", current.start_mark.line + 1
            elif isinstance(current, yaml.MappingNode):
                stack.extend(part for pair in reversed(current.value) for part in reversed(pair))
            elif isinstance(current, yaml.SequenceNode):
                stack.extend(reversed(current.value))
    finally:
        constructor.dispose()
    return f"malformed YAML: {exc}", None


def yaml_shape_line(text: str, loader: Any, max_nodes: int) -> int | None:
    """The line where a YAML document nests deeper than ``MAX_NESTING`` or its aliases expand past
    ``max_nodes`` nodes (the event that tips it over; for a collection that holds itself, the
    alias to it), from the parser's events alone."""
    sizes: dict[str, int] = {}  # anchor -> how many nodes it expands to
    open_: list[list[Any]] = []  # [anchor, nodes so far] of each open collection
    total = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                total += 1
                open_.append([event.anchor, 1])
                if len(open_) > MAX_NESTING:
                    return event.start_mark.line + 1
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, count = open_.pop()
                if anchor is not None:
                    sizes[anchor] = count
                if open_:
                    open_[-1][1] += count
                continue
            if isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_):  # a collection holding itself
                    return event.start_mark.line + 1
                count = sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                count = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            else:
                continue
            total += count
            if open_:
                open_[-1][1] += count
            if total > max_nodes:
                return event.start_mark.line + 1
    except Exception:  # noqa: BLE001 - only ever asked about a document that loaded
        return None
    return None
