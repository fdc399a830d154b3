"""User settings: ``config.toml`` in the platform config dir, or under ``$CROSSDECK_HOME``.

See docs/config.md for every key. Settings are read once per command; a bad file is reported
(file and line) and the defaults are used, so a typo never stops the tool.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from core.diagnostics import Diagnostics
from core.dolt.config import DoltSettings, parse_dolt
from core.sources.limits import DEFAULT_MAX_FILE_BYTES, ReadLimits

APP_NAME = "crossdeck"


class Dirs(msgspec.Struct, frozen=True):
    config: Path
    state: Path
    cache: Path
    data: Path


def dirs() -> Dirs:
    """Where crossdeck keeps things. ``CROSSDECK_HOME`` puts all four under one folder."""
    home = os.environ.get("CROSSDECK_HOME")
    if home:
        base = Path(home).expanduser()
        return Dirs(base, base / "state", base / "cache", base / "data")
    import platformdirs

    return Dirs(
        Path(platformdirs.user_config_dir(APP_NAME)),
        Path(platformdirs.user_state_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
        Path(platformdirs.user_data_dir(APP_NAME)),
    )


def own_folders() -> set[Path]:
    """Every folder crossdeck keeps its own things in: this run's (``CROSSDECK_HOME`` or the
    platform's) and the platform's too. Discovery never descends into them: a fetched remote's
    checkout in the cache is not one of the user's workspaces."""
    import platformdirs

    mine = dirs()
    found = {mine.config, mine.state, mine.cache, mine.data}
    found |= {Path(platformdirs.user_config_dir(APP_NAME)), Path(platformdirs.user_state_dir(APP_NAME)),
              Path(platformdirs.user_cache_dir(APP_NAME)), Path(platformdirs.user_data_dir(APP_NAME))}
    return {Path(os.path.realpath(folder.expanduser())) for folder in found}


# A demo copy (``crossdeck demo``) holds this file at its top: it names the copy's own home, which
# every verb run on the copy uses (``use_demo_home``), and which discovery never descends into.
DEMO_MARKER = ".crossdeck-demo.json"


def demo_marker_home(folder: Path) -> Path | None:
    """The home the demo marker in ``folder`` names, if ``folder`` holds a readable one."""
    marker = folder / DEMO_MARKER
    try:
        named = msgspec.json.decode(marker.read_bytes()).get("home")
    except (OSError, msgspec.DecodeError, AttributeError):
        return None
    return (folder / named).resolve() if isinstance(named, str) and named else None


def demo_home(path: Path) -> Path | None:
    """The home of the demo copy ``path`` is in (or at the top of), if it is in one."""
    start = Path(os.path.realpath(path.expanduser()))
    for folder in (start, *start.parents):
        home = demo_marker_home(folder)
        if home is not None:
            return home
    return None


def use_demo_home(paths: list[Path]) -> Path | None:
    """Run with the home of the demo copy the first of ``paths`` that is in one is in (the roots a
    verb was given, else the current folder), unless ``CROSSDECK_HOME`` is set: the environment
    wins. Returns the home now in use, if a demo's."""
    if os.environ.get("CROSSDECK_HOME"):
        return None
    for path in paths:
        home = demo_home(path)
        if home is not None:
            os.environ["CROSSDECK_HOME"] = str(home)
            return home
    return None


class Settings(msgspec.Struct, kw_only=True):
    roots: list[str] = []
    actor: str | None = None
    email: str | None = None  # the configured actor's email (a maintainers list or a realm's approvers may name it)
    emails: dict[str, str] = {}  # [emails]: actor name -> email, for any actor (core/maintainers.py)
    theme: str = "crossdeck-dark"
    remote_ttl_seconds: int = 300
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    discovery_max_depth: int = 8
    dolt: DoltSettings = DoltSettings()
    path: str | None = None  # the file these came from, if any

    @property
    def limits(self) -> ReadLimits:
        return ReadLimits(max_file_bytes=self.max_file_bytes, dolt=self.dolt)

    def root_paths(self) -> list[Path]:
        base = Path(self.path).parent if self.path else Path.cwd()
        return [(base / Path(r).expanduser()).resolve() for r in self.roots]


_KEYS: dict[str, tuple[type, ...]] = {
    "roots": (list,),
    "actor": (str,),
    "email": (str,),
    "emails": (dict,),
    "theme": (str,),
    "remote_ttl_seconds": (int,),
    "max_file_bytes": (int,),
    "discovery_max_depth": (int,),
}


def config_path() -> Path:
    return dirs().config / "config.toml"


def load_settings(diags: Diagnostics | None = None) -> Settings:
    """Read config.toml; unknown keys and wrong types are reported and skipped."""
    diags = diags if diags is not None else Diagnostics()
    path = config_path()
    if not path.is_file():
        return Settings()
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        diags.error(path, f"cannot read settings: {exc}")
        return Settings(path=str(path))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        diags.error(path, f"malformed TOML: {exc}", int(match.group(1)) if match else None)
        return Settings(path=str(path))
    values: dict[str, Any] = {}
    for key, value in raw.get("crossdeck", raw).items():
        if key == "dolt":
            values[key] = parse_dolt(value, path, diags)
            continue
        types = _KEYS.get(key)
        if types is None:
            diags.warning(path, f"unknown setting '{key}' ignored")
        elif isinstance(value, bool) or not isinstance(value, types):
            diags.error(path, f"setting '{key}' has the wrong type ({type(value).__name__}); default used")
        elif key == "roots" and not all(isinstance(r, str) for r in value):
            diags.error(path, "setting 'roots' must be a list of paths")
        elif key == "emails" and not all(isinstance(v, str) for v in value.values()):
            diags.error(path, "setting 'emails' must map actor names to emails (\"web/crew/bob\" = \"bob@acme.dev\")")
        else:
            values[key] = value
    if "crossdeck" in raw and "dolt" in raw and "dolt" not in values:  # [dolt] beside a [crossdeck] table
        values["dolt"] = parse_dolt(raw["dolt"], path, diags)
    return Settings(path=str(path), **values)


def save_setting(key: str, value: Any) -> Path:
    """Set one top-level key in config.toml, keeping the rest of the file (atomic write)."""
    if key not in _KEYS:
        raise KeyError(key)
    path = config_path()
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    rendered = f"{key} = {_toml_value(value)}"
    for index, line in enumerate(lines):
        if line.split("=", 1)[0].strip() == key:
            lines[index] = rendered
            break
    else:
        lines.append(rendered)
    from core.atomic import write_text_atomic

    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return msgspec.json.encode(value).decode()  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to config.toml")
