"""What a reload changed, in words: the workspaces that appeared or went, and for each one that
changed, its records counted by kind (``+1 audit event``) and its work units and requests by
status (``requests: 1 more completed, 1 fewer pending``). The dashboard says it after Ctrl+R
and after files changed on disk, so a reload is never silent about what it found.

Only the local workspaces are compared (a remote's cached copy changes by a sync, which says so
itself). A workspace is known by its root, so two copies of one workspace are two workspaces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from core.model import Workspace, status_text

NOUNS = {"work_units": ("work unit", "work units"), "relationships": ("link", "links"),
         "delegations": ("delegation", "delegations"), "employments": ("employment", "employments"),
         "contracts": ("export", "exports"), "imports": ("import", "imports"), "remotes": ("remote", "remotes"),
         "requests": ("request", "requests"), "subscriptions": ("subscription", "subscriptions"),
         "audit_events": ("audit event", "audit events"), "rigs": ("rig", "rigs"), "domains": ("domain", "domains")}
_BY_STATUS = (("unit", "work units"), ("request", "requests"))
SHOWN = 3  # workspaces described one by one; the rest are counted

Tally = Counter[str]


def tally(ws: Workspace) -> Tally:
    """A workspace's records by kind, and its work units and requests by status."""
    counts: Tally = Counter({kind: n for kind, n in ws.counts().items() if n})
    counts.update(f"unit:{status_text(unit.status)}" for unit in ws.work_units)
    counts.update(f"request:{request.status.value}" for request in ws.requests)
    return counts


def tallies(workspaces: Iterable[Workspace]) -> dict[tuple[str, str], Tally]:
    """``tally`` of each local workspace, by (name, root)."""
    return {(ws.name, ws.root): tally(ws) for ws in workspaces if not ws.remote_cache}


def _plural(n: int, kind: str) -> str:
    one, many = NOUNS[kind]
    return f"{n:+d} {one if abs(n) == 1 else many}"


def workspace_changes(before: Tally, after: Tally) -> list[str]:
    """``+1 audit event``, ``requests: 1 more completed, 1 fewer pending``: how one workspace's
    tally moved; empty when it did not."""
    parts = [_plural(after[kind] - before[kind], kind) for kind in NOUNS if after[kind] != before[kind]]
    for prefix, noun in _BY_STATUS:
        keys = sorted({k for k in (*before, *after) if k.startswith(prefix + ":")})
        moved = []
        for key in keys:
            delta = after[key] - before[key]
            if delta:
                moved.append(f"{abs(delta)} {'more' if delta > 0 else 'fewer'} {key.split(':', 1)[1]}")
        if moved:
            parts.append(f"{noun}: {', '.join(moved)}")
    return parts


def changes(before: dict[tuple[str, str], Tally], after: dict[tuple[str, str], Tally]) -> list[str]:
    """One phrase per workspace that changed, appeared or went (the first ``SHOWN`` of them, then
    how many more); empty when nothing did."""
    out: list[str] = []
    for key in sorted(after.keys() | before.keys()):
        name = key[0]
        if key not in before:
            out.append(f"{name} appeared")
        elif key not in after:
            out.append(f"{name} is gone")
        else:
            parts = workspace_changes(before[key], after[key])
            if parts:
                out.append(f"{name}: {'; '.join(parts)}")
    if len(out) > SHOWN:
        out = [*out[:SHOWN], f"{len(out) - SHOWN} more workspaces changed"]
    return out


def summary(before: dict[tuple[str, str], Tally], after: dict[tuple[str, str], Tally]) -> str:
    """``nothing changed``, or the changes joined into one sentence."""
    found = changes(before, after)
    return " · ".join(found) if found else "nothing changed"

