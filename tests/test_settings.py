from __future__ import annotations

from pathlib import Path

from core.diagnostics import Diagnostics
from core.settings import dirs, load_settings, save_setting


def test_crossdeck_home_holds_every_dir(crossdeck_home: Path) -> None:
    d = dirs()
    assert (d.config, d.state, d.cache, d.data) == (
        crossdeck_home, crossdeck_home / "state", crossdeck_home / "cache", crossdeck_home / "data")


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.roots == [] and settings.theme == "crossdeck-dark" and settings.remote_ttl_seconds == 300


def test_values_and_bad_entries(crossdeck_home: Path) -> None:
    (crossdeck_home / "config.toml").write_text(
        'roots = ["~/work", "rel"]\nactor = "gp/crew/joe"\nremote_ttl_seconds = "soon"\ncolour = "red"\n'
        "max_file_bytes = 1024\n")
    diags = Diagnostics()
    settings = load_settings(diags)
    assert settings.actor == "gp/crew/joe" and settings.max_file_bytes == 1024
    assert settings.remote_ttl_seconds == 300
    assert settings.root_paths() == [Path("~/work").expanduser(), crossdeck_home / "rel"]
    assert sorted((d.severity.value, d.message) for d in diags) == [
        ("error", "setting 'remote_ttl_seconds' has the wrong type (str); default used"),
        ("warning", "unknown setting 'colour' ignored"),
    ]


def test_malformed_toml_names_the_line(crossdeck_home: Path) -> None:
    (crossdeck_home / "config.toml").write_text('theme = "x"\nroots = [,]\nactor = "y"\n')
    diags = Diagnostics()
    assert load_settings(diags).theme == "crossdeck-dark"
    assert diags.errors[0].path.endswith("config.toml") and diags.errors[0].line == 2


def test_save_setting_keeps_the_rest(crossdeck_home: Path) -> None:
    (crossdeck_home / "config.toml").write_text('# mine\nactor = "a"\ntheme = "old"\n')
    save_setting("theme", "crossdeck-light")
    assert (crossdeck_home / "config.toml").read_text() == '# mine\nactor = "a"\ntheme = "crossdeck-light"\n'
    assert load_settings().theme == "crossdeck-light"
