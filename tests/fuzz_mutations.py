"""Hypothesis strategies that damage a seed file the ways real files get damaged or attacked:
bytes inserted, deleted or flipped; a BOM, CRLF line ends, UTF-16; one value replaced by something
hostile (deep nesting, a huge number, a wrong type, a long string, invalid UTF-8, a lone surrogate,
a YAML tag that does not convert, a path no system allows).

Each mutation is one edit of the bytes ``[start, end)`` (or a transform of the whole file, which
damages nothing: every record must still read), so the lines it did not touch are known."""

from __future__ import annotations

import re
from typing import NamedTuple

from hypothesis import strategies as st

BOM = b"\xef\xbb\xbf"


class Mutation(NamedTuple):
    data: bytes
    start: int  # the edited span of the seed (start == end: an insertion)
    end: int
    inserted: bytes
    whole: bool  # a transform of the whole file that loses nothing (BOM, CRLF, UTF-16)
    label: str

    def touched(self, seed: bytes) -> set[int]:
        """The 1-based lines of the seed this edit touched (all of them read still, for a whole
        transform: none touched)."""
        if self.whole:
            return set()
        out: set[int] = set()
        begin = 0
        for number, line in enumerate(seed.split(b"\n"), start=1):
            finish = begin + len(line) + 1  # with its newline
            if (begin < self.end and finish > self.start) or begin == self.end or \
                    (self.start == self.end and begin <= self.start < finish):
                out.add(number)
            begin = finish
        return out


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


HOSTILE_JSON: list[bytes] = [
    _deep(65), _deep(1000), _deep(100_000), b'{"a":' * 70 + b"1" + b"}" * 70, b"[" * 5000,
    b"1e999", b"-1e400", b"9" * 30, b"9" * 5000, b"1" + b"0" * 400 + b".5",
    b"[]", b"{}", b"null", b"true", b"0", b'"x"', b'[1,{"a":[]}]', b"-", b"[1,", b'{"a"',
    b'"' + b"a-" * 60_000 + b'!"', b'"' + b"x" * 100_000 + b'"', b'"hop://' + b"a/" * 5000 + b'x"',
    b'"a/' + b"a-" * 5000 + b'!"', b'"' + b"x" * 5000 + b'"', b'"../../../../../../etc"', b'"a/' * 3000 + b'"',
    b'"\xff\xfe"', b'"caf\xe9"', b'"\xed\xa0\x80"', b"\xc3\x28", b"\x00", b'"\\u0000"', b'"a\x00b"',
    b'"\\ud800"', b'"\\udc00x"', b'"\\ud800\\u0041"', b'"\\ud83d"', BOM, b'"' + BOM + b'"', b"\r", b"\t",
    b'"\\', b'"', b"\\", b"NaN", b"Infinity", b"+1", b"01", b"1.", b".5", b"0x10",
]
HOSTILE_YAML: list[bytes] = [
    b"!!int x", b"!!float abc", b"!!timestamp 2026-13-45", b"!!int 0x", b"!!binary zz", b"!!set [1]", b"!!str [1]",
    b"9" * 5000, b"1e999", b"[" * 1000 + b"]" * 1000, b"[" * 200_000, b"{a: " * 70 + b"1" + b"}" * 70,
    b"*nothing", b"&a [*a, *a]", b"!!python/object/apply:os.system ['true']", b"{", b"- ", b": :", b"\t- x",
    b"'" + b"a-" * 60_000 + b"!'", b"x" * 5000, b"../" * 3000, b'"\\ud800"', b'"\\x00"', b"\x00", b"\xff",
    b"\xed\xa0\x80", BOM, b"~", b"[]", b"{}", b"null", b"true", b"2026-01-01", b"1.10", b"? [a]\n: b",
    b"|\n  block", b"<<: *x", b"%YAML 9.9", b"---\n---", b"...", b"@x", b"`x`",
]
_JSON_VALUE = re.compile(rb'"(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null')
_YAML_VALUE = re.compile(rb"(?<=: )[^\n]+|(?<=- )[^\n]+")


def _edit(seed: bytes, start: int, end: int, inserted: bytes, label: str) -> Mutation:
    return Mutation(seed[:start] + inserted + seed[end:], start, end, inserted, False, label)


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


_WHOLE = {
    "bom": lambda data: BOM + data,
    "crlf": _crlf,
    "bom+crlf": lambda data: BOM + _crlf(data),
    "utf-16": lambda data: data.decode("utf-8").encode("utf-16"),
}


@st.composite
def mutations(draw: st.DrawFn, seed: bytes, yaml: bool = False) -> Mutation:
    n = len(seed)
    kind = draw(st.sampled_from(["insert", "delete", "flip", "replace", "value", "value", "value", "whole"]))
    if kind == "whole":
        name = draw(st.sampled_from(sorted(_WHOLE)))
        return Mutation(_WHOLE[name](seed), 0, 0, b"", True, name)
    if kind == "insert":
        at = draw(st.integers(0, n))
        piece = draw(st.binary(min_size=1, max_size=24) | st.sampled_from(HOSTILE_YAML if yaml else HOSTILE_JSON))
        return _edit(seed, at, at, piece, "insert")
    if kind == "delete":
        at = draw(st.integers(0, max(0, n - 1)))
        return _edit(seed, at, min(n, at + draw(st.integers(1, 80))), b"", "delete")
    if kind == "flip":
        at = draw(st.integers(0, max(0, n - 1)))
        width = draw(st.integers(1, 4))
        mask = draw(st.binary(min_size=width, max_size=width))
        flipped = bytes(a ^ b for a, b in zip(seed[at:at + width], mask, strict=False))
        return _edit(seed, at, at + len(flipped), flipped, "flip")
    if kind == "replace":
        at = draw(st.integers(0, max(0, n - 1)))
        return _edit(seed, at, min(n, at + draw(st.integers(1, 40))), draw(st.binary(max_size=40)), "replace")
    spans = [m.span() for m in (_YAML_VALUE if yaml else _JSON_VALUE).finditer(seed)]
    if not spans:
        return _edit(seed, 0, 0, draw(st.sampled_from(HOSTILE_YAML if yaml else HOSTILE_JSON)), "value")
    start, end = draw(st.sampled_from(spans))
    return _edit(seed, start, end, draw(st.sampled_from(HOSTILE_YAML if yaml else HOSTILE_JSON)), "value")
