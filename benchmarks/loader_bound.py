"""What a loader that does one Python step per record must cost at least: a bound to set the
real loader's cost against (benchmarks/README.md, "Verbs, whole").

    PYTHONPATH=. python benchmarks/loader_bound.py DIR
    python -c "import benchmarks.load_ratio as m; print(m.FLOOR)" > /tmp/floor.py   # the floor, as a script
    python /tmp/floor.py DIR

Time both as whole processes, paired run by run (``/usr/bin/time``, or any harness that does),
on a federation from ``generate.py``. The bound reads every file as the floor does, but decodes
each line of a beads ``issues.jsonl`` into the loader's own line struct
(``core.sources.beads.ISSUE_LINE``, as the loader's fast path does; a line that does not fit is
parsed as the floor parses it), then makes one key string per issue and one tuple per
dependency, and keeps nothing. No checks, no diagnostics, no references resolved: what is left
of the real loader's cost above this is its per-record Python work.
"""

from __future__ import annotations

import os
import sys


def bound(root: str) -> int:
    """Records made: one per issue and one per dependency."""
    import msgspec
    import orjson
    import yaml

    from core.sources.beads import ISSUE_LINE

    decode = ISSUE_LINE.decode
    made = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                data = handle.read()
            if name == "issues.jsonl" and os.path.basename(dirpath) == ".beads":
                issues = []
                for line in data.split(b"\n"):
                    if line.strip():
                        try:
                            issues.append(decode(line))
                        except msgspec.DecodeError:
                            orjson.loads(line)
                keys = [dirpath + "/" + issue.id for issue in issues]
                dependencies = [(issue.id, dep.depends_on_id) for issue in issues if issue.dependencies
                                for dep in issue.dependencies]
                made += len(keys) + len(dependencies)
            elif name.endswith(".jsonl"):
                for line in data.splitlines():
                    if line and line[0] != 35:
                        orjson.loads(line)
            elif name.endswith(".json"):
                orjson.loads(data)
            elif name.endswith((".yaml", ".yml")):
                yaml.load(data, Loader=yaml.CSafeLoader)
    return made


if __name__ == "__main__":
    print(f"{bound(sys.argv[1])} records", file=sys.stderr)
