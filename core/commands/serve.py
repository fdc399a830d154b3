"""``crossdeck serve [ROOT] [--workspace NAME] [--host H] [--port P] [--port-file F]
[--max-body BYTES] [--allow-host NAME ...]``: serve one workspace's federation API over HTTP
(core/server, docs/http-api.md) until SIGINT or SIGTERM. Calls whose ``Host`` is not a loopback
name, the bound address or an ``--allow-host`` name are refused (421). Once listening it prints
``serving WORKSPACE on http://HOST:PORT`` on stdout (and, with ``--port-file``, writes the port
to that file); each call is one line on stderr. Exit 0 after a clean shutdown, 2 when there is
nothing to serve or the address cannot be bound."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from core.commands.output import EXIT_OK, EXIT_UNUSABLE
from core.text import one_line

DEFAULT_PORT = 8765


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("serve", help="serve a workspace's federation API over HTTP (tokens: crossdeck token)",
                            description="serve one workspace's federation API over HTTP (docs/cli/serve.md)")
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="where the workspace is (default: config roots or .)")
    parser.add_argument("--workspace", "-w", metavar="W", help="the workspace (its name or folder) when several load")
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default {DEFAULT_PORT}; 0: any free)")
    parser.add_argument("--port-file", type=Path, metavar="FILE",
                        help="write the port it listens on to FILE once it listens (with --port 0: the free "
                             "port it took); removed at shutdown")
    parser.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES",
                        help="the largest request body accepted (default 1 MiB)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a Host name callers may use beside 127.0.0.1, localhost, [::1] and --host "
                             "(repeatable; e.g. the name of a TLS proxy in front)")
    parser.set_defaults(run=run, needs_federation=False)


def run(args: argparse.Namespace) -> int:
    from core.roots import NoRoots, choose_roots
    from core.server.app import Options
    from core.server.door import is_loopback
    from core.server.runner import run as serve
    from core.server.served import ServeError, pick
    from core.settings import config_path, load_settings

    if not 0 <= args.port <= 65535 or args.max_body < 1:
        sys.stderr.write("crossdeck serve: --port is 0-65535 and --max-body at least 1\n")
        return EXIT_UNUSABLE
    try:
        served = pick(choose_roots(list(args.roots), load_settings(), config_path()), args.workspace)
    except (NoRoots, ServeError) as exc:
        sys.stderr.write(f"crossdeck serve: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE

    if not is_loopback(args.host):
        sys.stderr.write(f"crossdeck serve: warning: {one_line(args.host)} is reachable beyond this machine and this "
                         "server speaks plain HTTP: bearer tokens and data cross the network unencrypted. Put a TLS "
                         "proxy in front of it, or bind 127.0.0.1.\n")
        if args.host.strip("[]") in ("0.0.0.0", "::") and not args.allow_host:
            sys.stderr.write("crossdeck serve: note: only calls naming a loopback Host are answered; name the host "
                             "callers use with --allow-host NAME\n")

    if args.port_file is not None:
        if not args.port_file.parent.is_dir():
            sys.stderr.write(f"crossdeck serve: --port-file {one_line(str(args.port_file))}: no such folder\n")
            return EXIT_UNUSABLE
        args.port_file.unlink(missing_ok=True)  # an older run's port: a script waiting for the file must not read it

    def announce(url: str) -> None:
        sys.stdout.write(f"serving {served.name} on {url}\n")
        sys.stdout.flush()
        if args.port_file is not None:
            _write_port(args.port_file, urlsplit(url).port)

    try:
        serve(served, args.host, args.port, Options(max_body=args.max_body, allow_hosts=tuple(args.allow_host)),
              announce)
    except OSError as exc:
        sys.stderr.write(f"crossdeck serve: cannot listen on {args.host}:{args.port}: "
                         f"{one_line(exc.strerror or str(exc))}\n")
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        pass
    finally:
        if args.port_file is not None:
            args.port_file.unlink(missing_ok=True)  # the port is no longer ours
    return EXIT_OK


def _write_port(path: Path, port: int | None) -> None:
    """The port, one line, written whole (a temp file renamed), so a reader that sees the file
    sees all of it."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(f"{port}\n")
    os.replace(temp, path)
