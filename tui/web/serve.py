"""``crossdeck web [ROOT...] [--host H] [--port P] [--allow-non-loopback]``: the dashboard in a
browser, with textual-serve. Whoever drives the page approves as the configured actor, so the
door is narrow:

- it listens on loopback unless ``--host`` names another address *and* ``--allow-non-loopback``
  is given (then a warning: plain HTTP, anyone who has the URL drives the dashboard);
- the page's URL carries a random token (``/?token=T``); the page without it is 403, and its
  websocket (``/ws/T``) is refused unless it presents the token;
- the websocket is refused unless ``Origin`` is this server's own origin (a page on another site
  gets nothing) and ``Host`` names this server (loopback names or the bound address: a
  DNS-rebinding name gets nothing), as ``crossdeck serve`` checks Host (core/server/door.py).

``--port 0`` takes a free port before starting (textual-serve builds the page's URLs from the
port it is given). Once listening it prints the URL, token included, on stdout."""

from __future__ import annotations

import argparse
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

from core.server.door import allowed_hosts, host_name, is_loopback

DEFAULT_PORT = 8000


def web_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossdeck web", description="serve the dashboard in a browser "
                                     "(textual-serve); docs/cli.md")
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="folders to search (default: config roots or .)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default {DEFAULT_PORT}; 0: a free one)")
    parser.add_argument("--allow-non-loopback", action="store_true",
                        help="let --host be an address other machines reach (anyone with the URL drives the "
                             "dashboard and acts as its actor)")
    parser.add_argument("--theme", help="the dashboard's theme")
    return parser


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host.strip("[]"), 0))
        return int(probe.getsockname()[1])


def run_web(argv: list[str]) -> int:
    from core.commands.mcp import missing_extra

    args = web_parser().parse_args(argv)
    problem = missing_extra("web", "textual_serve.server")
    if problem:
        sys.stderr.write(problem + "\n")
        return 2
    if not 0 <= args.port <= 65535:
        sys.stderr.write("crossdeck web: --port is 0-65535\n")
        return 2
    if not is_loopback(args.host):
        if not args.allow_non_loopback:
            sys.stderr.write(f"crossdeck web: {args.host} is not a loopback address: whoever reaches it drives the "
                             "dashboard as its actor; give --allow-non-loopback to mean it\n")
            return 2
        sys.stderr.write(f"crossdeck web: warning: serving on {args.host}, beyond this machine, over plain HTTP: "
                         "anyone with the URL (its token) drives the dashboard and acts as its actor\n")
    roots = [str(Path(r).expanduser().resolve()) for r in args.roots]
    command = [sys.executable, "-m", "tui.web.dashboard", *roots, *(["--theme", args.theme] if args.theme else [])]
    try:
        port = args.port or free_port(args.host)
    except OSError as exc:
        sys.stderr.write(f"crossdeck web: cannot bind {args.host}: {exc}\n")
        return 2
    server = guarded_server(shlex.join(command), args.host, port, secrets.token_urlsafe(24))
    server.serve()
    return 0


def guarded_server(command: str, host: str, port: int, token: str) -> Any:
    """A textual-serve ``Server`` behind the token, Origin and Host checks."""
    import asyncio
    import logging
    import signal

    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server

    shown_host = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    public_url = f"http://{shown_host}:{port}"

    class Guarded(Server):  # type: ignore[misc]
        hosts = allowed_hosts(host)

        def initialize_logging(self) -> None:
            logging.basicConfig(level="INFO", format="crossdeck web: %(message)s", stream=sys.stderr)

        async def _make_app(self) -> web.Application:
            app = web.Application()
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes([
                web.get("/", self.guarded_index, name="index"),
                web.get("/ws/{token}", self.guarded_websocket, name="websocket"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ])
            return app

        def serve(self, debug: bool = False) -> None:
            self.initialize_logging()
            asyncio.run(self._listen())

        async def _listen(self) -> None:
            """Listen, then print the URL (once connections are taken), until SIGINT or SIGTERM."""
            runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host.strip("[]"), port).start()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            sys.stdout.write(f"{public_url}/?token={token}\n")
            sys.stdout.flush()
            try:
                await stop.wait()
            finally:
                await runner.cleanup()

        def _host_ok(self, request: web.Request) -> bool:
            return host_name(request.headers.get("Host", "")) in self.hosts

        async def guarded_index(self, request: web.Request) -> web.StreamResponse:
            if not self._host_ok(request):
                raise web.HTTPMisdirectedRequest(text="this server does not answer to that Host\n")
            if not secrets.compare_digest(request.query.get("token", ""), token):
                raise web.HTTPForbidden(text="this page needs the token in the URL crossdeck web printed\n")
            context = {"font_size": 16, "app_websocket_url": f"ws://{shown_host}:{port}/ws/{token}",
                       "config": {"static": {"url": f"{public_url}/static/"}}, "application": {"name": "crossdeck"}}
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        async def guarded_websocket(self, request: web.Request) -> web.StreamResponse:
            why = None
            if not secrets.compare_digest(request.match_info["token"], token):
                why = "a wrong token"
            elif request.headers.get("Origin") != public_url and not _same_origin(request.headers.get("Origin"),
                                                                                    self.hosts, port):
                why = f"Origin {request.headers.get('Origin')!r}"
            elif not self._host_ok(request):
                why = f"Host {request.headers.get('Host')!r}"
            if why is not None:
                logging.getLogger("crossdeck.web").warning("websocket refused: %s", why)
                raise web.HTTPForbidden(text="refused\n")
            return await self.handle_websocket(request)

    return Guarded(command, host=host, port=port, title="crossdeck", public_url=public_url)


def _same_origin(origin: str | None, hosts: frozenset[str], port: int) -> bool:
    """``Origin`` is this server's: http, a name it answers to, its port."""
    from urllib.parse import urlsplit

    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme == "http" and parts.port == port and host_name(parts.netloc) in hosts
