"""Running one sync action from a pane: who acts, the confirm modal, one core call in a thread.

A pane key that changes federation state goes: ``actor_or_refuse`` (a notification and nothing
else when no actor is set or the name is refused), then ``confirm_then_run`` (the confirm modal,
a question; on yes the core call runs in a thread worker, and its result is notified under a
title that says what was done, or its error under one that says it was not; then the app
re-reads the data from disk so the panes show what was written, not a guess). The app is told
when the action starts and ends writing (``tui.reloads``), so its writes are not announced as
files changed on disk. One action at a time: while one is being written, another is refused
before it asks. Every action key (R, B, D, Q, and approve / reject / approve-every-auto-approvable
in the Approvals pane) takes this one path.
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


def confirm_then_run(node: Widget, question: str, rows: Sequence[Row], label: str,
                     call: Callable[[], Any], describe: Callable[[Any], Sequence[str]],
                     done: str, not_done: str) -> None:
    """Ask ``question`` with the confirm modal; on yes run ``call`` (one core call) in a thread
    worker. The outcome is notified under ``done`` (what was done: ``Request approved``), or
    under ``not_done`` when it was refused, failed or changed nothing (``req-7c2e41 not decided``)."""
    from tui.screens.confirm import ConfirmScreen

    if busy(node):
        return

    def answered(yes: bool | None) -> None:
        if yes and not busy(node):
            _writes(node, "own_writes_begin")
            node.run_worker(lambda: _run(node, done, not_done, call, describe), thread=True, group=GROUP,
                            name=question, exit_on_error=False)

    node.app.push_screen(ConfirmScreen(question, rows, confirm_label=label), answered)


def _writes(node: Widget, which: str) -> None:
    """Tell the app an action starts or ends writing (``tui.reloads``)."""
    tell = getattr(node.app, which, None)
    if tell is not None:
        tell()


def _run(node: Widget, done: str, not_done: str, call: Callable[[], Any],
         describe: Callable[[Any], Sequence[str]]) -> None:
    """In the worker thread: the core call, then (on the UI thread) the notification and reload."""
    from core.sync import SyncError

    try:
        result = call()
    except SyncError as exc:
        outcome: tuple[str, Severity, str] = (str(exc), "error", f"{not_done}: refused")
    except Exception as exc:  # noqa: BLE001 - say what failed; never take the dashboard down
        outcome = (f"{type(exc).__name__}: {exc}", "error", f"{not_done}: failed")
    else:
        lines = list(describe(result))
        changed = getattr(result, "changed", True) and not getattr(result, "failed", 0)  # a batch: some failed
        outcome = (lines[0] if lines else "done", "information" if changed else "warning", done if changed else not_done)
    finally:
        _writes(node, "own_writes_end")
    node.app.call_from_thread(_done, node, *outcome)


def _done(node: Widget, text: str, severity: Severity, title: str) -> None:
    say(node, text, severity, title=title)
    node.app.reload_after_action()  # type: ignore[attr-defined]  # show what is on disk now (tui/reloads.py)
