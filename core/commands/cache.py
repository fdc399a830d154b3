"""``crossdeck cache clear`` and ``crossdeck cache info``: the parsed cache (``core.cache``), where
each workspace's records are kept after a verb read them, so that the next verb reads only what
changed. Clearing it is always safe: the next verb reads every file again and fills it."""

from __future__ import annotations

import argparse
import os
import sys

from core.commands.common import needs_sub_verb
from core.commands.output import EXIT_OK
from core.text import one_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("cache", help="the parsed cache: clear it, or say where it is and what it holds")
    actions = parser.add_subparsers(dest="cache_action", metavar="ACTION", parser_class=type(parser))
    clearing = actions.add_parser("clear", help="remove every entry (the next verb reads every file again)")
    clearing.set_defaults(run=run_clear, needs_federation=False)
    info = actions.add_parser("info", help="where the cache is, how many entries it holds and their size")
    info.set_defaults(run=run_info, needs_federation=False)
    needs_sub_verb(parser)


def run_clear(args: argparse.Namespace) -> int:
    from core.cache.store import ParsedCache

    cache = ParsedCache.default()
    removed = cache.clear()
    sys.stdout.write(one_line(f"removed {_entries(removed)} from {cache.folder}") + "\n")
    return EXIT_OK


def run_info(args: argparse.Namespace) -> int:
    from core.cache.store import ParsedCache

    cache = ParsedCache.default()
    entries, size = 0, 0
    try:
        with os.scandir(cache.folder) as found:
            for item in found:
                if not item.name.startswith(".") and item.is_file(follow_symlinks=False):
                    entries += 1
                    size += item.stat(follow_symlinks=False).st_size
    except OSError:
        pass
    sys.stdout.write(one_line(f"{cache.folder}: {_entries(entries)}, {size / 1e6:.1f} MB") + "\n")
    return EXIT_OK


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"
