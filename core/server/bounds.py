"""The bounds of what a caller may send and hold open (docs/http-api.md, "Limits"), in one place.

Each is checked before any work: a body over a bound is refused (422 naming the field and the
bound, 413 for the whole body, 400 for nesting), a stream over its cap is refused (429), and
nothing is written to the workspace. ``Ref``, ``Label``, ... are the field types
``core.server.messages`` declares its bodies with, so msgspec checks them while it converts.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

MAX_BODY = 1024 * 1024  # bytes of one body (--max-body)
MAX_DEPTH = 64  # arrays and objects nested in one body
MAX_REF = 512  # characters of one reference (an item's id or key, a relationship's target, a parent)
MAX_TITLE = 500
MAX_DESCRIPTION = 64 * 1024  # characters
MAX_LABELS = 50
MAX_LABEL = 100  # characters of one label
MAX_LINKS = 50  # relationships, and references in blocks, of one request
MAX_NAME = 200  # characters of a requester, assignee, rig, delegated_to, a term
MAX_IDS = 500  # ids in one query's or subscription's filter
MAX_EXTRA = 16 * 1024  # bytes of a delegate task's free-form requirements and context, as JSON

Ref = Annotated[str, Meta(max_length=MAX_REF)]
Title = Annotated[str, Meta(min_length=1, max_length=MAX_TITLE)]
Description = Annotated[str, Meta(max_length=MAX_DESCRIPTION)]
Label = Annotated[str, Meta(max_length=MAX_LABEL)]
Labels = Annotated[list[Label], Meta(max_length=MAX_LABELS)]
Refs = Annotated[list[Ref], Meta(max_length=MAX_LINKS)]
Ids = Annotated[list[Ref], Meta(max_length=MAX_IDS)]
Name = Annotated[str, Meta(max_length=MAX_NAME)]

# The server's own bounds (Options in core.server.app sets them; these are the defaults).
ANONYMOUS_PER_MINUTE = 60  # calls a minute from one client address without a valid token
CALL_LOG_ROWS = 100_000  # rows kept in server.db's call log, oldest dropped
MAX_STREAMS_PER_CALLER = 16  # open event streams of one caller
MAX_STREAMS_PER_SUBSCRIPTION = 4  # open event streams of one subscription
STREAM_BUFFER = 1024 * 1024  # bytes of events one stream holds for a client that is not reading
STREAM_CHUNK = 16 * 1024  # bytes handed to the connection at a time
LOCK_WAIT = 60.0  # seconds a mutate waits for the workspace's lock before writing (then 503)
LOCK_WAIT_WRITTEN = 600.0  # seconds the decision on a request already written waits for it


def depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        level += 1
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level) for child in item if isinstance(child, (dict, list)))
    return deepest
