"""``crossdeck realm bump`` and ``crossdeck realm resolve``: change a realm's contracts and imports
(``core.sync.realm_actions``), commit the change to the realm's repository, print what changed.
docs/cli/realm.md has the details; exit codes as every changing verb (``decide.act``)."""

from __future__ import annotations

import argparse

from core.commands.common import add_common, needs_sub_verb
from core.commands.decide import act, add_actor_option, written_lines
from core.federation import Federation
from core.sync.realm_actions import RealmChange, bump, resolve
from core.text import one_line
from core.timeutil import now


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("realm", help="change a realm: bump an export's version, resolve an import")
    actions = parser.add_subparsers(dest="realm_action", metavar="ACTION", parser_class=type(parser))

    bumping = actions.add_parser("bump", help="bump an export's version with a changelog entry dated today",
                                 description="bump an export's version (docs/cli/realm.md)")
    bumping.add_argument("contract", metavar="REALM/DOMAIN/CONTRACT", help="the export (realm:// optional)")
    bumping.add_argument("--version", required=True, dest="new_version", help="the new version (semver)")
    bumping.add_argument("--change", action="append", required=True, dest="changes", metavar="TEXT",
                         help="what changed (repeat for each change)")
    bumping.add_argument("--incompatible", action="store_true",
                         help="an incompatible change: the entry says compatible: false")
    add_actor_option(bumping, "who bumps it")
    add_common(bumping)
    bumping.set_defaults(run=run_bump)

    resolving = actions.add_parser("resolve", help="resolve an import to the current version of its contract",
                                   description="resolve an import (docs/cli/realm.md)")
    resolving.add_argument("import_key", metavar="REALM/IMPORTER/imports/CONTRACT", help="the import (realm:// optional)")
    resolving.add_argument("--version", dest="to_version", help="resolve to this version (default: the current one)")
    resolving.add_argument("--range", dest="new_range", help="also set the import's version range (e.g. ^3.0.0)")
    add_actor_option(resolving, "who resolves it")
    add_common(resolving)
    resolving.set_defaults(run=run_resolve)

    needs_sub_verb(parser)


def run_bump(args: argparse.Namespace, fed: Federation) -> int:
    return act("realm bump", args, fed, lambda actor: bump(fed, args.contract, args.new_version, args.changes,
                                                           args.incompatible, actor, now()), describe)


def run_resolve(args: argparse.Namespace, fed: Federation) -> int:
    return act("realm resolve", args, fed, lambda actor: resolve(fed, args.import_key, args.to_version,
                                                                 args.new_range, actor, now()), describe)


def describe(change: RealmChange) -> list[str]:
    key, actor = one_line(change.key), one_line(change.actor)
    if change.action == "bump":
        if not change.changed:
            return [f"{key} already lists {one_line(change.after['version'])} with these changes; nothing changed"]
        entry = change.entry or {}
        lines = [(f"bumped {key} {one_line(str(change.before['version']))} -> {one_line(str(entry.get('version')))} "
                 f"as {actor}")]
        kind = "incompatible" if entry.get("compatible") is False else "entry"
        lines.append(f"  {kind} {one_line(str(entry.get('version')))} ({entry.get('date')}): "
                     + "; ".join(one_line(str(c)) for c in entry.get("changes", [])))
        if change.after["version"] != entry.get("version"):
            lines.append(f"  a prerelease: the current version stays {one_line(str(change.after['version']))}")
    else:
        after = change.after
        if not change.changed:
            return [(f"{key} is already {one_line(str(after['status']))} at "
                    f"{one_line(str(after['resolved_version']))}; nothing changed")]
        lines = [(f"resolved {key} to {one_line(str(after['resolved_version']))} (status "
                 f"{one_line(str(change.before['status']))} -> {one_line(str(after['status']))}) as {actor}")]
        if after["range"] != change.before["range"]:
            lines.append(f"  range {one_line(str(change.before['range']))} -> {one_line(str(after['range']))}")
    if not change.comments_kept:
        lines.append(f"  note: {one_line(change.file)} was re-written whole: its comments are gone")
    return lines + written_lines(change.files, change.commit)
