"""The digest of a whole loaded federation, to prove that a loader change loads the same model.

    PYTHONPATH=. python benchmarks/model_digest.py DIR

Every record of every workspace, ``extra`` included *in its key order*, and every diagnostic in
its order, encoded with msgspec (field order fixed by the model) and hashed; printed with the
record counts. ``whatif.py``'s digest sorts ``extra`` and skips some record kinds: this one
leaves nothing out, so two loaders with the same digest built the same model.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import msgspec

from core.federation import load_federation


def digest(root: Path) -> str:
    fed = load_federation([root])
    h = hashlib.sha256()
    enc = msgspec.json.Encoder().encode  # dicts keep their insertion order: extra's key order counts
    h.update(enc(fed.roots))
    for ws in fed.workspaces:
        h.update(enc(ws))
    for diag in fed.diagnostics:
        h.update(str(diag).encode())
        h.update(enc(diag))
    counts = {kind: sum(len(getattr(ws, kind)) for ws in fed.workspaces)
              for kind in ("work_units", "relationships", "delegations", "audit", "contracts", "requests")}
    return f"{h.hexdigest()[:24]} diagnostics={len(fed.diagnostics)} " + " ".join(f"{k}={v}" for k, v in counts.items())


if __name__ == "__main__":
    print(digest(Path(sys.argv[1])))
