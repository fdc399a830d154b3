"""Actions that change federation state. The dashboard and the CLI only call these.

Every action follows the same steps: validate its input, take the workspace's lock
(``lock.workspace_lock``, held across processes), re-read the state it depends on from disk,
write (JSON Lines appends through ``appendlog.append_jsonl``; whole files through
``core.atomic``), append an audit entry, and return a typed result saying what changed.

- ``decisions.decide``: approve or reject an incoming cross-repo request.

An action that refuses raises a ``SyncError`` (or a subclass) whose message is plain text for
a person; the CLI prints it and exits 1, the dashboard shows it. Nothing here prints.
"""

from __future__ import annotations


class SyncError(Exception):
    """An action refused or failed; ``str(error)`` is the message to show, never a traceback."""
