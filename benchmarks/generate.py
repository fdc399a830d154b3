"""A deterministic synthetic federation for the load benchmark.

    python benchmarks/generate.py OUT_DIR [--units 100000] [--workspaces 200] [--seed 1] [--force]
        [--towns N] [--beads-folders N] [--sudocode N] [--realms N] [--rigs-per-town N] [--beads-per-rig N]

The mix (by workspace count): ~60% Gas Town towns, ~10% standalone ``.beads`` folders (half of
them in the backup form), ~20% sudocode repos, ~10% Blue realms (half draft layout, half
implemented layout). Work units are split ~70% towns / ~10% standalone beads / ~20% sudocode,
with uneven workspace sizes (log-normal weights), and add up to exactly ``--units``. The shape
flags replace parts of that mix (see ``Shape``); without them the output is what it always was.

Layout of OUT_DIR::

    towns/<town>/            mayor/town.json, mayor/rigs.json, <rig>/config.json,
                             .beads/routes.jsonl, .beads/issues.jsonl (hq- beads and hq-cv- convoys),
                             <rig>/.beads/issues.jsonl (or <rig>/.beads/redirect ->
                             <rig>/mayor/rig/.beads/issues.jsonl), .events.jsonl, .feed.jsonl,
                             .beads/federation.jsonl (employment + cross-town delegations);
                             a few towns in the design form (.town.json, no registry)
    beads/<folder>/.beads/   issues.jsonl (export form) or backup/{issues,dependencies,labels,
                             comments,events,config}.jsonl + backup_state.json (every column on
                             every row, as ``bd`` backup dumps them)
    repos/<org>-<repo>/.sudocode/
                             config.json, issues.jsonl, specs.jsonl, federation.config.json,
                             federation/requests.jsonl (+ subscriptions.jsonl, audit.jsonl)
    realms/<realm>/          draft layout: realm.yaml, domains/<d>/{domain,exports,imports}.yaml,
                             contracts/<c>.schema.yaml
    .blue/realms/<realm>/    implemented layout: realm.yaml, repos/<repo>.yaml,
                             domains/<d>/{domain.yaml, contracts/<c>.yaml, bindings/<repo>.yaml}

Relationships: blocks / parent-child / related / discovered-from / waits-for /
conditional-blocks / duplicates / supersedes / replies-to dependencies inside a rig,
``external:<rig>:<id>`` and ``external:<id>:<id>`` cross-rig references, convoys ``tracks``-ing
rig beads, cross-town ``references`` (``depends_on`` hop:// URIs), ``metadata.delegated_from``
delegations (most of them across towns, mirrored in ``.beads/federation.jsonl``), a few
``delegated-from`` dependencies, sudocode relationships (also ``org/repo#id`` across repos and
``[[org/repo#id]]`` in content), and ~5% dangling references (wisps that were never exported),
as real towns have.

Files the loader does not read (``.beads/config.yaml``, ``metadata.json``) are not written, so
the floor (which parses every file) is not padded with work the loader never does.

Importable: ``generate(out_dir, units=..., workspaces=..., seed=..., shape=Shape(...))`` returns a
summary dict; ``plan(...)`` returns the plan without writing anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- vocabulary ---------------------------------------------------------------------------------

_WORDS = (
    "agent api auth backlog batch beads branch bridge build cache channel check client cluster "
    "commit config contract convoy cursor daemon dashboard deacon deploy digest dispatch domain "
    "driver endpoint engine event export feed filter flag gateway graph handler handoff hook "
    "import index ingest job kernel ledger lease limit loader lock log mail manifest merge "
    "metric migration mirror model module monitor mutex node nudge patrol payload pipeline "
    "plugin policy pool portfolio price probe queue quota rate realm record refinery registry "
    "release replica repo request resolver retry rig route runner schema scheduler session "
    "shard signal sling snapshot socket spec stream subscription summary sync table task "
    "template tenant test thread timeout token trace tracker trigger wallet watcher webhook "
    "wisp witness worker worktree"
).split()
_VERBS = (
    "Add Fix Refactor Remove Document Migrate Harden Speed up Split Merge Validate Cache "
    "Retry Instrument Rename Deprecate Backfill Audit Reconcile Expose Wire up Clean up "
    "Investigate Support Implement Test"
).split(" ")
_ADJ = (
    "flaky stale missing slow duplicate orphaned partial concurrent nested legacy optional "
    "cross-rig remote cached idle blocked noisy"
).split()
_FIRST = (
    "alice bob carol dave erin frank grace heidi ivan judy mallory nia oscar peggy quinn rupert "
    "sybil trent uma victor wendy xena yusuf zoe"
).split()
_CREW = "jack emma max nux ace toast slit rictus furiosa dementus capable cheedo angharad dag".split()
_ORG_DOMAINS = ("example.com", "acme.com", "initech.io", "globex.net", "umbrella.dev", "hooli.xyz",
                "stark.ai", "wayne.co", "tyrell.org", "cyberdyne.tech")
_PLACES = (
    "green amber cedar delta ember frost glade harbor iris juniper kestrel lumen maple north "
    "onyx pine quartz raven sable tidal umber vale willow yarrow zephyr basalt cobalt dune "
    "fern granite heron indigo jade"
).split()
_PLACE_TAIL = "place port field town forge works yard stone gate hollow reach ridge".split()
_LABELS = (
    "gt:improvement worker-lifecycle bug-bash p0-incident needs-design tech-debt docs "
    "performance security ux federation convoy flaky-test good-first-issue backend frontend "
    "breaking-change follow-up"
).split()
_CLOSE_REASONS = ("Completed", "Closed", "Fixed in main", "Duplicate", "Won't fix",
                  "Squashed from 21 wisps", "Stale backlog: shipped, superseded, or no longer relevant",
                  "Merged by refinery", "Superseded by newer convoy")
_ISSUE_TYPES = (("task", 55), ("bug", 20), ("feature", 12), ("chore", 6), ("epic", 4), ("agent", 3))
_STATUSES = (("closed", 55), ("open", 24), ("in_progress", 8), ("blocked", 5), ("deferred", 3),
             ("hooked", 2), ("pinned", 1), ("tombstone", 2))
_EVENT_TYPES = (("sling", 12), ("hook", 10), ("unhook", 6), ("handoff", 8), ("done", 10), ("mail", 14),
                ("spawn", 6), ("kill", 3), ("nudge", 12), ("boot", 2), ("session_start", 7),
                ("session_death", 5), ("merge_started", 3), ("merge_done", 2))
_SUDO_STATUSES = (("closed", 45), ("open", 30), ("in_progress", 12), ("blocked", 5), ("needs_review", 8))
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_EPOCH = dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc)
_SPAN = 200 * 86400  # records are spread over ~200 days


def _b36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_B36[r])
    return "".join(reversed(out))


def _scramble(i: int, salt: int, width: int = 5) -> str:
    """A unique-looking base-36 id for index ``i`` (a bijection modulo 36**width)."""
    space = 36 ** width
    return _b36((i * 7_919 + salt * 104_729 + 12_345) % space, width)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in table)
    pick = rng.random() * total
    for value, weight in table:
        pick -= weight
        if pick < 0:
            return value
    return table[-1][0]


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    if not weights:
        return []
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    counts = [int(x) for x in raw]
    rest = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return counts


class Text:
    """Deterministic prose from a pool of sentences built once per generator."""

    def __init__(self, rng: random.Random, pool: int = 4000):
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(pool)]

    def _sentence(self) -> str:
        rng = self.rng
        words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 14))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(_ADJ))
        if rng.random() < 0.15:
            words.append(f"`{rng.choice(_WORDS)}_{rng.choice(_WORDS)}`")
        return " ".join(words).capitalize() + "."

    def title(self) -> str:
        rng = self.rng
        parts = [rng.choice(_VERBS), rng.choice(_ADJ) if rng.random() < 0.4 else "", rng.choice(_WORDS),
                 rng.choice(_WORDS)]
        if rng.random() < 0.5:
            parts += [rng.choice(("in", "for", "on", "after", "during")), rng.choice(_WORDS)]
        return " ".join(p for p in parts if p)

    def prose(self, mean_chars: int) -> str:
        """Roughly ``mean_chars`` characters on average (exponential-ish spread)."""
        rng = self.rng
        target = int(rng.expovariate(1 / mean_chars)) if mean_chars else 0
        out: list[str] = []
        size = 0
        while size < target:
            s = rng.choice(self.sentences)
            if rng.random() < 0.12:
                s = "- " + s
            out.append(s)
            size += len(s) + 1
        if len(out) > 3 and rng.random() < 0.4:
            out.insert(rng.randrange(1, len(out)), "\n## " + rng.choice(("Context", "Plan", "Notes", "Acceptance"))
                       + "\n")
        return " ".join(out)


class Clock:
    """Timestamps in a workspace's own style."""

    def __init__(self, rng: random.Random, style: str, offset_hours: int = 0):
        self.rng = rng
        self.style = style  # nano (bd export: 2026-02-14T11:59:05.502615373-07:00) | z | sudocode
        self.tz = dt.timezone(dt.timedelta(hours=offset_hours))

    def at(self, seconds: float) -> str:
        moment = _EPOCH + dt.timedelta(seconds=seconds)
        if self.style == "z":
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.style == "sudocode-sql":
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        if self.style == "sudocode-iso":
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        local = moment.astimezone(self.tz)
        nanos = self.rng.randrange(1_000_000_000)
        text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}"
        offset = local.strftime("%z")
        return text + offset[:3] + ":" + offset[3:]

    def span(self) -> tuple[float, float]:
        start = self.rng.random() * _SPAN
        return start, start + self.rng.expovariate(1 / (3 * 86400))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _dumps_sorted(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# -- a small YAML writer (so timestamps and versions can be written unquoted, as people do) ----

class Plain(str):
    """A string written unquoted in YAML (a timestamp, a version): YAML reads it back typed."""


_YAML_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9 _./@+-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Plain):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if _YAML_PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def to_yaml(doc: Any, indent: int = 0) -> str:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if isinstance(value, dict) and value:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(value, indent + 2))
            elif isinstance(value, list) and value:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(value, indent + 2))
            elif isinstance(value, (dict, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(value, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(value)}")
    elif isinstance(doc, list):
        for item in doc:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- " + body[indent + 2:])
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.append(to_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(doc))
    return "\n".join(lines)


# -- the plan -----------------------------------------------------------------------------------

@dataclass
class RigPlan:
    name: str
    prefix: str
    units: int
    redirect: bool = False

    @property
    def beads_rel(self) -> str:  # where its issues.jsonl lives, relative to the town root
        return f"{self.name}/mayor/rig/.beads" if self.redirect else f"{self.name}/.beads"

    @property
    def route_path(self) -> str:
        return f"{self.name}/mayor/rig" if self.redirect else self.name


@dataclass
class TownPlan:
    index: int
    owner: str
    name: str
    layout: str  # real | design
    tz: int
    hq_units: int
    convoys: int
    rigs: list[RigPlan] = field(default_factory=list)

    @property
    def dir(self) -> str:
        return f"towns/{self.name}"

    @property
    def units(self) -> int:
        return self.hq_units + sum(r.units for r in self.rigs)


@dataclass
class BeadsPlan:
    index: int
    folder: str
    prefix: str
    units: int
    backup: bool

    @property
    def dir(self) -> str:
        return f"beads/{self.folder}"


@dataclass
class SudoPlan:
    index: int
    org: str
    repo: str
    issues: int
    specs: int
    federated: bool

    @property
    def dir(self) -> str:
        return f"repos/{self.org}-{self.repo}"

    @property
    def name(self) -> str:
        return f"{self.org}/{self.repo}" if self.federated else f"local/{self.org}-{self.repo}"


@dataclass
class RealmPlan:
    index: int
    name: str
    layout: str  # draft | implemented
    domains: list[str]

    @property
    def dir(self) -> str:
        return f"realms/{self.name}" if self.layout == "draft" else f".blue/realms/{self.name}"


@dataclass
class Plan:
    seed: int
    units: int
    towns: list[TownPlan]
    beads: list[BeadsPlan]
    sudocode: list[SudoPlan]
    realms: list[RealmPlan]


def _split_workspaces(total: int) -> tuple[int, int, int, int]:
    if total < 4:
        return max(1, total), 0, 0, 0  # tiny: towns only
    towns = max(1, round(total * 0.6))
    beads = max(1, round(total * 0.1))
    sudo = max(1, round(total * 0.2))
    realms = max(1, total - towns - beads - sudo)
    towns = total - beads - sudo - realms
    return towns, beads, sudo, realms


def _unique_names(rng: random.Random, count: int, make: Any) -> list[str]:
    seen: dict[str, None] = {}
    attempt = 0
    while len(seen) < count:
        name = make(rng)
        attempt += 1
        if name in seen:
            name = f"{name}{attempt}"
        seen.setdefault(name, None)
    return list(seen)


def _place(rng: random.Random) -> str:
    return rng.choice(_PLACES) + rng.choice(_PLACE_TAIL)


@dataclass(frozen=True)
class Shape:
    """The federation's shape where the defaults' mix is not wanted; ``None`` = the default draw.

    ``towns``/``beads_folders``/``sudocode``/``realms``: workspaces of each kind (given any of
    them, a kind not given has none, and ``workspaces`` is not used). ``rigs_per_town``: every
    town has that many rigs (default: 2-8 at random). ``beads_per_rig``: every rig holds exactly
    that many beads, the town's own ``hq-`` beads (and convoys) are 12% of that on top, and the
    rest of ``units`` goes to the beads folders and sudocode repos (default: ``units`` split by
    the mix, uneven sizes)."""

    towns: int | None = None
    beads_folders: int | None = None
    sudocode: int | None = None
    realms: int | None = None
    rigs_per_town: int | None = None
    beads_per_rig: int | None = None

    def counts(self) -> tuple[int, int, int, int] | None:
        given = (self.towns, self.beads_folders, self.sudocode, self.realms)
        if all(n is None for n in given):
            return None
        return tuple(n or 0 for n in given)  # type: ignore[return-value]


def plan(units: int = 100_000, workspaces: int = 200, seed: int = 1, shape: Shape | None = None) -> Plan:
    shape = shape or Shape()
    rng = random.Random(f"crossdeck-bench:{seed}:plan")
    n_towns, n_beads, n_sudo, n_realms = shape.counts() or _split_workspaces(workspaces)
    shares = {"town": 0.70 if n_towns else 0.0, "beads": 0.10 if n_beads else 0.0,
              "sudo": 0.20 if n_sudo else 0.0}
    fixed_rigs = shape.beads_per_rig is not None
    if fixed_rigs:  # towns take what their rigs hold; the rest goes to the other kinds, by the mix
        shares["town"] = 0.0
    kind_units = dict(zip(shares, _largest_remainder(units, list(shares.values())), strict=True))

    def sizes(kind_total: int, n: int) -> list[int]:
        return _largest_remainder(kind_total, [rng.lognormvariate(0, 0.7) for _ in range(n)])

    owners = [f"{rng.choice(_FIRST)}{i}@{rng.choice(_ORG_DOMAINS)}" for i in range(max(3, n_towns // 3))]
    town_names = _unique_names(rng, n_towns, lambda r: f"{r.choice(_PLACES)}-{r.choice(('town', 'hq', 'works', 'camp'))}")
    towns: list[TownPlan] = []
    for i, (name, size) in enumerate(zip(town_names, sizes(kind_units["town"], n_towns), strict=True)):
        n_rigs = rng.randint(2, 8)  # drawn in any case, so the rest of the plan draws as before
        if shape.rigs_per_town is not None:
            n_rigs = shape.rigs_per_town
        rig_names = _unique_names(rng, n_rigs, _place)
        prefixes: list[str] = []
        for rig in rig_names:
            base = rig[:2]
            candidate, k = base, 0
            while candidate in prefixes or candidate == "hq":
                k += 1
                candidate = rig[:2] + _B36[k % 36] if k < 36 else f"{rig[:2]}{k}"
            prefixes.append(candidate)
        hq = round(size * 0.12) if size >= 10 else 0
        rig_units = _largest_remainder(size - hq, [rng.lognormvariate(0, 0.6) for _ in range(n_rigs)])
        if shape.beads_per_rig is not None:
            rig_units = [shape.beads_per_rig] * n_rigs
            hq = round(n_rigs * shape.beads_per_rig * 0.12)
        town = TownPlan(index=i, owner=owners[i % len(owners)], name=name,
                        layout="design" if rng.random() < 0.1 else "real", tz=rng.choice((-8, -7, -5, 0, 1, 11)),
                        hq_units=hq, convoys=round(hq * 0.35))
        town.rigs = [RigPlan(name=rn, prefix=px, units=ru, redirect=town.layout == "real" and rng.random() < 0.25)
                     for rn, px, ru in zip(rig_names, prefixes, rig_units, strict=True)]
        towns.append(town)

    if fixed_rigs:
        rest = units - sum(t.units for t in towns)
        if rest < 0:
            raise ValueError(f"the towns' rigs and hq beads alone hold {units - rest} work units, more than --units {units}")
        rest_shares = [shares["beads"], shares["sudo"]]
        kind_units["beads"], kind_units["sudo"] = _largest_remainder(rest, rest_shares) if any(rest_shares) else (0, 0)

    beads_names = _unique_names(rng, n_beads, lambda r: f"{r.choice(_WORDS)}-{r.choice(_WORDS)}")
    beads = [BeadsPlan(index=i, folder=name, prefix=name.split("-")[0][:3] + "b", units=size, backup=i % 2 == 1)
             for i, (name, size) in enumerate(zip(beads_names, sizes(kind_units["beads"], n_beads), strict=True))]

    orgs = [name.split("@")[1].split(".")[0] for name in owners]
    repo_names = _unique_names(rng, n_sudo, lambda r: f"{r.choice(_WORDS)}-{r.choice(('service', 'app', 'lib', 'cli', 'sdk', 'core'))}")
    sudocode = []
    for i, (repo, size) in enumerate(zip(repo_names, sizes(kind_units["sudo"], n_sudo), strict=True)):
        specs = round(size * 0.2)
        sudocode.append(SudoPlan(index=i, org=orgs[i % len(orgs)], repo=repo, issues=size - specs, specs=specs,
                                 federated=rng.random() < 0.85))

    realm_names = _unique_names(rng, n_realms, lambda r: f"{r.choice(_PLACES)}-realm")
    realms = [RealmPlan(index=i, name=name, layout="draft" if i % 2 == 0 else "implemented",
                        domains=_unique_names(rng, rng.randint(3, 6), lambda r: r.choice(_WORDS)))
              for i, name in enumerate(realm_names)]
    return Plan(seed=seed, units=units, towns=towns, beads=beads, sudocode=sudocode, realms=realms)


# -- writing ------------------------------------------------------------------------------------

class Writer:
    def __init__(self, out: Path):
        self.out = out
        self.files = 0
        self.bytes = 0
        self.records: dict[str, int] = {}

    def text(self, rel: str, content: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def json(self, rel: str, obj: Any) -> None:
        self.text(rel, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")

    def jsonl(self, rel: str, rows: list[str], what: str) -> None:
        self.text(rel, "".join(row + "\n" for row in rows))
        self.records[what] = self.records.get(what, 0) + len(rows)

    def yaml(self, rel: str, doc: Any) -> None:
        self.text(rel, to_yaml(doc) + "\n")


def _bead_id(prefix: str, i: int, salt: int) -> str:
    return f"{prefix}-{_scramble(i, salt)}"


def _actor(rng: random.Random, rig: str | None) -> str:
    roll = rng.random()
    if rig is None or roll < 0.15:
        return rng.choice(("mayor", "deacon"))
    if roll < 0.3:
        return f"{rig}/{rng.choice(('witness', 'refinery'))}"
    if roll < 0.55:
        return f"{rig}/crew/{rng.choice(_CREW)}"
    return f"{rig}/polecats/{rng.choice(_CREW)}"


class Federation:
    """Everything the generator needs to point from one workspace into another."""

    def __init__(self, p: Plan):
        self.plan = p
        self.towns_with_units = [t for t in p.towns if any(r.units for r in t.rigs)]
        self.sudo_targets = [s for s in p.sudocode if s.federated and s.issues]

    def town_ref(self, rng: random.Random, not_town: TownPlan) -> str | None:
        choices = [t for t in self.towns_with_units if t is not not_town]
        if not choices:
            return None
        town = rng.choice(choices)
        rig = rng.choice([r for r in town.rigs if r.units])
        return f"hop://{town.owner}/{town.name}/{rig.name}/{_bead_id(rig.prefix, rng.randrange(rig.units), town.index)}"

    def sudo_ref(self, rng: random.Random, not_repo: SudoPlan | None = None) -> str | None:
        choices = [s for s in self.sudo_targets if s is not not_repo]
        if not choices:
            return None
        repo = rng.choice(choices)
        return f"{repo.org}/{repo.repo}#i-{_scramble(rng.randrange(repo.issues), repo.index, 4)}"


def _export_issue(rng: random.Random, text: Text, clock: Clock, ident: str, rig: str | None, owner: str,
                  deps: list[dict[str, Any]], *, issue_type: str | None = None, title: str | None = None,
                  description: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    status = _weighted(rng, _STATUSES)
    created, updated = clock.span()
    row: dict[str, Any] = {"id": ident, "title": title or text.title()}
    if description is None:
        description = "" if rng.random() < 0.2 else text.prose(10)
    desc = description
    row["description"] = desc
    row["status"] = status
    row["priority"] = rng.choice((0, 1, 1, 2, 2, 2, 2, 3, 3, 4))
    row["issue_type"] = issue_type or _weighted(rng, _ISSUE_TYPES)
    if rng.random() < 0.3:
        row["assignee"] = _actor(rng, rig)
    if rng.random() < 0.4:
        row["owner"] = owner
    row["created_at"] = clock.at(created)
    actor = _actor(rng, rig)
    if rng.random() < 0.7:
        row["created_by"] = actor
    row["updated_at"] = clock.at(updated)
    if status == "closed":
        row["closed_at"] = row["updated_at"]
        row["close_reason"] = rng.choice(_CLOSE_REASONS)
    elif status == "tombstone":
        row["deleted_at"] = row["updated_at"]
        row["deleted_by"] = _actor(rng, rig)
    if rng.random() < 0.25:
        row["labels"] = rng.sample(_LABELS, rng.randint(1, 3))
    if extra:
        row.update(extra)
    if deps:
        for dep in deps:
            dep.setdefault("created_at", clock.at(created + rng.random() * 60))
            dep.setdefault("created_by", actor)
        row["dependencies"] = deps
    return row


def _dep(issue: str, target: str, kind: str) -> dict[str, Any]:
    return {"issue_id": issue, "depends_on_id": target, "type": kind}


_INTRA_TYPES = (("blocks", 30), ("parent-child", 34), ("related", 9), ("discovered-from", 10),
                ("waits-for", 2), ("conditional-blocks", 1), ("relates-to", 1), ("duplicates", 1),
                ("supersedes", 1), ("replies-to", 1))


def _write_town(w: Writer, town: TownPlan, fed: Federation, text: Text, seed: int) -> None:
    rng = random.Random(f"crossdeck-bench:{seed}:town:{town.index}")
    clock = Clock(rng, "nano", town.tz)
    root = town.dir
    created = clock.at(rng.random() * 86400 * 10)
    if town.layout == "real":
        w.json(f"{root}/mayor/town.json", {"type": "town", "version": 2, "name": town.name, "owner": town.owner,
                                           "public_name": town.name, "created_at": created})
        rigs_doc: dict[str, Any] = {}
        for rig in town.rigs:
            entry: dict[str, Any] = {"git_url": f"git@github.com:{town.owner.split('@')[1].split('.')[0]}/{rig.name}.git",
                                     "added_at": created, "beads": {"repo": "", "prefix": rig.prefix}}
            if rng.random() < 0.3:
                entry["push_url"] = entry["git_url"]
            rigs_doc[rig.name] = entry
            w.json(f"{root}/{rig.name}/config.json", {
                "type": "rig", "version": 1, "name": rig.name, "git_url": entry["git_url"],
                "default_branch": rng.choice(("main", "main", "master")), "created_at": created,
                "beads": {"prefix": rig.prefix}})
        w.json(f"{root}/mayor/rigs.json", {"version": 1, "rigs": rigs_doc})
    else:
        w.json(f"{root}/.town.json", {"owner": town.owner, "name": town.name, "public_name": town.name.title()})

    routes = [_dumps({"prefix": "hq-", "path": "."}), _dumps({"prefix": "hq-cv-", "path": "."})]
    routes += [_dumps({"prefix": f"{rig.prefix}-", "path": rig.route_path}) for rig in town.rigs]
    w.jsonl(f"{root}/.beads/routes.jsonl", routes, "routes")
    delegations: list[str] = []

    # rigs
    for rig in town.rigs:
        others = [r for r in town.rigs if r is not rig and r.units]
        rows: list[str] = []
        epics = max(1, rig.units // 20)
        for i in range(rig.units):
            ident = _bead_id(rig.prefix, i, town.index)
            deps: list[dict[str, Any]] = []
            n_deps = rng.choices((0, 1, 2, 3), (55, 33, 10, 2))[0]
            for _ in range(n_deps):
                roll = rng.random()
                if roll < 0.025:  # a wisp that was never exported: dangling
                    deps.append(_dep(ident, f"{rig.prefix}-wisp-{_b36(rng.randrange(36 ** 5), 5)}", "parent-child"))
                elif roll < 0.09 and others:  # cross-rig
                    other = rng.choice(others)
                    target = _bead_id(other.prefix, rng.randrange(other.units), town.index)
                    ref = f"external:{other.name}:{target}" if rng.random() < 0.6 else f"external:{target}:{target}"
                    deps.append(_dep(ident, ref, rng.choice(("blocks", "blocks", "related", "discovered-from"))))
                elif i > 0:
                    kind = _weighted(rng, _INTRA_TYPES)
                    j = rng.randrange(min(i, epics)) if kind == "parent-child" else rng.randrange(i)
                    deps.append(_dep(ident, _bead_id(rig.prefix, j, town.index), kind))
            extra: dict[str, Any] = {}
            roll = rng.random()
            if roll < 0.006:  # delegated work: the parent is usually in another town
                parent = fed.town_ref(rng, town) if rng.random() < 0.75 else None
                if parent is None and others:
                    other = rng.choice(others)
                    parent = f"{other.name}/{_bead_id(other.prefix, rng.randrange(other.units), town.index)}"
                if parent is not None:
                    terms = {"portion": rng.choice(("all", "backend", "tests", "docs")),
                             "deadline": clock.at(rng.random() * _SPAN)[:10]}
                    if rng.random() < 0.5:
                        terms["credit_share"] = rng.choice((0.25, 0.5, 1.0))
                    extra["metadata"] = {"delegated_from": {"parent": parent, "terms": terms,
                                                            "delegated_by": rng.choice(("mayor", f"{rig.name}/witness")),
                                                            "delegated_to": _actor(rng, rig.name)}}
                    if parent.startswith("hop://"):
                        delegations.append(_dumps({
                            "type": "delegation", "parent": parent,
                            "child": f"hop://{town.owner}/{town.name}/{rig.name}/{ident}", "terms": terms,
                            "delegated_by": town.owner, "delegated_to": town.owner}))
            elif roll < 0.08:
                extra["metadata"] = {"molecule": f"mol-{rng.choice(_WORDS)}-{rng.choice(_WORDS)}",
                                     "attempt": rng.randint(1, 4)}
            if rng.random() < 0.01:
                target = fed.town_ref(rng, town) if rng.random() < 0.8 else fed.sudo_ref(rng)
                if target is not None:
                    extra["references"] = [{"type": "depends_on", "target": target}]
            if rng.random() < 0.002 and others:
                other = rng.choice(others)
                deps.append(_dep(ident, f"external:{other.name}:{_bead_id(other.prefix, rng.randrange(other.units), town.index)}",
                                 "delegated-from"))
            row = _export_issue(rng, text, clock, ident, rig.name, town.owner, deps,
                                issue_type="epic" if i < epics else None, extra=extra)
            rows.append(_dumps(row))
        if rig.redirect:
            w.text(f"{root}/{rig.name}/.beads/redirect", "mayor/rig/.beads\n")
        if rows or rig.units == 0:
            w.jsonl(f"{root}/{rig.beads_rel}/issues.jsonl", rows, "work_units")

    # town-level beads: hq- (patrol digests, mail, agents) and hq-cv- convoys tracking rig beads
    rigs_with_units = [r for r in town.rigs if r.units]
    rows = []
    for i in range(town.hq_units):
        if i < town.convoys and rigs_with_units:
            ident = f"hq-cv-{_scramble(i, town.index)}"
            tracked = []
            for _ in range(rng.choices((1, 2, 3), (70, 20, 10))[0]):
                rig = rng.choice(rigs_with_units)
                target = _bead_id(rig.prefix, rng.randrange(rig.units), town.index)
                tracked.append(_dep(ident, f"external:{target}:{target}", "tracks"))
            row = _export_issue(rng, text, clock, ident, None, town.owner, tracked, issue_type="convoy",
                                title=f"Work: {text.title()}",
                                description=f"Auto-created convoy tracking {tracked[0]['depends_on_id'].split(':')[-1]}")
        else:
            ident = f"hq-{_scramble(i, town.index + 7)}"
            deps = []
            if rng.random() < 0.5:  # patrol digests squash wisps that are not exported
                deps.append(_dep(ident, f"hq-wisp-{_b36(rng.randrange(36 ** 5), 5)}", "parent-child"))
            elif i > town.convoys and rng.random() < 0.3:
                deps.append(_dep(ident, f"hq-{_scramble(rng.randrange(town.convoys, i), town.index + 7)}", "related"))
            row = _export_issue(rng, text, clock, ident, None, town.owner, deps,
                                issue_type=rng.choice(("task", "task", "agent", "message")),
                                title=rng.choice(("Digest: mol-deacon-patrol", "Handoff: " + text.title(),
                                                  text.title())),
                                description=f"Patrol #{rng.randint(1, 40)}: routine, no incidents"
                                if rng.random() < 0.4 else None)
        rows.append(_dumps(row))
    if rows or town.layout == "real":
        w.jsonl(f"{root}/.beads/issues.jsonl", rows, "work_units")

    # federation records: employment, the cross-town delegations this town's beads state
    fed_rows = [_dumps({"type": "employment", "entity": town.owner, "organization": town.owner.split("@")[1],
                        "role": "owner"})]
    fed_rows += delegations
    w.jsonl(f"{root}/.beads/federation.jsonl", fed_rows, "federation_records")

    # town events (+ a curated feed copy in half the towns)
    n_events = max(5, town.units // 5)
    events: list[str] = []
    feed: list[str] = []
    moments = sorted(rng.random() * _SPAN for _ in range(n_events))
    names = [r.name for r in town.rigs]
    for moment in moments:
        kind = _weighted(rng, _EVENT_TYPES)
        rig = rng.choice(names)
        actor = _actor(rng, rig)
        payload: dict[str, Any]
        if kind in ("sling", "hook", "unhook", "done"):
            r = next((x for x in town.rigs if x.name == rig), town.rigs[0])
            payload = {"bead": _bead_id(r.prefix, rng.randrange(max(1, r.units)), town.index), "rig": rig,
                       "target": _actor(rng, rig)}
        elif kind == "mail":
            payload = {"from": actor, "to": _actor(rng, rig), "subject": text.title()}
        elif kind in ("session_start", "session_death", "spawn", "kill"):
            payload = {"session_id": f"{actor.replace('/', '-')}-{rng.randrange(99999)}", "role": actor.split("/")[-1],
                       "cwd": f"/home/{town.owner.split('@')[0]}/{town.name}/{rig}", "reason": rng.choice(("", "zombie cleanup", "handoff"))}
        elif kind == "nudge":
            payload = {"reason": f"[from deacon] {rng.choice(('session-started', 'idle', 'stuck'))}", "rig": rig,
                       "target": actor}
        else:
            payload = {"rig": rig, "agents": ["daemon", "deacon", "mayor"]}
        event = {"ts": Clock(rng, "z").at(moment), "source": "gt", "type": kind, "actor": actor, "payload": payload,
                 "visibility": rng.choice(("feed", "audit", "both"))}
        events.append(_dumps(event))
        if town.index % 2 == 0 and rng.random() < 0.3:
            copy = {k: v for k, v in event.items() if k != "visibility"}
            copy["summary"] = f"{actor}: {kind}"
            feed.append(_dumps(copy))
    w.jsonl(f"{root}/.events.jsonl", events, "town_events")
    if feed:
        w.jsonl(f"{root}/.feed.jsonl", feed, "town_feed")


# every column of a bd backup issues row, in the dump's (sorted) order; see the real dump in
# shared/realdata/gastown-backup/.beads/backup/issues.jsonl
_BACKUP_EMPTY_STR = ("acceptance_criteria", "actor", "agent_state", "await_id", "await_type", "closed_by_session",
                     "design", "event_kind", "hook_bead", "mol_type", "notes", "payload", "rig", "role_bead",
                     "role_type", "sender", "source_repo", "source_system", "spec_id", "target", "waiters",
                     "wisp_type", "work_type")
_BACKUP_NULL = ("compacted_at", "compacted_at_commit", "defer_until", "due_at", "estimated_minutes", "external_ref",
                "last_activity", "original_size", "quality_score")
_BACKUP_ZERO = ("compaction_level", "crystallizes", "ephemeral", "is_template", "pinned", "timeout_ns")
_BACKUP_EVENTS = (("status_changed", 34), ("updated", 26), ("closed", 21), ("created", 10), ("label_added", 5),
                  ("label_removed", 3), ("reopened", 1))


def _write_beads(w: Writer, folder: BeadsPlan, text: Text, seed: int) -> None:
    rng = random.Random(f"crossdeck-bench:{seed}:beads:{folder.index}")
    owner = f"{rng.choice(_FIRST)}@{rng.choice(_ORG_DOMAINS)}"
    root = f"{folder.dir}/.beads"
    clock = Clock(rng, "z" if folder.backup else "nano", rng.choice((-8, 0, 1)))
    epics = max(1, folder.units // 20)
    ids = [_bead_id(folder.prefix, i, 1000 + folder.index) for i in range(folder.units)]
    rows: list[dict[str, Any]] = []
    for i, ident in enumerate(ids):
        deps = []
        for _ in range(rng.choices((0, 1, 2), (50, 38, 12))[0]):
            if rng.random() < 0.02:
                deps.append(_dep(ident, f"{folder.prefix}-wisp-{_b36(rng.randrange(36 ** 4), 4)}", "blocks"))
            elif i > 0:
                kind = _weighted(rng, _INTRA_TYPES)
                j = rng.randrange(min(i, epics)) if kind == "parent-child" else rng.randrange(i)
                deps.append(_dep(ident, ids[j], kind))
        rows.append(_export_issue(rng, text, clock, ident, None, owner, deps,
                                  issue_type="epic" if i < epics else None))
    if not folder.backup:
        w.jsonl(f"{root}/issues.jsonl", [_dumps(r) for r in rows], "work_units")
        return

    backup = f"{root}/backup"
    issues, dependencies, labels, comments, events = [], [], [], [], []
    event_id = 0
    for row in rows:
        full: dict[str, Any] = {k: "" for k in _BACKUP_EMPTY_STR}
        full.update({k: None for k in _BACKUP_NULL})
        full.update({k: 0 for k in _BACKUP_ZERO})
        for key in ("id", "title", "description", "status", "priority", "issue_type", "owner", "created_at",
                    "created_by", "updated_at"):
            full[key] = row.get(key, "")
        full["assignee"] = row.get("assignee")
        full["closed_at"] = row.get("closed_at")
        full["close_reason"] = row.get("close_reason", "")
        full["content_hash"] = f"{rng.getrandbits(256):064x}"
        full["metadata"] = "{}" if rng.random() < 0.95 else _dumps({"attempt": rng.randint(1, 3)})
        if rng.random() < 0.2:
            full["notes"] = text.prose(120)
        issues.append(_dumps_sorted(full))
        for dep in row.get("dependencies", ()):
            dependencies.append(_dumps_sorted({k: dep[k] for k in ("created_at", "created_by", "depends_on_id",
                                                                   "issue_id", "type")}))
        for label in row.get("labels", ()):
            labels.append(_dumps_sorted({"issue_id": row["id"], "label": label}))
        if rng.random() < 0.03:
            comments.append(_dumps_sorted({"author": row.get("created_by") or "mayor", "created_at": row["updated_at"],
                                           "id": len(comments) + 1, "issue_id": row["id"], "text": text.prose(600)}))
        snapshot = _dumps({k: row[k] for k in ("id", "title", "status", "priority", "issue_type", "owner",
                                               "created_at", "created_by", "updated_at") if k in row})
        for _ in range(rng.choices((1, 2, 3, 4, 5, 6), (15, 20, 25, 20, 12, 8))[0]):
            event_id += 1
            kind = _weighted(rng, _BACKUP_EVENTS)
            old, new, comment = snapshot, "", None
            if kind == "status_changed":
                new = _dumps({"status": rng.choice(("open", "in_progress", "hooked", "closed")),
                              "assignee": _actor(rng, "rig")})
            elif kind == "updated":
                new = _dumps({"description": text.prose(80)})
            elif kind == "created":
                old, new = "", snapshot
            elif kind in ("label_added", "label_removed"):
                old, new, comment = None, None, f"{kind.split('_')[1]} label {rng.choice(_LABELS)}"
            elif kind == "closed":
                new, comment = "", rng.choice(_CLOSE_REASONS)
            events.append(_dumps_sorted({"actor": _actor(rng, "rig"), "comment": comment,
                                         "created_at": row["updated_at"], "event_type": kind, "id": event_id,
                                         "issue_id": row["id"], "new_value": new, "old_value": old}))
    w.jsonl(f"{backup}/issues.jsonl", issues, "work_units")
    w.jsonl(f"{backup}/dependencies.jsonl", dependencies, "backup_dependencies")
    w.jsonl(f"{backup}/labels.jsonl", labels, "backup_labels")
    w.jsonl(f"{backup}/comments.jsonl", comments, "backup_comments")
    w.jsonl(f"{backup}/events.jsonl", events, "backup_events")
    config = [("auto_compact_enabled", "false"), ("compact_batch_size", "50"), ("issue_prefix", folder.prefix),
              ("sync.branch", "beads-sync"), ("export.path", ".beads/issues.jsonl")]
    w.jsonl(f"{backup}/config.jsonl", [_dumps_sorted({"key": k, "value": v}) for k, v in config], "backup_config")
    w.json(f"{backup}/backup_state.json", {
        "last_dolt_commit": _b36(rng.getrandbits(160), 32), "last_event_id": event_id,
        "timestamp": clock.at(_SPAN), "counts": {"issues": len(issues), "events": len(events),
                                                 "comments": len(comments), "dependencies": len(dependencies),
                                                 "labels": len(labels), "config": len(config)}})


_SUDO_REL_TYPES = (("blocks", 30), ("related", 25), ("discovered-from", 10), ("depends-on", 15),
                   ("references", 12), ("implements", 8))


def _write_sudocode(w: Writer, repo: SudoPlan, fed: Federation, text: Text, seed: int) -> None:
    rng = random.Random(f"crossdeck-bench:{seed}:sudocode:{repo.index}")
    root = f"{repo.dir}/.sudocode"
    sql, iso = Clock(rng, "sudocode-sql"), Clock(rng, "sudocode-iso")
    issue_ids = [f"i-{_scramble(i, repo.index, 4)}" for i in range(repo.issues)]
    spec_ids = [f"s-{_scramble(i, repo.index + 500, 4)}" for i in range(repo.specs)]
    w.json(f"{root}/config.json", {"sourceOfTruth": "jsonl", "telemetry": {"projectId": f"proj-{_b36(rng.getrandbits(40), 8)}"}})

    def item(ident: str, kind: str, i: int, pool: list[str]) -> dict[str, Any]:
        created, updated = sql.span()
        rels = []
        for _ in range(rng.choices((0, 1, 2, 3), (45, 35, 15, 5))[0]):
            kind_rel = _weighted(rng, _SUDO_REL_TYPES)
            roll = rng.random()
            if roll < 0.05:
                target = fed.sudo_ref(rng, repo)
                if target is None:
                    continue
                to_type = "issue"
            elif kind_rel == "implements" and spec_ids:
                target, to_type = rng.choice(spec_ids), "spec"
            elif i > 0:
                target, to_type = pool[rng.randrange(i)], kind
            else:
                continue
            rels.append({"from": ident, "from_type": kind, "to": target, "to_type": to_type, "type": kind_rel})
        content = text.prose(450 if kind == "issue" else 900)
        if rng.random() < 0.03:
            ref = fed.sudo_ref(rng, repo)
            if ref:
                content += f"\n\nSee [[{ref}]] for the upstream change."
        status = _weighted(rng, _SUDO_STATUSES)
        row: dict[str, Any] = {"id": ident, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                               "title": text.title()}
        if kind == "spec":
            row["file_path"] = f"specs/{ident}_{row['title'].lower().replace(' ', '_')[:40]}.md"
        row["content"] = content
        if kind == "issue":
            row["status"] = status
        row["priority"] = rng.randint(0, 4)
        if kind == "issue":
            row["assignee"] = rng.choice(_FIRST) if rng.random() < 0.4 else None
        archived = status == "closed" and rng.random() < 0.5
        row["archived"] = int(archived)
        row["archived_at"] = iso.at(updated) if archived else None
        row["created_at"] = sql.at(created) if rng.random() < 0.5 else iso.at(created)
        row["updated_at"] = iso.at(updated)
        if kind == "issue":
            row["closed_at"] = sql.at(updated) if status == "closed" else None
        parent = pool[rng.randrange(i)] if i > 0 and rng.random() < 0.15 else None
        row["parent_id"] = parent
        row["parent_uuid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if parent else None
        row["relationships"] = rels
        row["tags"] = rng.sample(_LABELS, rng.randint(0, 4))
        if kind == "issue" and rng.random() < 0.05:
            row["feedback"] = [{"spec_id": rng.choice(spec_ids) if spec_ids else "s-0000",
                                "type": "comment", "content": text.prose(120)}]
        return row

    w.jsonl(f"{root}/issues.jsonl", [_dumps(item(x, "issue", i, issue_ids)) for i, x in enumerate(issue_ids)],
            "work_units")
    w.jsonl(f"{root}/specs.jsonl", [_dumps(item(x, "spec", i, spec_ids)) for i, x in enumerate(spec_ids)],
            "work_units")
    if not repo.federated:
        return

    remotes = [s for s in fed.plan.sudocode if s.federated and s is not repo]
    chosen = rng.sample(remotes, min(len(remotes), rng.randint(1, 4)))
    remote_repos = []
    for other in chosen:
        trust = rng.choice(("trusted", "verified", "untrusted"))
        remote_repos.append({
            "url": f"https://github.com/{other.org}/{other.repo}", "display_name": other.repo.replace("-", " ").title(),
            "trust_level": trust,
            "permissions": {"query": True, "mutate": {"allowed": trust != "untrusted",
                                                       "operations": ["create_issue", "update_issue"],
                                                       "auto_approve_conditions": ["priority >= 2"] if trust == "trusted" else [],
                                                       "max_creates_per_day": rng.choice((10, 50, 100))},
                            "subscribe": True},
            "sync": {"auto_sync": rng.random() < 0.5, "interval_minutes": rng.choice((5, 15, 60))}})
    w.json(f"{root}/federation.config.json", {
        "local_identity": {"url": f"https://github.com/{repo.org}/{repo.repo}", "display_name": repo.repo.title()},
        "endpoints": {"rest": f"https://{repo.repo}.{repo.org}.dev/api/v1/federation", "a2a": None},
        "remote_repos": remote_repos,
        "policies": {"incoming_requests": {
            "query": {"allowed": True, "rate_limit": 100},
            "mutate": {"auto_approve": [{"condition": "trust_level === 'trusted' && priority >= 2", "notify": ["#fed"]}],
                       "require_approval": [{"condition": "labels.includes('breaking-change')", "notify": ["@lead"]}]}}},
        "cache": {"ttl_seconds": 300, "max_entries": 5000}})
    requests: list[str] = []
    for _ in range(rng.randint(0, 30) if chosen else 0):
        other = rng.choice(chosen)
        outgoing = rng.random() < 0.5
        rid = f"req-{_b36(rng.getrandbits(48), 10)}"
        created, updated = iso.span()
        base = {"request_id": rid, "direction": "outgoing" if outgoing else "incoming",
                "from_repo": f"{repo.org}/{repo.repo}" if outgoing else f"{other.org}/{other.repo}",
                "to_repo": f"{other.org}/{other.repo}" if outgoing else f"{repo.org}/{repo.repo}",
                "request_type": rng.choice(("create_issue", "update_issue", "query", "delegate")),
                "payload": {"title": text.title(), "priority": rng.randint(0, 4), "labels": rng.sample(_LABELS, 1)},
                "status": "pending", "created_at": iso.at(created), "updated_at": iso.at(created)}
        requests.append(_dumps(base))
        if rng.random() < 0.6:  # a later snapshot of the same request
            done = dict(base, status=rng.choice(("approved", "rejected", "completed")), updated_at=iso.at(updated),
                        approved_by=rng.choice(_FIRST), approved_at=iso.at(updated))
            requests.append(_dumps(done))
    w.jsonl(f"{root}/federation/requests.jsonl", requests, "requests")
    if repo.index % 3 == 0:
        subs = [_dumps({"subscription_id": f"sub-{_b36(rng.getrandbits(40), 8)}", "remote_repo": f"{o.org}/{o.repo}",
                        "direction": "outgoing", "event_types": ["issue.created", "issue.closed"],
                        "filters": {"labels": ["federation"]}, "active": True, "created_at": iso.at(rng.random() * _SPAN)})
                for o in chosen]
        w.jsonl(f"{root}/federation/subscriptions.jsonl", subs, "subscriptions")
        audit = [_dumps({"timestamp": iso.at(rng.random() * _SPAN), "operation_type": rng.choice(("query", "mutate")),
                         "direction": rng.choice(("incoming", "outgoing")), "local_repo": f"{repo.org}/{repo.repo}",
                         "remote_repo": f"{o.org}/{o.repo}", "status": "success", "duration_ms": rng.randint(5, 900)})
                 for o in chosen for _ in range(rng.randint(1, 10))]
        w.jsonl(f"{root}/federation/audit.jsonl", audit, "audit")


def _write_realm(w: Writer, realm: RealmPlan, text: Text, seed: int) -> None:
    rng = random.Random(f"crossdeck-bench:{seed}:realm:{realm.index}")
    root = realm.dir
    day = _EPOCH.date() + dt.timedelta(days=rng.randrange(60))
    w.yaml(f"{root}/realm.yaml", {
        "name": realm.name, "version": Plain("1.0") if realm.layout == "draft" else "0.3.0", "created_at": day,
        "governance": {"admission": rng.choice(("open", "approval", "invite-only")),
                       "approvers": [f"{rng.choice(_FIRST)}@{rng.choice(_ORG_DOMAINS)}" for _ in range(2)],
                       "breaking_changes": {"require_approval": True, "grace_period_days": rng.choice((7, 14, 30))}}})
    contracts: dict[str, list[tuple[str, str]]] = {}  # domain -> [(contract, current version)]
    for d in realm.domains:
        names = _unique_names(rng, rng.randint(1, 4), lambda r: f"{r.choice(_WORDS)}-{r.choice(_WORDS)}")
        contracts[d] = [(name, f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 5)}") for name in names]
    repos = {d: f"{d}-{rng.choice(('service', 'app', 'api'))}" for d in realm.domains}

    def schema() -> dict[str, Any]:
        fields = rng.sample(_WORDS, rng.randint(3, 7))
        return {"type": "object", "required": fields[:2],
                "properties": {f: {"type": rng.choice(("string", "integer", "boolean"))} for f in fields}}

    def history(version: str, dated: bool) -> list[dict[str, Any]]:
        major, minor, patch = (int(x) for x in version.split("."))
        out = []
        for k in range(min(minor, 3), -1, -1):
            entry: dict[str, Any] = {"version": f"{major}.{minor - k}.{patch if k == 0 else 0}"}
            if dated:
                entry["date"] = day + dt.timedelta(days=10 * (3 - k) + rng.randrange(5))
            entry["changes"] = [text.title() for _ in range(rng.randint(1, 3))]
            if not dated:
                entry["compatible"] = rng.random() < 0.9
            out.append(entry)
        return out

    def imports_for(d: str) -> list[tuple[str, str, str]]:
        out = []
        for other in realm.domains:
            if other != d and contracts[other] and rng.random() < 0.5:
                name, version = rng.choice(contracts[other])
                out.append((other, name, version))
        return out

    if realm.layout == "draft":
        for d in realm.domains:
            base = f"{root}/domains/{d}"
            w.yaml(f"{base}/domain.yaml", {"name": d, "repo_path": f"../{repos[d]}", "maintainers":
                                           [f"{rng.choice(_FIRST)}@{rng.choice(_ORG_DOMAINS)}"], "joined_at": day})
            w.yaml(f"{base}/exports.yaml", {"exports": [
                {"name": name, "version": version, "description": text.prose(60) or text.title(),
                 "schema": f"contracts/{name}.schema.yaml", "value": {"endpoint": f"/{name}"},
                 "changelog": history(version, True)} for name, version in contracts[d]]})
            w.yaml(f"{base}/imports.yaml", {"imports": [
                {"contract": name, "from": other, "version": f"^{version.split('.')[0]}.0.0",
                 "binding": f"src/bindings/{name}.ts", "status": rng.choice(("current", "stale")),
                 "resolved_version": f"{version.split('.')[0]}.0.0", "resolved_at": day + dt.timedelta(days=5)}
                for other, name, version in imports_for(d)]})
            for name, _ in contracts[d]:
                w.yaml(f"{root}/contracts/{name}.schema.yaml", schema())
        return

    for d in realm.domains:
        w.yaml(f"{root}/repos/{repos[d]}.yaml", {"name": repos[d], "org": rng.choice(_ORG_DOMAINS).split(".")[0],
                                                 "path": f"/src/{repos[d]}", "maintainers": [rng.choice(_FIRST)],
                                                 "joined_at": Plain(f"{day.isoformat()}T10:00:00Z")})
    for d in realm.domains:
        base = f"{root}/domains/{d}"
        w.yaml(f"{base}/domain.yaml", {"name": d, "description": text.title(),
                                       "created_at": Plain(f"{day.isoformat()}T09:30:00Z"), "members": [repos[d]]})
        for name, version in contracts[d]:
            w.yaml(f"{base}/contracts/{name}.yaml", {
                "name": name, "version": version, "owner": repos[d],
                "compatibility": {"backwards": True, "forwards": rng.random() < 0.5},
                "schema": schema(), "value": {"read": [f"{name}.get"], "write": [f"{name}.put"], "delete": []},
                "validation": {"strict": True}, "evolution": history(version, False)})
    # A binding lives in the domain whose contracts it binds: the provider repo's exports, and one
    # consumer binding per repo (of another domain) that imports this domain's contracts.
    consumers: dict[str, list[tuple[str, str, str]]] = {d: [] for d in realm.domains}
    for d in realm.domains:
        for other, name, version in imports_for(d):
            consumers[other].append((repos[d], name, version))
    for d in realm.domains:
        base = f"{root}/domains/{d}"
        w.yaml(f"{base}/bindings/{repos[d]}.yaml", {
            "repo": repos[d], "role": "provider",
            "exports": [{"contract": name, "source_files": [f"src/{name}.rs"]} for name, _ in contracts[d]]})
        by_repo: dict[str, list[tuple[str, str]]] = {}
        for repo, name, version in consumers[d]:
            by_repo.setdefault(repo, []).append((name, version))
        for repo, wanted in by_repo.items():
            w.yaml(f"{base}/bindings/{repo}.yaml", {
                "repo": repo, "role": "consumer",
                "imports": [{"contract": name, "version": f">={version.split('.')[0]}.0.0",
                             "binding": f"src/bindings/{name}.rs",
                             "status": rng.choice(("current", "outdated", "pending")),
                             "resolved_version": f"{version.split('.')[0]}.0.0",
                             "resolved_at": Plain(f"{(day + dt.timedelta(days=3)).isoformat()}T12:00:00Z")}
                            for name, version in wanted]})


def generate(out_dir: Path | str, units: int = 100_000, workspaces: int = 200, seed: int = 1,
             force: bool = False, shape: Shape | None = None) -> dict[str, Any]:
    """Write the synthetic federation into ``out_dir``; returns a summary (counts by kind).

    ``shape`` overrides the mix (workspaces of each kind, rigs per town, beads per rig)."""
    p = plan(units, workspaces, seed, shape)  # before touching out_dir: a shape may not fit
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use force=True / --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    w = Writer(out)
    text = Text(random.Random(f"crossdeck-bench:{seed}:text"))
    fed = Federation(p)
    for town in p.towns:
        _write_town(w, town, fed, text, seed)
    for folder in p.beads:
        _write_beads(w, folder, text, seed)
    for repo in p.sudocode:
        _write_sudocode(w, repo, fed, text, seed)
    for realm in p.realms:
        _write_realm(w, realm, text, seed)
    return {
        "out_dir": str(out), "seed": seed, "units_requested": units,
        "workspaces": {"town": len(p.towns), "beads": len(p.beads), "sudocode": len(p.sudocode),
                       "realm": len(p.realms), "total": len(p.towns) + len(p.beads) + len(p.sudocode) + len(p.realms)},
        "work_units": {"town": sum(t.units for t in p.towns), "beads": sum(b.units for b in p.beads),
                       "beads_backup_form": sum(b.units for b in p.beads if b.backup),
                       "sudocode": sum(s.issues + s.specs for s in p.sudocode)},
        "rigs": sum(len(t.rigs) for t in p.towns),
        "records": dict(sorted(w.records.items())),
        "files": w.files, "bytes": w.bytes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR if it is not empty")
    shape = parser.add_argument_group(
        "shape", "instead of the default mix; given any of the four kinds' counts, a kind not given "
        "has none and --workspaces is not used")
    shape.add_argument("--towns", type=int, metavar="N", help="Gas Town towns")
    shape.add_argument("--beads-folders", type=int, metavar="N", help="standalone .beads folders (half in the backup form)")
    shape.add_argument("--sudocode", type=int, metavar="N", help="sudocode repos")
    shape.add_argument("--realms", type=int, metavar="N", help="Blue realms (half draft, half implemented layout)")
    shape.add_argument("--rigs-per-town", type=int, metavar="N", help="rigs in every town (default: 2-8 at random)")
    shape.add_argument("--beads-per-rig", type=int, metavar="N",
                       help="beads in every rig, with 12%% of that on top as the town's own hq- beads; "
                            "the rest of --units goes to beads folders and sudocode repos")
    args = parser.parse_args(argv)
    if args.units < 0 or args.workspaces < 1:
        parser.error("--units must be >= 0 and --workspaces >= 1")
    counts = {"--towns": args.towns, "--beads-folders": args.beads_folders, "--sudocode": args.sudocode,
              "--realms": args.realms}
    for flag, n in counts.items():
        if n is not None and n < 0:
            parser.error(f"{flag} must be >= 0")
    if any(n is not None for n in counts.values()) and not any(counts.values()):
        parser.error("the workspace counts add up to 0")
    if args.rigs_per_town is not None and args.rigs_per_town < 1:
        parser.error("--rigs-per-town must be >= 1")
    if args.beads_per_rig is not None and args.beads_per_rig < 0:
        parser.error("--beads-per-rig must be >= 0")
    shape_args = Shape(args.towns, args.beads_folders, args.sudocode, args.realms, args.rigs_per_town,
                       args.beads_per_rig)
    try:
        summary = generate(args.out_dir, args.units, args.workspaces, args.seed, force=args.force,
                           shape=shape_args)
    except ValueError as exc:
        parser.error(str(exc))
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
