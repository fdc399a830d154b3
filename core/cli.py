"""The headless command line: ``crossdeck VERB [ROOTS...] [--json]``.

stdout holds data only (with ``--json``, only JSON); diagnostics go to stderr. Exit codes: 0 no
errors (warnings allowed), 1 something could not be read, 2 nothing loadable or a usage error.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from core import __version__
from core.commands.json_guard import guarded, wants_json
from core.commands.output import EXIT_UNUSABLE
from core.diagnostics import Diagnostics
from core.roots import NoRoots, choose_roots
from core.settings import config_path, load_settings, use_demo_home

if TYPE_CHECKING:
    from core.federation import Federation

# Each verb and the module of core/commands that defines it (its ``add_parser`` registers it), in
# the order ``--help`` lists them. A run names one verb, and only its module is imported: the
# others (the HTTP client, the policy language, semver, ...) cost a verb's start a tenth of a
# second or more. tests/test_cli_verbs.py checks this table against what each module registers.
VERB_MODULES = {
    "summary": "summary", "demo": "demo", "stale": "stale", "check": "check", "approvals": "approvals",
    "audit": "audit", "list": "list_work", "remote": "remote", "show": "show", "blockers": "blockers",
    "graph": "graph", "chains": "chains", "approve": "decide", "reject": "decide", "sync": "sync",
    "query": "query", "realm": "realm", "delegate": "delegate", "close": "delegate", "request": "request",
    "watch": "watch", "serve": "serve", "mcp": "mcp", "token": "token", "doctor": "doctor", "cache": "cache",
}


_INVALID_VERB = re.compile(r"argument VERB: invalid choice: '([^']*)'")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, with a hint
        self.print_usage(sys.stderr)
        sys.stderr.write(f"crossdeck: error: {message}\n{_hint(message)}\n")
        raise SystemExit(EXIT_UNUSABLE)


def _hint(message: str) -> str:
    """``did you mean ...?`` for a mistyped verb (``crossdeck aprove``), else where the list is."""
    typed = _INVALID_VERB.search(message)
    near = difflib.get_close_matches(typed.group(1), _verb_names(), n=2, cutoff=0.6) if typed else []
    if near:
        return "did you mean " + " or ".join(f"'crossdeck {v}'" for v in near) + "? (crossdeck --help lists the commands)"
    return "(crossdeck --help lists the commands)"


def _verb_names() -> list[str]:
    return [name for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices]


def verb_modules(verb: str | None = None) -> list[ModuleType]:
    """The modules defining ``verb`` (one), or every verb's when it is not one (``--help``, a
    mistyped verb, no verb)."""
    names = [VERB_MODULES[verb]] if verb in VERB_MODULES else list(dict.fromkeys(VERB_MODULES.values()))
    return [importlib.import_module(f"core.commands.{name}") for name in names]


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: with ``verb``, only that verb's (and the names every verb
    shares: ``tui``, ``web``); else every verb's."""
    parser = _Parser(prog="crossdeck", description="Cross-repository federation: towns, realms and sudocode repos.")
    parser.add_argument("--version", action="version", version=f"crossdeck {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    # the launcher (tui/__main__.py) opens the dashboard before this parser is reached; listed
    # here so that --help and a mistyped verb name it
    sub.add_parser("tui", help="open the dashboard on the roots (the default with no verb)")
    sub.add_parser("web", help="serve the dashboard in a browser (loopback, a token in the URL)")
    for module in verb_modules(verb):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if wants_json(words):  # stdout: one JSON document, whatever happens (core/commands/json_guard.py)
        return guarded(lambda: _run(words))
    return _run(words)


def _run(argv: list[str]) -> int:
    parser = build_parser(next((word for word in argv if not word.startswith("-")), None))
    args, extra = parser.parse_known_args(argv)
    # argparse stops filling ROOT... at the first option: ``graph REF --format text ROOT`` leaves
    # ROOT over. Give such leftovers to the roots; anything else left over is a usage error.
    strays = [a for a in extra if a.startswith("-") or not hasattr(args, "roots")]
    if strays:
        parser.error(f"unrecognized arguments: {' '.join(strays)}")
    if extra:
        args.roots = [*args.roots, *extra]
    if getattr(args, "own_words", None) is not None:  # a verb whose first words may be its own (query's kind)
        args.own_words(args)
    if args.verb is None:
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE
    if args.verb != "demo":  # a verb run on a demo copy uses the copy's home (unless CROSSDECK_HOME is set)
        use_demo_home([Path(r).expanduser() for r in getattr(args, "roots", None) or []] or [Path.cwd()])
    if not getattr(args, "needs_federation", False):
        return int(args.run(args))
    from core.dolt.history import as_of_problem, reading_as_of

    ref = getattr(args, "as_of", None)
    try:
        with reading_as_of(ref):
            fed = load_roots(list(args.roots), cached=ref is None and not getattr(args, "no_cache", False),
                             reads=getattr(args, "reads", None), later=getattr(args, "reads_later", ()),
                             other_files=getattr(args, "other_files", True))
    except NoRoots as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_UNUSABLE
    problem = as_of_problem(fed, ref) if ref is not None else None
    if problem is not None:
        sys.stderr.write(f"crossdeck {args.verb}: {problem}\n")
        return EXIT_UNUSABLE
    return int(args.run(args, fed))


def load_roots(given: list[str], *, cached: bool = False, reads: Collection[str] | None = None,
               later: Collection[str] = (), other_files: bool = True) -> Federation:
    """The federation a verb reads: below ``given`` (else the configured roots, else the current
    folder; raises NoRoots), with what ``sync`` fetched joined as remote workspaces. ``cached``:
    through the parsed cache (``core.cache``), reading only the bulky record kinds in ``reads``
    (None: all) of the workspaces it holds, and those in ``later`` when asked
    (``load_federation``). ``other_files=False`` (with ``reads``): the files that hold only
    other kinds are not read at all (``ReadLimits.records``; such a load has cache entries of
    its own, holding only what it read and the problems of the files it read)."""
    settings_diags = Diagnostics()
    settings = load_settings(settings_diags)
    roots = choose_roots(given, settings, config_path())
    from core.federation import load_federation

    limits = settings.limits
    if not other_files and reads is not None:
        import msgspec

        limits = msgspec.structs.replace(limits, records=frozenset(reads))
        reads, later = None, ()
    cache = None
    if cached:
        from core.cache.store import ParsedCache

        cache = ParsedCache.default()
    fed = load_federation(roots, limits, settings.discovery_max_depth, cache=cache, wanted=reads, later=later,
                          helpers=None)
    from core.store import remote_states
    from core.sync.remote_workspaces import include_remote_workspaces

    # What `sync` fetched joins as remote workspaces. The store is read quietly here: the verbs
    # about remotes (remote list/check, sync) report its problems themselves, once.
    include_remote_workspaces(fed, remote_states(diags=Diagnostics()), ttl_seconds=settings.remote_ttl_seconds,
                              limits=limits)
    fed.diagnostics[:0] = settings_diags.items
    return fed


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
