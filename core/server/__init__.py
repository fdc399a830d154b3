"""The federation API of one workspace over HTTP (docs/http-api.md): an ASGI app (starlette)
served by uvicorn. No Textual here: ``crossdeck serve`` and the tests run it headless.

- ``served``: the workspace served, re-read from disk as it changes
- ``app``: the routes; ``calls``: what every call goes through (token, rate, body, log, audit)
- ``auth``, ``ratelimit``, ``idempotency``, ``messages`` (the bodies), ``errors``
- ``query``, ``mutate`` (and decisions), ``events`` (diff, hub, watcher), ``stream`` (SSE)
- ``db``: the server's own state (``STATE/server/server.db``); ``runner``: uvicorn
"""
