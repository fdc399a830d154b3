"""``crossdeck watch [REMOTE] [ROOT...] [--json]``: follow the event streams of HTTP remotes.

Each HTTP remote of the loaded workspaces (or the one ``REMOTE`` names: a remote's name,
``WORKSPACE:NAME``, or the workspace it serves) is synced once, subscribed to, and followed
(``core.sync.live.follow``): every event is applied to the local state (the remote's snapshot, our
outgoing requests) and printed as one line, or as one JSON object per line with ``--json``
(schema ``core/schemas/watch.schema.json``). Ctrl+C (or SIGTERM) unsubscribes and exits 0.
A remote that cannot be reached is tried again with backoff (each failure on stderr); exit 1
when every stream ended on a refusal (a 4xx); 2 when there is no HTTP remote to
watch, or nothing loadable. docs/cli/watch.md has the details.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, nothing_loaded, report_diagnostics
from core.text import one_line

SUBSCRIBE_WAIT = 30.0  # seconds to wait for the subscriptions before saying "watching"

if TYPE_CHECKING:
    from core.federation import Federation
    from core.sync.fetch_pool import Target
    from core.sync.live import Applied


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from core.commands.sync import NameThenRoots

    parser = sub.add_parser("watch", help="follow the event streams of HTTP remotes (Ctrl+C stops)",
                            usage="crossdeck watch [REMOTE] [ROOT...] [--json] [--verbose]",
                            description="follow the event streams of HTTP remotes (docs/cli/watch.md)")
    parser.add_argument("roots", nargs="*", default=[], metavar="ARG", action=NameThenRoots, name_optional=True,
                        help="a remote's name (or WORKSPACE:NAME, or the workspace it serves), then folders to search")
    parser.add_argument("--json", action="store_true", help="one JSON object per event on stdout")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every warning on stderr")
    parser.set_defaults(name=None, all=False, needs_federation=True, run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    from core.sync.fetch_pool import targets_of
    from core.sync.live import follow

    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if nothing_loaded(fed):
        return EXIT_UNUSABLE
    targets = [t for t in targets_of(fed.workspaces, args.name) if t.remote.transport == "http"]
    if not targets:
        which = f"named {one_line(args.name)!r}" if args.name else "at all"
        sys.stderr.write(f"crossdeck watch: no HTTP remote {which} (crossdeck remote list shows the remotes; "
                         "an HTTP one has an http_url or an http(s):// url)\n")
        return EXIT_UNUSABLE
    out = threading.Lock()
    failed: set[str] = set()
    stop = threading.Event()

    def on_event(applied: Applied) -> None:
        with out:
            sys.stdout.write(_json_line(applied) if args.json else line(applied) + "\n")
            sys.stdout.flush()

    def on_error(target: Target, message: str) -> None:
        with out:
            failed.add(target.remote.name)
            sys.stderr.write(f"crossdeck watch: {one_line(target.remote.workspace)} -> "
                             f"{one_line(target.remote.name)}: {message}\n")
            sys.stderr.flush()

    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    following = None
    refused = False  # every stream ended on its own (refusals), not on Ctrl+C or SIGTERM
    try:
        following = follow(targets, on_event, stop, on_error=on_error)
        following.wait_subscribed(SUBSCRIBE_WAIT)
        sys.stderr.write(f"watching {len(targets)} HTTP remote{'s' * (len(targets) != 1)}: "
                         + ", ".join(one_line(t.remote.name) for t in targets) + " (Ctrl+C stops)\n")
        sys.stderr.flush()
        while not stop.is_set() and following.alive:  # a remote that cannot be reached is tried again
            stop.wait(0.2)
        refused = not stop.is_set()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, previous)
    if following is not None:
        following.close()
    return EXIT_ERRORS if refused else EXIT_OK


def line(applied: Applied) -> str:
    """``AT  REMOTE  TYPE  KEY-OR-REQUEST  STATUS (was OLD): TITLE  [applied]``, printable."""
    subject = applied.key or applied.request_id or "-"
    was = applied.previous.get("status")
    status = (applied.status or "") + (f" (was {was})" if was and was != applied.status else "")
    title = f": {applied.title}" if applied.title else ""
    done = f"  [{', '.join(applied.applied)} updated]" if applied.applied else ""
    error = f"  [not applied: {applied.error}]" if applied.error else ""
    return one_line(f"{applied.at or '-'}  {applied.remote}  {applied.type}  {subject}  {status}{title}{done}{error}")


def _json_line(applied: Applied) -> str:
    import msgspec

    return msgspec.json.encode(applied).decode() + "\n"
