"""What-if: how much the suggested loader changes would buy, measured the same way as
``load_ratio.py`` (fresh process each, alternating with the floor, medians), without editing core/.

    python benchmarks/whatif.py DIR [--repeat 5] [--variants baseline,fast-schema,typed-export]

Variants (each one monkeypatches core in the measured process, then runs ``load_federation``):

baseline      core as it is.
fast-schema   ``Schema.read`` with an exact-type fast path: ``type(value) in allowed`` per field
              instead of ``_type_ok`` (a function call and up to three ``isinstance`` per field);
              anything unusual (a subclass, a missing required field, a wrong type) falls back to
              the original, so results and messages are identical (checked: same digest).
typed-export  fast-schema, plus ``BeadsLoad._load_export`` replaced by a prototype that decodes each
              ``issues.jsonl`` with ``msgspec.json.Decoder(T).decode_lines`` straight into a
              ``WorkUnit`` subclass (``rename={"type": "issue_type"}``) with typed dependencies, and
              resolves each distinct dependency target once per folder. A file that does not decode
              cleanly (or has blank / ``#`` lines) goes through the original code. PROTOTYPE LIMIT:
              unknown fields are not kept in ``extra`` (only ``metadata`` and ``references`` are),
              i.e. it assumes ``extra`` becomes lazy (re-read from ``source``/``line`` when a
              writer needs it); the digest below compares everything but ``extra``.
typed-all     typed-export, plus the same treatment for sudocode ``issues.jsonl`` / ``specs.jsonl``
              (a ``WorkUnit`` subclass with ``rename={"description": "content", "labels": "tags"}``,
              typed relationships; same PROTOTYPE LIMIT on ``extra``), plus a fast path in the
              town / folder / sudocode ``resolve`` for plain short ids and ``external:`` refs (one
              regex instead of the four-regex cascade of ``uri.parse``; same results) and a memo of
              resolved references per key resolver.
"""

# No ``from __future__ import annotations`` here: msgspec must resolve the prototype structs'
# annotations, which name classes local to the patch functions.
import argparse
import json
import statistics
import sys
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_ratio import FLOOR, LAST_CPU, OUT, _run_json, _run_timed  # noqa: E402

VARIANTS = ("baseline", "fast-schema", "typed-export", "typed-all")


# -- patches (applied inside the measured child process) -----------------------------------------

def patch_fast_schema() -> None:
    import datetime

    from core.sources import schema as S

    original = S.Schema.read
    compiled: dict[int, tuple[dict[str, tuple[str, frozenset[type], bool]], frozenset[str]]] = {}

    def compile_schema(self: Any) -> tuple[dict[str, tuple[str, frozenset[type], bool]], frozenset[str]]:
        fast: dict[str, tuple[str, frozenset[type], bool]] = {}
        required: set[str] = set()
        for key, spec in self.fields.items():
            allowed = set(spec.types)
            if float in allowed:
                allowed.add(int)
            if datetime.date in allowed:
                allowed.add(datetime.datetime)
            fast[key] = (spec.target or key, frozenset(allowed), not spec.required)
            if spec.required:
                required.add(spec.target or key)
        return fast, frozenset(required)

    def read(self: Any, raw: Any) -> Any:
        entry = compiled.get(id(self))
        if entry is None:
            entry = compiled[id(self)] = compile_schema(self)
        fast, required = entry
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        get = fast.get
        for key, value in raw.items():
            spec = get(key)
            if spec is None:
                extra[key] = value
            elif type(value) in spec[1]:
                known[spec[0]] = value
            elif value is None and spec[2]:
                continue
            else:
                return original(self, raw)
        if required and not required <= known.keys():
            return original(self, raw)
        return known, extra

    S.Schema.read = read


