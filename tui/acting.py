"""Running one sync action from a pane: who acts, the confirm modal, one core call in a thread.

A pane key that changes federation state goes: ``actor_or_refuse`` (a notification and nothing
else when no actor is set or the name is refused), then ``confirm_then_run`` (the confirm modal;
on yes the core call runs in a thread worker, its result or error is notified, and the app
re-reads the data from disk so the panes show what was written, not a guess). One action at a
time: while one is being written, another is refused before it asks. Every action key (R, B, D,
Q, and approve / reject / approve-every-auto-approvable in the Approvals pane) takes this one path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from core.actor import Actor, acting_actor, how_to_set
from core.text import one_line

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui.screens.confirm import Row

Severity = Literal["information", "warning", "error"]
GROUP = "sync-action"  # the workers of actions: one at a time


def say(node: Widget, text: str, severity: Severity = "information", title: str = "") -> None:
    node.app.notify(one_line(text), title=one_line(title), severity=severity, markup=False,
                    timeout=8 if severity == "error" else 5)


def actor_or_refuse(node: Widget, doing: str) -> Actor | None:
    """The acting actor, or None after telling the user why nothing will happen."""
    settings = getattr(node.app, "settings", None)
    actor = acting_actor(getattr(settings, "actor", None))
    if actor is None:
        from core.settings import config_path

        config = getattr(settings, "path", None) or str(config_path())
        say(node, f"Nobody to {doing} as: {how_to_set(config)}", "error", title="no actor")
        return None
    from core.sync.decisions import DecisionError, check_actor

    try:
        check_actor(actor.name)
    except DecisionError as exc:
        say(node, f"{exc} (from {actor.source})", "error", title="actor refused")
        return None
    return actor


def actor_row(actor: Actor) -> Row:
    return ("actor", f"{actor.name} (from {actor.source})")


def busy(node: Widget) -> bool:
    """True (after saying so) while an earlier action is still being written."""
    if any(w.group == GROUP and not w.is_finished for w in node.app.workers):
        say(node, "an action is still being recorded: wait for it", "warning")
        return True
    return False


def confirm_then_run(node: Widget, title: str, rows: Sequence[Row], label: str,
                     call: Callable[[], Any], describe: Callable[[Any], Sequence[str]],
                     not_done: str | None = None) -> None:
    """Ask with the confirm modal; on yes run ``call`` (one core call) in a thread worker.
    ``not_done`` titles the notification of a refusal or failure (default ``Resolve import: refused``)."""
    from tui.screens.confirm import ConfirmScreen

    if busy(node):
        return

    def answered(yes: bool | None) -> None:
        if yes and not busy(node):
            node.run_worker(lambda: _run(node, title, not_done, call, describe), thread=True, group=GROUP,
                            name=title, exit_on_error=False)

    node.app.push_screen(ConfirmScreen(title, rows, confirm_label=label), answered)


def _run(node: Widget, title: str, not_done: str | None, call: Callable[[], Any],
         describe: Callable[[Any], Sequence[str]]) -> None:
    """In the worker thread: the core call, then (on the UI thread) the notification and reload."""
    from core.sync import SyncError

    try:
        result = call()
    except SyncError as exc:
        node.app.call_from_thread(_done, node, str(exc), "error", not_done or f"{title.rstrip('?')}: refused")
    except Exception as exc:  # noqa: BLE001 - say what failed; never take the dashboard down
        node.app.call_from_thread(_done, node, f"{type(exc).__name__}: {exc}", "error",
                                  not_done or f"{title.rstrip('?')}: failed")
    else:
        lines = list(describe(result))
        changed = getattr(result, "changed", True) and not getattr(result, "failed", 0)  # a batch: some failed
        node.app.call_from_thread(_done, node, lines[0] if lines else "done", "information" if changed else "warning",
                                  title)


def _done(node: Widget, text: str, severity: Severity, title: str) -> None:
    say(node, text, severity, title=title)
    node.app.load_data()  # type: ignore[attr-defined]  # show what is on disk now
