"""Diagnostics: what a loader says about input it could not read, or that points nowhere."""

from __future__ import annotations

import enum

import msgspec


class Severity(str, enum.Enum):
    """``error``: something could not be read. ``warning``: readable, but points somewhere absent."""

    ERROR = "error"
    WARNING = "warning"


class Diagnostic(msgspec.Struct, frozen=True, gc=False):
    severity: Severity
    path: str
    message: str
    line: int | None = None
    workspace: str | None = None

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.location()}: {self.message}"


class Diagnostics:
    """An append-only list of diagnostics with helpers that name the file and line."""

    __slots__ = ("items", "workspace")

    def __init__(self, workspace: str | None = None) -> None:
        self.items: list[Diagnostic] = []
        self.workspace = workspace

    def error(self, path: object, message: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(Severity.ERROR, str(path), message, line, self.workspace))

    def warning(self, path: object, message: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(Severity.WARNING, str(path), message, line, self.workspace))

    def extend(self, other: Diagnostics) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)