def patch_typed_export() -> None:
    import msgspec

    from core.model import Delegation, Relationship, WorkUnit
    from core.sources import beads as B
    from core.sources.files import read_bytes

    class Dep(msgspec.Struct, gc=False):
        depends_on_id: str
        issue_id: str | None = None
        type: str | None = None
        created_at: str | None = None
        created_by: str | None = None
        metadata: Any = None

    class ExportUnit(WorkUnit, kw_only=True, gc=False, rename={"type": "issue_type"}):
        key: str = ""
        workspace: str = ""
        kind: str = "bead"
        type: str | None = None
        status: str | None = None  # type: ignore[assignment]
        labels: list[str] | None = None  # type: ignore[assignment]
        comments: list[dict[str, Any]] | None = None  # type: ignore[assignment]
        metadata: Any = None
        references: Any = None
        dependencies: list[Dep] | None = None

    decoder = msgspec.json.Decoder(ExportUnit)
    original = B.BeadsLoad._load_export
    missing = object()

    def load_export(self: Any, path: Path) -> None:
        data = read_bytes(path, self.diags, self.limits)
        if data is None:
            return
        if data[:1] == b"#" or b"\n#" in data or b"\n\n" in data.rstrip(b"\n") or b"\r" in data:
            return original(self, path)
        try:
            rows = decoder.decode_lines(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return original(self, path)
        ws = self.ws
        ws_name, rig, src = ws.name, self.rig, str(path)
        key_for, resolve = self.keys.key_for, self.keys.resolve
        units, relationships, delegations = ws.work_units, ws.relationships, ws.delegations
        cache: dict[str, str | None] = {}
        for number, unit in enumerate(rows, 1):
            unit.key = key_for(unit.id)
            unit.workspace = ws_name
            unit.rig = rig
            unit.source = src
            unit.line = number
            if unit.status is None:
                unit.status = "open"
            if unit.labels is None:
                unit.labels = []
            if unit.comments is None:
                unit.comments = []
            metadata, references, deps = unit.metadata, unit.references, unit.dependencies
            unit.metadata = unit.references = unit.dependencies = None
            if metadata is not None or references is not None:
                extra = {}
                if metadata is not None:
                    extra["metadata"] = metadata
                if references is not None:
                    extra["references"] = references
                unit.extra = extra
                self._delegation_from_metadata(unit, path, number)
                if references is not None:
                    self._references(unit, references, path, number)
            units.append(unit)
            if not deps:
                continue
            for dep in deps:
                source = dep.issue_id or unit.id
                target = dep.depends_on_id
                dep_type = dep.type or "blocks"
                to_key = cache.get(target, missing)
                if to_key is missing:
                    to_key = cache[target] = resolve(target)
                from_key = unit.key if source == unit.id else key_for(source)
                relationships.append(Relationship(
                    type=dep_type, from_ref=source, to_ref=target, from_key=from_key, to_key=to_key,
                    workspace=ws_name, created_at=dep.created_at, created_by=dep.created_by, source=src,
                    line=number, extra={"metadata": dep.metadata} if dep.metadata is not None else {}))
                if dep_type == B.DELEGATED_FROM:
                    delegations.append(Delegation(
                        parent=target, child=source, parent_key=to_key, child_key=from_key,
                        delegated_by=dep.created_by, forms=["dependency"], workspace=ws_name, source=src,
                        line=number))
        return None

    B.BeadsLoad._load_export = load_export


def patch_fast_resolve() -> None:
    """Plain short ids (``gt-abc``) and ``external:x:y`` can only match one of uri.parse's four
    regexes; match that one directly, with the rest of each resolver's logic unchanged; memoize."""
    from core import uri
    from core.sources import keys as K
    from core.sources import sudocode as SC
    from core.sources import town as T

    short, external = uri._SHORT.match, uri._EXTERNAL.match  # noqa: SLF001 - a what-if

    def quick_parse(ref: str) -> Any:
        """uri.Ref for the two common forms, None for "cannot be one", False for "ask uri.parse"."""
        if "/" in ref or "#" in ref or "[" in ref or ref != ref.strip() or not ref:
            return False
        if ":" not in ref:
            m = short(ref)
            return uri.Ref(uri.RefForm.SHORT, (), m.group(2)) if m else None
        if ref.startswith("external:") and "://" not in ref:
            m = external(ref)
            return uri.Ref(uri.RefForm.EXTERNAL, (m.group(1),), m.group(2)) if m else None
        return False

    def fast_try_parse(ref: str) -> Any:
        parsed = quick_parse(ref)
        return uri.try_parse(ref) if parsed is False else parsed

    fast_uri = types.ModuleType("core.uri (what-if)")
    fast_uri.__dict__.update(uri.__dict__)
    fast_uri.try_parse = fast_try_parse  # type: ignore[attr-defined]
    for cls, module in ((T.TownKeys, T), (K.FolderKeys, K), (SC.SudocodeKeys, SC)):
        module.uri = fast_uri  # the resolvers look up uri.try_parse through their module global
        if "__dict__" not in dir(cls) and getattr(cls, "__slots__", None) is not None:
            continue  # FolderKeys has __slots__: fast parse, no memo

        def resolve(self: Any, ref: str, _original: Any = cls.resolve) -> Any:
            memo = self.__dict__.get("_whatif_memo")
            if memo is None:
                memo = self.__dict__["_whatif_memo"] = {}
            key = memo.get(ref, memo)
            if key is memo:
                key = memo[ref] = _original(self, ref)
            return key

        cls.resolve = resolve


def patch_typed_sudocode() -> None:
    import msgspec

    from core import uri
    from core.model import Relationship, WorkUnit
    from core.sources import sudocode as SC
    from core.sources.files import read_bytes

    class Rel(msgspec.Struct, gc=False):
        to: str
        type: str
        from_: str = msgspec.field(name="from")

    def make(kind: str, with_status: bool) -> Any:
        class Item(WorkUnit, kw_only=True, gc=False, rename={"description": "content", "labels": "tags"}):
            key: str = ""
            workspace: str = ""
            kind: str = "issue"
            description: str | None = None
            labels: list[str] | None = None  # type: ignore[assignment]
            status: str | None = None  # type: ignore[assignment]
            relationships: list[Rel] | None = None
        return msgspec.json.Decoder(Item)

    decoders = {"issue": make("issue", True), "spec": make("spec", False)}
    original = SC._load_items  # noqa: SLF001

    def load_items(path: Path, schema: Any, kind: str, ws: Any, keys: Any, diags: Any, limits: Any) -> None:
        data = read_bytes(path, diags, limits)
        if data is None:
            return
        if data[:1] == b"#" or b"\n#" in data or b"\n\n" in data.rstrip(b"\n") or b"\r" in data:
            return original(path, schema, kind, ws, keys, diags, limits)
        try:
            rows = decoders[kind].decode_lines(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return original(path, schema, kind, ws, keys, diags, limits)
        if kind == "spec" and any(r.status is not None or r.assignee is not None or r.closed_at is not None
                                  for r in rows):
            return original(path, schema, kind, ws, keys, diags, limits)  # specs keep those in extra
        name, src, key_for, resolve = ws.name, str(path), keys.key_for, keys.resolve
        units, relationships = ws.work_units, ws.relationships
        for number, unit in enumerate(rows, 1):
            unit.key = key_for(unit.id)
            unit.workspace = name
            unit.kind = kind
            unit.source = src
            unit.line = number
            if unit.status is None:
                unit.status = "open"
            if unit.labels is None:
                unit.labels = []
            rels, unit.relationships = unit.relationships, None
            units.append(unit)
            for rel in rels or ():
                relationships.append(Relationship(
                    type=rel.type, from_ref=rel.from_, to_ref=rel.to, from_key=resolve(rel.from_),
                    to_key=resolve(rel.to), workspace=name, source=src, line=number))
            if unit.description and "[[" in unit.description:
                for ref in uri.find_refs(unit.description):
                    relationships.append(Relationship(
                        type="references", from_ref=unit.id, to_ref=str(ref), from_key=unit.key,
                        to_key=uri.canonical(ref), workspace=name, source=src, line=number,
                        extra={"mentioned_in": "content"}))
        return None

    SC._load_items = load_items  # noqa: SLF001


def apply(variant: str) -> None:
    if variant in ("fast-schema", "typed-export", "typed-all"):
        patch_fast_schema()
    if variant in ("typed-export", "typed-all"):
        patch_typed_export()
    if variant == "typed-all":
        patch_typed_sudocode()
        patch_fast_resolve()


# -- measuring ---------------------------------------------------------------------------------------

LOAD = r"""
import sys
sys.path.insert(0, "benchmarks")
import whatif
whatif.apply(sys.argv[2])
from pathlib import Path
from core.federation import load_federation
fed = load_federation([Path(sys.argv[1])])
"""

DIGEST = r"""
import hashlib, json, statistics, sys, time, gc
sys.path.insert(0, "benchmarks")
import whatif
whatif.apply(sys.argv[2])
from pathlib import Path
from core.federation import load_federation
root = Path(sys.argv[1])
times = []
for i in range(3):
    t = time.perf_counter(); fed = load_federation([root]); times.append(time.perf_counter() - t)
    if i == 0:
        model, extra = hashlib.sha1(), hashlib.sha1()
        for ws in fed.workspaces:
            for u in ws.work_units:
                model.update(repr((u.key, u.id, u.workspace, u.kind, u.title, u.status, u.priority, u.type,
                                   u.description, u.labels, u.assignee, u.owner, u.created_by, u.rig, u.parent_id,
                                   u.created_at, u.updated_at, u.closed_at, u.close_reason, u.comments, u.source,
                                   u.line)).encode())
                extra.update(repr(sorted(u.extra.items())).encode())
            for r in ws.relationships:
                model.update(repr((r.type, r.from_ref, r.to_ref, r.from_key, r.to_key, r.workspace, r.created_at,
                                   r.created_by, r.source, r.line)).encode())
                extra.update(repr(sorted(r.extra.items())).encode())
            for d in ws.delegations:
                model.update(repr((d.parent, d.child, d.parent_key, d.child_key, sorted(d.terms.items()),
                                   d.delegated_by, d.delegated_to, d.forms)).encode())
        for d in fed.diagnostics:
            model.update(str(d).encode())
        result = {"model_digest": model.hexdigest()[:16], "extra_digest": extra.hexdigest()[:16],
                  "work_units": sum(len(ws.work_units) for ws in fed.workspaces),
                  "relationships": sum(len(ws.relationships) for ws in fed.workspaces),
                  "delegations": sum(len(ws.delegations) for ws in fed.workspaces),
                  "diagnostics": len(fed.diagnostics)}
    del fed
    gc.collect()
result["warm_load_s"] = statistics.median(times[1:])
print(json.dumps(result))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    root = str(args.dir.resolve())
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in VARIANTS:
            parser.error(f"unknown variant {v!r}; known: {', '.join(VARIANTS)}")
    _run_timed(FLOOR, [root])
    for v in variants:
        _run_timed(LOAD, [root, v])
    times: dict[str, list[float]] = {"floor": [], **{v: [] for v in variants}}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    for i in range(args.repeat):
        for v in variants:
            times["floor"].append(_run_timed(FLOOR, [root]))
            cpu["floor"].append(LAST_CPU[0])
            times[v].append(_run_timed(LOAD, [root, v]))
            cpu[v].append(LAST_CPU[0])
        print(f"  round {i + 1}/{args.repeat}: " + ", ".join(f"{k} {t[-1]:.3f}" for k, t in times.items()),
              file=sys.stderr)
    floor = statistics.median(times["floor"])
    floor_cpu = statistics.median(cpu["floor"])
    results: dict[str, Any] = {"dir": root, "floor_s": floor, "floor_cpu_s": floor_cpu, "times": times, "cpu": cpu,
                               "variants": {}}
    lines = [f"what-if on {root}: whole process, fresh interpreter each, medians of {args.repeat} "
             f"(floor measured before each variant run, {len(times['floor'])} floor runs)",
             f"  {'variant':14} {'load s':>7} {'ratio':>6} {'min s':>6} {'cpu s':>6} {'cpu ratio':>9} {'warm s':>7}  "
             "work units / relationships / delegations / diagnostics   model digest      extra digest",
             f"  {'floor':14} {floor:7.3f} {'':6} {min(times['floor']):6.3f} {floor_cpu:6.3f}"]
    for v in variants:
        info = _run_json(DIGEST, [root, v])
        med = statistics.median(times[v])
        med_cpu = statistics.median(cpu[v])
        results["variants"][v] = {"load_s": med, "ratio": med / floor, "cpu_s": med_cpu, "cpu_ratio": med_cpu / floor_cpu,
                                  **info}
        lines.append(f"  {v:14} {med:7.3f} {med / floor:5.2f}x {min(times[v]):6.3f} {med_cpu:6.3f} "
                     f"{med_cpu / floor_cpu:8.2f}x {info['warm_load_s']:7.3f}  "
                     f"{info['work_units']:,} / "
                     f"{info['relationships']:,} / {info['delegations']:,} / {info['diagnostics']:,}   "
                     f"{info['model_digest']}  {info['extra_digest']}")
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "whatif-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "whatif-latest.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
