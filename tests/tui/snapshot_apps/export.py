"""Regenerate the README's screenshots: the Overview and Approvals panes of the demo federation,
as SVG exported by Textual, with the same fixed clock, paths and state as the snapshot tests.

    PYTHONPATH=. python -m tests.tui.snapshot_apps.export [--out docs/screenshots]

Run it after a change to what those panes show; the files are the same on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.tui.snapshot_apps.demo import PROJECT, SIZE, DemoApp, demo_copy, pinned_environment
from tests.tui.snapshot_apps.scenes import Scene, on_pane

SCREENSHOTS: dict[str, Scene] = {"overview.svg": on_pane("1"), "approvals.svg": on_pane("4")}


async def screenshot(scene: Scene, workdir: Path) -> str:
    """The SVG of the dashboard on a fresh copy of the demo after ``scene``."""
    app = DemoApp(demo_copy(workdir))
    async with app.run_test(size=SIZE) as pilot:
        await scene(pilot)
        return app.export_screenshot(title="crossdeck")


def export(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, scene in SCREENSHOTS.items():
        with tempfile.TemporaryDirectory(prefix="crossdeck-shot-") as tmp:
            workdir = Path(tmp)
            with pinned_environment(workdir / "home"):
                svg = asyncio.run(screenshot(scene, workdir))
            if tmp in svg:
                raise SystemExit(f"{name}: a temp path is on screen; fix the fixture before publishing")
        path = out / name
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "screenshots")
    for path in export(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
