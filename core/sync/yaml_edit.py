"""Editing a YAML file in place, not re-dumping it: the file's text is kept and only the scalars
that change are replaced (in their quoting style), and a new entry or key is inserted as lines at
the indentation of its neighbours, so comments, key order and quoting survive. The edited text is
parsed again and must equal the old data with exactly the intended change; a layout the editor
does not handle (a flow-style mapping or list where something must be inserted, a block scalar to
replace) falls back to dumping the whole document with ``yaml.CSafeDumper`` (``sort_keys`` off),
which loses the file's comments: ``save`` says so. The realm actions (``core.sync.realm_actions``)
edit contracts, changelogs and imports with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core.atomic import write_text_atomic

Keys = list[str | int]


class _Unsupported(Exception):
    pass


class YamlDoc:
    """Edits to one YAML file's text, checked against the same edits made to its data."""

    def __init__(self, path: Path):
        self.path = path
        self.text = path.read_text("utf-8")
        self.tree = yaml.compose(self.text, Loader=yaml.CSafeLoader)
        self.expected = yaml.load(self.text, Loader=yaml.CSafeLoader)
        self.edits: list[tuple[int, int, str]] = []
        self.fallback = False

    def get(self, keys: Keys) -> Any:
        value = self.expected
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else value[key] if isinstance(key, int) else None
        return value

    def set(self, keys: Keys, value: str) -> None:
        self.get(keys[:-1])[keys[-1]] = value
        if self.fallback:
            return
        try:
            mapping = self._node(keys[:-1])
            node = self._child(mapping, keys[-1])
            if node is None:
                self._insert_after(mapping, _block({keys[-1]: value}), _key_column(mapping))
            elif isinstance(node, yaml.ScalarNode) and node.style not in ("|", ">"):
                self.edits.append((node.start_mark.index, node.end_mark.index, _scalar(value, node.style)))
            else:
                raise _Unsupported
        except _Unsupported:
            self.fallback = True

    def insert(self, keys: Keys, item: dict[str, Any], first: bool) -> None:
        container = self.get(keys[:-1])
        listed = container.get(keys[-1]) if isinstance(container.get(keys[-1]), list) else None
        if listed is None:
            container[keys[-1]] = [item]
        else:
            listed.insert(0 if first else len(listed), item)
        if self.fallback:
            return
        try:
            mapping = self._node(keys[:-1])
            seq = self._child(mapping, keys[-1])
            if seq is None:
                self._insert_after(mapping, _block({keys[-1]: [item]}), _key_column(mapping))
            elif isinstance(seq, yaml.SequenceNode) and not seq.flow_style and seq.value:
                dash = self.text.rindex("-", 0, seq.value[0].start_mark.index)
                column = dash - self.text.rfind("\n", 0, dash) - 1
                if first:
                    start = dash - column
                    self.edits.append((start, start, _indent(_block([item]), column)))
                else:
                    self._insert_after(seq, _block([item]), column)
            else:
                raise _Unsupported
        except _Unsupported:
            self.fallback = True

    def save(self) -> bool:
        """Write the file (atomically); False when it had to be re-dumped without its comments."""
        text = self.text
        for start, end, new in sorted(self.edits, reverse=True):
            text = text[:start] + new + text[end:]
        if self.fallback or yaml.load(text, Loader=yaml.CSafeLoader) != self.expected:
            text = yaml.dump(self.expected, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                             default_flow_style=False, width=1000)
            self.fallback = True
        write_text_atomic(self.path, text)
        return not self.fallback

    def _node(self, keys: Keys) -> Any:
        node = self.tree
        for key in keys:
            node = self._child(node, key)
            if node is None:
                raise _Unsupported
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            raise _Unsupported
        return node

    @staticmethod
    def _child(node: Any, key: str | int) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            return node.value[key]
        return None

    def _insert_after(self, node: Any, block: str, column: int) -> None:
        end = _content_end(node)
        newline = self.text.find("\n", end)
        if newline == -1:
            self.edits.append((len(self.text), len(self.text), "\n" + _indent(block, column)))
        else:
            self.edits.append((newline + 1, newline + 1, _indent(block, column)))


def _content_end(node: Any) -> int:
    """Where the text of ``node`` really ends (a block collection's end mark lies past the
    comments and blank lines after it)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1])
    return node.end_mark.index  # type: ignore[no-any-return]


def _key_column(mapping: Any) -> int:
    if not mapping.value:
        raise _Unsupported
    return mapping.value[0][0].start_mark.column  # type: ignore[no-any-return]


def _block(data: Any) -> str:
    """``data`` as block YAML, its innermost lists and mappings in flow style (``changes: [a, b]``)."""
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=None,
                     width=1000)


def _indent(block: str, column: int) -> str:
    return "".join(" " * column + line + "\n" for line in block.splitlines())


def _scalar(value: str, style: str | None) -> str:
    """``value`` as a YAML scalar in ``style`` (plain where it stays a string, else quoted)."""
    text = yaml.dump(value, Dumper=yaml.CSafeDumper, default_style=style if style in ("'", '"') else None,
                     width=1000, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()

