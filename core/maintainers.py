"""Who may decide: a workspace's maintainers, a realm's approvers, and how an actor matches them.

A workspace may name its **maintainers** (``maintainers`` in a sudocode repo's
``.sudocode/federation.config.json``; in a town's or realm's ``.crossdeck/remotes.json``): actor
names, emails or ``fnmatch`` patterns (``bob@acme.dev``, ``*/crew/bob``, ``api-service/crew/*``).
Where it does, only they may approve or reject its incoming requests, from every door (the CLI,
``approve --auto-approvable``, the dashboard, a maintainer token over HTTP); where it does not (or
the list is empty), anyone with an actor may. A realm's ``governance.approvers`` (emails, as Blue
writes them) play the same part for ``realm bump --incompatible`` and ``realm resolve``.

An actor matches a list by its name, or by the email ``config.toml`` gives it (docs/config.md:
``email`` for the configured ``actor``, ``[emails]`` for any name); case is ignored. The serving
workspace's own automatic decisions (``crossdeck-server`` carrying out its policy) are the policy's,
not a person's: maintainers do not apply to them (``core.sync.decisions.decide``'s ``automatic``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from typing import NamedTuple

from core.model import Realm, Workspace


class Rule(NamedTuple):
    """A list of who may: its names and where it is configured (``file`` ``key``)."""

    names: tuple[str, ...]
    file: str
    key: str  # maintainers | governance.approvers
    who: str  # the maintainers of X | the approvers of realm X

    def named(self) -> str:
        """The rule, named: ``maintainers in F: bob@acme.dev, */crew/bob``."""
        listed = ", ".join(self.names) if self.names else "a malformed list, which lets nobody"
        return f"{self.key} in {self.file}: {listed}"


def maintainers(ws: Workspace) -> Rule | None:
    """The maintainers ``ws`` names; None when it names none (anyone may decide)."""
    found = ws.maintainers
    if found is None:
        return None
    return Rule(tuple(found.names), _shown(ws, found.source), found.key, f"the maintainers of {ws.name}")


def approvers(ws: Workspace) -> Rule | None:
    """A realm's ``governance.approvers``; None when it lists none (anyone may bump and resolve)."""
    realm = ws.info if isinstance(ws.info, Realm) else None
    listed = realm.governance.get("approvers") if realm is not None else None
    if not isinstance(listed, list) or not listed:
        return None
    names = tuple(str(a).strip() for a in listed if str(a).strip())
    return Rule(names, _shown(ws, realm.source or ws.root) if realm else ws.root, "governance.approvers",
                f"the approvers of {ws.name}")


def emails_of(actor: str, settings: object | None = None) -> list[str]:
    """The emails config.toml gives ``actor``: ``[emails]`` by name, ``email`` for the configured
    ``actor`` itself."""
    if settings is None:
        from core.settings import load_settings

        settings = load_settings()
    table: Mapping[str, str] = getattr(settings, "emails", None) or {}
    found = [table[actor]] if actor in table else []
    mine = getattr(settings, "email", None)
    if mine and getattr(settings, "actor", None) == actor:
        found.append(mine)
    return found


def allows(rule: Rule, actor: str, emails: list[str]) -> str | None:
    """The name or email by which ``actor`` is in ``rule``; None when it is not."""
    for identity in (actor, *emails):
        if any(fnmatch.fnmatchcase(identity.casefold(), name.casefold()) for name in rule.names):
            return identity
    return None


class Standing(NamedTuple):
    """What a rule says of an actor: allowed or not, and the sentence that says so."""

    allowed: bool
    text: str


def standing(rule: Rule | None, actor: str, doing: str, settings: object | None = None) -> Standing:
    """Whether ``actor`` may do ``doing`` (``decide acme-dev/api-service:req-1``) under ``rule``."""
    if rule is None:
        return Standing(True, "no maintainers configured: anyone with an actor may " + doing.split(" ")[0])
    emails = emails_of(actor, settings)
    by = allows(rule, actor, emails)
    if by is not None:
        how = "" if by == actor else f" (as {by}, the email config.toml gives it)"
        return Standing(True, f"{actor}{how} is among {rule.who}: {rule.named()}")
    email = f"its email {', '.join(emails)}" if emails else "email (config.toml gives it none)"
    return Standing(False, f"{actor} may not {doing}: it is not among {rule.who}, by name or by {email}: "
                           f"{rule.named()}")


def _shown(ws: Workspace, path: str) -> str:
    """``path`` relative to the workspace's folder, as a person looks for it there."""
    try:
        rel = os.path.relpath(path, ws.root)
    except ValueError:
        return path
    return path if rel.startswith("..") else os.path.join(os.path.basename(ws.root.rstrip("/")), rel)
