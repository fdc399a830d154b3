"""Themes are data: ``themes/*.toml`` (shipped) and the user's ``themes/`` folder beside
config.toml, loaded and registered at start-up."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

from core.resources import themes as shipped_themes
from core.settings import dirs

DEFAULT_THEME = "crossdeck-dark"
_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "success",
           "warning", "error", "boost", "dark", "luminosity_spread", "text_alpha")


class ThemeError(Exception):
    pass


def theme_folders() -> list[Path]:
    return [shipped_themes(), dirs().config / "themes"]


def load_theme(path: Path) -> Theme:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{path}: cannot read theme: {exc}") from exc
    name = raw.get("name") or path.stem
    fields = {k: raw[k] for k in _FIELDS if k in raw}
    if "primary" not in fields:
        raise ThemeError(f"{path}: a theme needs at least 'primary'")
    variables = raw.get("variables") or {}
    try:
        return Theme(name=str(name), variables={str(k): str(v) for k, v in variables.items()}, **fields)
    except (TypeError, ValueError) as exc:
        raise ThemeError(f"{path}: {exc}") from exc


def load_themes() -> tuple[list[Theme], list[str]]:
    """Every theme found, and a message for each file that could not be read."""
    found: list[Theme] = []
    problems: list[str] = []
    for folder in theme_folders():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                found.append(load_theme(path))
            except ThemeError as exc:
                problems.append(str(exc))
    return found, problems


def known_theme_names() -> set[str]:
    """crossdeck's themes, the user's, and Textual's built-in ones."""
    from textual.theme import BUILTIN_THEMES

    found, _ = load_themes()
    return {t.name for t in found} | set(BUILTIN_THEMES)
