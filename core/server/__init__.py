"""The federation API of one workspace over HTTP (docs/http-api.md): an ASGI app (starlette)
served by uvicorn. No Textual here: ``crossdeck serve`` and the tests run it headless.

- ``served``: the workspace served, re-read from disk as it changes
- ``app``: the routes; ``door``: the Host check in front of them (421) and the Content-Type
  check (415); ``calls``: what every call goes through (rate, token, body, log, audit)
- ``bounds``: every bound on what a caller may send and hold open, in one place
- ``auth``, ``ratelimit``, ``idempotency``, ``messages`` (the bodies), ``errors``
- ``query``, ``mutate`` (and decisions), ``events`` (diff, hub, watcher), ``stream`` (SSE, capped)
- ``tasks``: background tasks restarted after a failure; ``memory``: giving memory back
- ``db``: the server's own state (``STATE/server/server.db``); ``runner``: uvicorn
"""
