"""Who acts: the actor a mutation records, and how a person sets one.

The actor comes from, in order: an explicit choice (the CLI's ``--actor``), the ``BD_ACTOR``
environment variable, then ``actor`` in config.toml (docs/config.md). A blank value counts as
unset. When there is none, nothing acts: callers refuse with ``HOW_TO_SET`` rather than record a
decision made by nobody. Validating the name itself is ``core.sync.decisions.check_actor``'s job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

ACTOR_ENV = "BD_ACTOR"


class Actor(NamedTuple):
    name: str
    source: str  # where it came from: "--actor", "BD_ACTOR" or "config.toml"


def acting_actor(configured: str | None, explicit: str | None = None,
                 environ: Mapping[str, str] | None = None) -> Actor | None:
    """The actor in effect, with where it came from; None when none is set anywhere."""
    env = os.environ if environ is None else environ
    for value, source in ((explicit, "--actor"), (env.get(ACTOR_ENV), ACTOR_ENV), (configured, "config.toml")):
        name = (value or "").strip()
        if name:
            return Actor(name, source)
    return None


def how_to_set(config_file: str | None = None) -> str:
    """A sentence telling a person how to set an actor."""
    where = f"in {config_file}" if config_file else "in config.toml"
    return (f"Set {ACTOR_ENV} (e.g. {ACTOR_ENV}=web/crew/bob) before starting crossdeck, "
            f"or add actor = \"web/crew/bob\" {where}")
