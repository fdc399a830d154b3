"""Reading files safely: a size limit checked before reading, JSON Lines with per-line
diagnostics, JSON, and YAML through libyaml's safe loader with a guard against alias bombs.

Every reader reports what it could not read to a ``Diagnostics`` (file, line, plain message)
and returns what it could; nothing here raises for bad input, whatever the bytes. A byte order
mark is read past (UTF-16 and UTF-32 files with one are read as what they are), CRLF line ends
are read as LF, and a record nested deeper than ``MAX_NESTING`` levels is refused as that one
record. Where it went wrong is worked out only once something has failed (``core.sources.locate``).
"""

from __future__ import annotations

import operator
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from core.diagnostics import Diagnostics
from core.sources import locate, seen
from core.sources.limits import DEFAULT_MAX_FILE_BYTES, MAX_NESTING, ReadLimits  # noqa: F401 - re-exported
from core.workspace_paths import inside, the_link

# How many nodes a YAML document may expand to once aliases are followed. A real realm file
# has hundreds; a "billion laughs" document has billions while its text is a few hundred bytes.
MAX_YAML_EXPANDED_NODES = 1_000_000

T = TypeVar("T")
_MISSES_BEFORE_DICTS = 8  # failed typed decodes in a file before its remaining lines skip them
_FIELD = re.compile(r"field '([^']+)'")  # the field a Schema message names
_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
              (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_NESTS = frozenset({dict, list}).__contains__
# A line shorter than this cannot nest past MAX_NESTING (each level takes two brackets).
_SHALLOW_LINE = 2 * MAX_NESTING
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NOT_A_FILE = "not a regular file (a named pipe or a device): never opened"
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
    seen.looked_up(path)
    if limits.within is not None:
        target = os.path.realpath(path)
        if not inside(target, limits.within):
            _warn_linked_out(path, target, diags, limits.within)
            return None
    try:
        status = os.stat(target)
        if not stat.S_ISREG(status.st_mode):  # a pipe or a device would be waited on, maybe forever
            diags.error(path, f"cannot read: {NOT_A_FILE if not stat.S_ISDIR(status.st_mode) else 'is a directory'}")
            return None
        size = status.st_size
        if size > limits.max_file_bytes:
            diags.error(
                path,
                f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit; not read "
                "(raise max_file_bytes in config.toml to read it)",
            )
            return None
        started = seen.reading(path, os.fspath(target))
        with open(target, "rb", opener=_no_follow if limits.within is not None else None) as handle:
            data = handle.read()
        seen.read(started, data)
        return data
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


def as_utf8(data: bytes) -> bytes:
    """A text file's bytes as UTF-8 without a byte order mark: a UTF-8 BOM (as Windows editors
    write) is dropped; a UTF-16 or UTF-32 file with its BOM is re-encoded (left as it is when it
    is not valid in its encoding, so that its lines are reported as not UTF-8). In a real UTF-16
    or UTF-32 file of JSON or YAML, every ASCII character (the keys, the punctuation, the line
    ends) brings one or three NUL bytes: a file with fewer than one NUL byte in eight after its
    mark is UTF-8 whose first bytes happen to look like one (a damaged first line), and is read
    as UTF-8, so that only that line is lost."""
    if data[:3] == _BOM:
        return data[3:]
    if data[:1] in (b"\xff", b"\xfe", b"\x00"):
        for bom, codec in _WIDE_BOMS:
            if data.startswith(bom) and 8 * data.count(b"\x00", len(bom)) >= len(data) - len(bom) > 0:
                try:
                    return data[len(bom):].decode(codec).encode("utf-8")
                except UnicodeError:
                    return data
    return data


def read_text(path: Path, diags: Diagnostics, limits: ReadLimits) -> bytes | None:
    """``read_bytes`` as UTF-8 without a byte order mark (``as_utf8``)."""
    data = read_bytes(path, diags, limits)
    return as_utf8(data) if data is not None else None


def shown(text: str, limit: int = 60) -> str:
    """A value as a message quotes it: a hostile 100 KB string is cut to its start."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def folder_problem(path: Path | str) -> str | None:
    """None when ``path`` is a folder, else why not, in words that follow "which": "is not there",
    "is not a folder", or what the system said when asked (a name longer than it allows, a loop
    of links): a path read from a file is that record's problem, never an exception."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "is not there"
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, ELOOP, EACCES; a NUL or a lone surrogate
        return f"cannot be looked at ({_os_words(exc)})"
    return None if stat.S_ISDIR(mode) else "is not a folder"


def _os_words(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "not a name the system can look up" if isinstance(exc, ValueError) else str(exc)


def iter_jsonl(path: Path, diags: Diagnostics, limits: ReadLimits) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for every good line of a JSON Lines file.

    Blank lines and ``#`` comment lines are skipped; a line that is not a JSON object is an
    error naming its line, and the lines after it still load.
    """
    data = read_text(path, diags, limits)
    if data is not None:
        yield from jsonl_objects(path, data, diags)


def jsonl_objects(path: Path, data: bytes, diags: Diagnostics, first: int = 1) -> Iterator[tuple[int, dict[str, Any]]]:
    """``iter_jsonl`` of bytes read already (``read_text``), their first line numbered ``first``."""
    for number, line in enumerate(data.split(b"\n"), start=first):
        stripped = line.strip()
        if not stripped or stripped[:1] == b"#":
            continue
        obj = _decode_object(path, number, stripped, diags)
        if obj is not None:
            yield number, obj


def iter_typed(path: Path, decoder: msgspec.json.Decoder[T], diags: Diagnostics, limits: ReadLimits,
               exact: bool = False, nesting_checked: bool = False) -> Iterator[tuple[int, T | dict[str, Any]]]:
    """``iter_jsonl`` with a fast path: each line is first decoded straight into the decoder's
    type (a struct of the fields a format is known to hold, see ``Schema.line_type``).

    Yields ``(line, struct)`` for a line that fits the struct, ``(line, dict)`` for a good
    JSON object that does not (an unknown field, an unexpected type): the caller reads that one
    through its checked path, which keeps unknown fields and words every error. A malformed line
    is reported exactly as ``iter_jsonl`` reports it. Once most lines of a file miss (a table
    dump whose rows all carry unmodelled columns), the rest of it goes straight to the dict path
    rather than paying a failed decode a line. With ``exact``, a line also misses unless the
    struct encodes back to the line's very bytes (see ``Schema.line_type``'s ``order``).
    A struct's fields that can hold any JSON value (``metadata``) are checked for depth
    (``line_too_deep``); the struct's own fields nest no deeper than its type says. A caller that
    checks them itself, where it reads them anyway, says ``nesting_checked``.
    """
    data = read_text(path, diags, limits)
    if data is None:
        return
    decode: Any = decoder.decode
    open_fields = None if nesting_checked else _open_fields(decoder.type)
    hits = misses = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[:1] == b"#":
            continue
        if decode is not None:
            try:
                item = decode(stripped)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # ValidationError is a DecodeError
                item = None
            if item is not None and (not exact or _encode_json(item) == stripped):
                if open_fields is not None and _open_too_deep(open_fields(item)):
                    diags.error(path, locate.nested_too_deep(), number)
                    continue
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
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        if line[:3] == _BOM:  # a file saved with a BOM, appended to another: read past it
            line = line[3:].strip()
            return _decode_object(path, number, line, diags) if line and line[:1] != b"#" else None
        diags.error(path, locate.json_problem(line, exc)[0], number)
        return None
    if type(obj) is not dict:
        diags.error(path, f"expected a JSON object, found {type(obj).__name__}", number)
        return None
    # Nested past MAX_NESTING needs more opening brackets than that: two counts in C rule out
    # nearly every line before anything walks the record.
    if len(line) > _SHALLOW_LINE and line.count(b"{") + line.count(b"[") > MAX_NESTING and too_deep(obj):
        diags.error(path, locate.nested_too_deep(), number)
        return None
    return obj


def too_deep(obj: dict[str, Any] | list[Any], limit: int = MAX_NESTING) -> bool:
    """Whether a decoded JSON (or YAML) value nests deeper than ``limit`` levels (it is level 1).
    Cheap for a flat record: one pass over its values in C finds no container to descend into."""
    values = obj.values() if type(obj) is dict else obj
    if not any(map(_NESTS, map(type, values))):
        return False
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            if _NESTS(type(child)):
                stack.append((child, level + 1))
    return False


def line_too_deep(line: Any) -> bool:
    """Whether a line struct's fields of any JSON value hold something nested past ``MAX_NESTING``
    (for a caller of ``iter_typed(nesting_checked=True)``, on the lines that hold any)."""
    values = _open_fields(type(line))
    return values is not None and _open_too_deep(values(line))


def _open_too_deep(values: tuple[Any, ...]) -> bool:
    """Whether a line struct's open fields (its values at level 2) hold anything nested too deep."""
    return any(_NESTS(type(value)) and _typed_too_deep(value, MAX_NESTING - 1) for value in values)


def _typed_too_deep(value: Any, limit: int) -> bool:
    """``too_deep`` for a value that may hold structs (a line struct, its list of dependencies)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        kind = type(node)
        if kind is dict:
            children: Any = node.values()
        elif kind is list:
            children = node
        else:
            children = [getattr(node, name) for name in node.__struct_fields__]
        for child in children:
            if _NESTS(type(child)) or isinstance(child, msgspec.Struct):
                stack.append((child, level + 1))
    return False


_OPEN_FIELDS: dict[Any, Callable[[Any], tuple[Any, ...]] | None] = {}


def _open_fields(kind: Any) -> Callable[[Any], tuple[Any, ...]] | None:
    """What gets the values of a line struct's fields that may hold any JSON value (``metadata``),
    as a tuple; None when it has none, so that its lines nest no deeper than its type says."""
    if kind not in _OPEN_FIELDS:
        names = [field.name for field in msgspec.structs.fields(kind) if _holds_any(field.type)] \
            if isinstance(kind, type) and issubclass(kind, msgspec.Struct) else []
        getter = operator.attrgetter(*names, *names[:1]) if names else None  # two names at least: a tuple
        _OPEN_FIELDS[kind] = getter
    return _OPEN_FIELDS[kind]


def _holds_any(kind: Any) -> bool:
    if kind is Any or kind in (list, dict):
        return True
    args = getattr(kind, "__args__", None) or ()
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return any(_holds_any(field.type) for field in msgspec.structs.fields(kind))
    return any(_holds_any(arg) for arg in args)


def load_json(path: Path, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any] | None:
    """A JSON file holding one object, or None with an error naming the line (and, in its
    message, the column) where it went wrong."""
    data = read_text(path, diags, limits)
    if data is None:
        return None
    try:
        obj = _decode_json(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        message, offset = locate.json_problem(data, exc, "file")
        _document_error(path, data, message, offset, diags)
        return None
    if not isinstance(obj, dict):
        _document_error(path, data, f"expected a JSON object, found {type(obj).__name__}",
                        len(data) - len(data.lstrip()), diags)
        return None
    if too_deep(obj):
        _document_error(path, data, locate.nested_too_deep(), locate.deep_offset(data), diags)
        return None
    return obj


def _document_error(path: Path, data: bytes, message: str, offset: int | None, diags: Diagnostics) -> None:
    if offset is None:
        diags.error(path, message)
        return
    line, column = locate.position(data, offset)
    diags.error(path, f"{message} (column {column})", line)


def json_line_of(path: Path, keys: list[str | int], raw: Any = None, message: str = "") -> int | None:
    """The 1-based line of the value at ``keys`` in a JSON file (or of its field a schema message
    names, when the value holds it), for diagnostics: slow path, only when a record is bad."""
    match = _FIELD.search(message)
    if isinstance(raw, dict) and match and match.group(1) in raw:
        keys = [*keys, match.group(1)]
    try:
        data = as_utf8(path.read_bytes())
    except (OSError, ValueError):
        return None
    return locate.json_value_line(data, keys)


def load_yaml(path: Path, diags: Diagnostics, limits: ReadLimits) -> Any:
    """A YAML document through the safe loader, or None with an error naming the line."""
    data = read_text(path, diags, limits)
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
        if "nesting depth" in problem:  # libyaml's own bound, far past ours
            diags.error(path, locate.nested_too_deep(), mark.line + 1 if mark else None)
        else:
            diags.error(path, f"malformed YAML: {problem}", mark.line + 1 if mark else None)
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        diags.error(path, f"malformed YAML: {exc.reason}", text.count("\n", 0, exc.position) + 1)
        return None
    except yaml.YAMLError as exc:
        diags.error(path, f"malformed YAML: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - a tag that does not convert (!!int x), a 5,000-digit number
        message, line = locate.yaml_construct_problem(text, _SafeLoader, exc)
        diags.error(path, message, line)
        return None
    if not isinstance(doc, (dict, list)):
        return doc
    nodes, depth = _yaml_shape(doc)
    if nodes > MAX_YAML_EXPANDED_NODES:
        diags.error(path, f"YAML aliases expand to over {MAX_YAML_EXPANDED_NODES:,} nodes (an alias bomb?); "
                    "not loaded", locate.yaml_shape_line(text, _SafeLoader, MAX_YAML_EXPANDED_NODES))
        return None
    if depth > MAX_NESTING:
        diags.error(path, locate.nested_too_deep(), locate.yaml_shape_line(text, _SafeLoader, MAX_YAML_EXPANDED_NODES))
        return None
    return doc


def _yaml_shape(doc: Any) -> tuple[int, int]:
    """How many nodes ``doc`` has with every alias expanded, and how deep it nests, computed without
    expanding them (each shared container is measured once) and without recursion. A
    self-referencing document counts as infinite; the walk stops once either bound is passed."""
    infinite = MAX_YAML_EXPANDED_NODES + 1
    shapes: dict[int, tuple[int, int]] = {}  # id of a finished container -> (nodes, depth)
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        children = node.values() if isinstance(node, dict) else node
        if finished:
            on_path.discard(ident)
            nodes, depth = 1, 1
            for child in children:
                if isinstance(child, (dict, list)):
                    size, deep = shapes[id(child)]
                    nodes, depth = nodes + size, max(depth, deep + 1)
                else:
                    nodes += 1
            shapes[ident] = (min(nodes, infinite), depth)
            continue
        if ident in shapes:
            continue
        if ident in on_path or len(on_path) >= MAX_NESTING:
            return infinite if ident in on_path else 0, MAX_NESTING + 1
        on_path.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, (dict, list)))
        if len(shapes) > MAX_YAML_EXPANDED_NODES:
            return infinite, 0
    nodes, depth = shapes[id(doc)]
    return nodes, depth


def yaml_line_of(path: Path, keys: list[str | int]) -> int | None:
    """The 1-based line of the node at ``keys`` in a YAML file, for diagnostics (slow path:
    only called when a record in the file is bad)."""
    try:
        node = yaml.compose(as_utf8(path.read_bytes()).decode("utf-8"), Loader=_SafeLoader)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if node is None:  # an empty document (or only comments): what it lacks, it lacks from line 1
        return 1
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
