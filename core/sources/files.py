"""Reading files safely: a size limit checked before reading, JSON Lines with per-line
diagnostics, JSON, and YAML through libyaml's safe loader with a guard against alias bombs.

Every reader reports what it could not read to a ``Diagnostics`` (file, line, plain message)
and returns what it could; nothing here raises for bad input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from core.diagnostics import Diagnostics
from core.sources.limits import DEFAULT_MAX_FILE_BYTES, ReadLimits  # noqa: F401 - re-exported
from core.workspace_paths import inside, the_link

# How many nodes a YAML document may expand to once aliases are followed. A real realm file
# has hundreds; a "billion laughs" document has billions while its text is a few hundred bytes.
MAX_YAML_EXPANDED_NODES = 1_000_000

T = TypeVar("T")
_MISSES_BEFORE_DICTS = 8  # failed typed decodes in a file before its remaining lines skip them
_BYTE_OFFSET = re.compile(r"\(byte (\d+)\)")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode
try:  # libyaml ships in PyYAML's wheels; fall back to the pure loader where it does not.
    _SafeLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the wheel
    _SafeLoader = yaml.SafeLoader


def read_bytes(path: Path, diags: Diagnostics, limits: ReadLimits) -> bytes | None:
    """The file's bytes, or None with an error when it is unreadable or over the size limit (and
    with a warning when a link leads it out of the workspace: ``linked_out``)."""
    target: Path | str = path
    if limits.within is not None:
        target = os.path.realpath(path)
        if not inside(target, limits.within):
            _warn_linked_out(path, target, diags, limits.within)
            return None
    try:
        size = os.stat(target).st_size
        if size > limits.max_file_bytes:
            diags.error(
                path,
                f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit; not read "
                "(raise max_file_bytes in config.toml to read it)",
            )
            return None
        with open(target, "rb", opener=_no_follow if limits.within is not None else None) as handle:
            return handle.read()
    except OSError as exc:
        diags.error(path, f"cannot read: {exc.strerror or exc}")
        return None


def linked_out(path: Path, diags: Diagnostics, limits: ReadLimits) -> bool:
    """Whether a link leads ``path`` (a record folder, say) out of the workspace being read; if so
    a warning names the link and where it leads, and the caller reads nothing there."""
    if limits.within is None:
        return False
    real = os.path.realpath(path)
    if inside(real, limits.within):
        return False
    _warn_linked_out(path, real, diags, limits.within)
    return True


def _warn_linked_out(path: Path, real: str, diags: Diagnostics, root: str) -> None:
    """One warning per link: the files behind one linked folder are all refused, and say so once."""
    link = the_link(path, root)
    if link is not None:
        where, message = link[0], f"a symbolic link to {link[1]}, outside the workspace {root}; not read"
    else:  # reached some other way (a beads redirect), not through a link
        where = str(path)
        leads = "" if real == os.path.abspath(path) else f"leads to {real}, "
        message = f"{leads}outside the workspace {root}; not read"
    if not any(d.path == where and d.message == message for d in diags.items):
        diags.warning(where, message)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | _NOFOLLOW)


def _json_message(exc: Exception) -> str:
    text = str(exc)
    if "invalid utf-8" in text.lower() or isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8"
    return "malformed JSON: " + text.removeprefix("JSON is malformed: ")


def iter_jsonl(path: Path, diags: Diagnostics, limits: ReadLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for every good line of a JSON Lines file.

    Blank lines and ``#`` comment lines are skipped; a line that is not a JSON object is an
    error naming its line, and the lines after it still load.
    """
    data = read_bytes(path, diags, limits)
    if data is None:
        return
    for number, line in enumerate(data.split(b"\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[:1] == b"#":
            continue
        obj = _decode_object(path, number, stripped, diags)
        if obj is not None:
            yield number, obj


def iter_typed(path: Path, decoder: msgspec.json.Decoder[T], diags: Diagnostics, limits: ReadLimits,
               exact: bool = False) -> Iterator[tuple[int, T | dict[str, Any]]]:
    """``iter_jsonl`` with a fast path: each line is first decoded straight into the decoder's
    type (a struct of the fields a format is known to hold, see ``Schema.line_type``).

    Yields ``(line, struct)`` for a line that fits the struct, ``(line, dict)`` for a good
    JSON object that does not (an unknown field, an unexpected type): the caller reads that one
    through its checked path, which keeps unknown fields and words every error. A malformed line
    is reported exactly as ``iter_jsonl`` reports it. Once most lines of a file miss (a table
    dump whose rows all carry unmodelled columns), the rest of it goes straight to the dict path
    rather than paying a failed decode a line. With ``exact``, a line also misses unless the
    struct encodes back to the line's very bytes (see ``Schema.line_type``'s ``order``).
    """
    data = read_bytes(path, diags, limits)
    if data is None:
        return
    decode: Any = decoder.decode
    hits = misses = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[:1] == b"#":
            continue
        if decode is not None:
            try:
                item = decode(stripped)
            except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
                item = None
            if item is not None and (not exact or _encode_json(item) == stripped):
                hits += 1
                yield number, item
                continue
            misses += 1
            if misses >= _MISSES_BEFORE_DICTS and misses > hits:
                decode = None
        obj = _decode_object(path, number, stripped, diags)
        if obj is not None:
            yield number, obj


def _decode_object(path: Path, number: int, line: bytes, diags: Diagnostics) -> dict[str, Any] | None:
    """One JSON Lines line as an object, or None with an error naming the line."""
    try:
        obj = _decode_json(line)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        diags.error(path, _json_message(exc), number)
        return None
    if not isinstance(obj, dict):
        diags.error(path, f"expected a JSON object, found {type(obj).__name__}", number)
        return None
    return obj


def load_json(path: Path, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any] | None:
    """A JSON file holding one object, or None with an error naming the line."""
    data = read_bytes(path, diags, limits)
    if data is None:
        return None
    try:
        obj = _decode_json(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        diags.error(path, _json_message(exc), _json_error_line(data, exc))
        return None
    if not isinstance(obj, dict):
        diags.error(path, f"expected a JSON object, found {type(obj).__name__}")
        return None
    return obj


def _json_error_line(data: bytes, exc: Exception) -> int | None:
    # msgspec says "... (byte N)"; turn the byte offset into a line number.
    match = _BYTE_OFFSET.search(str(exc))
    return data.count(b"\n", 0, int(match.group(1))) + 1 if match else None


def load_yaml(path: Path, diags: Diagnostics, limits: ReadLimits) -> Any:
    """A YAML document through the safe loader, or None with an error naming the line."""
    data = read_bytes(path, diags, limits)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        diags.error(path, "not valid UTF-8", data.count(b"\n", 0, exc.start) + 1)
        return None
    try:
        doc = yaml.load(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "malformed YAML"
        diags.error(path, f"malformed YAML: {problem}", mark.line + 1 if mark else None)
        return None
    except yaml.YAMLError as exc:
        diags.error(path, f"malformed YAML: {exc}")
        return None
    if ("&" in text or "*" in text) and _expanded_size(doc) > MAX_YAML_EXPANDED_NODES:
        diags.error(
            path,
            f"YAML aliases expand to over {MAX_YAML_EXPANDED_NODES:,} nodes (an alias bomb?); not loaded",
        )
        return None
    return doc


def _expanded_size(doc: Any) -> int:
    """How many nodes ``doc`` has with every alias expanded, computed without expanding them.

    Shared (aliased) containers are measured once and counted as often as they are referenced;
    a self-referencing document counts as infinite.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    infinite = MAX_YAML_EXPANDED_NODES + 1

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        ident = id(node)
        if ident in sizes:
            return sizes[ident]
        if ident in in_progress:
            return infinite
        in_progress.add(ident)
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_YAML_EXPANDED_NODES:
                total = infinite
                break
        in_progress.discard(ident)
        sizes[ident] = total
        return total

    return size(doc)


def yaml_line_of(path: Path, keys: list[str | int]) -> int | None:
    """The 1-based line of the node at ``keys`` in a YAML file, for diagnostics (slow path:
    only called when a record in the file is bad)."""
    try:
        node = yaml.compose(path.read_text("utf-8"), Loader=_SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            return None
    return node.start_mark.line + 1 if node is not None else None
