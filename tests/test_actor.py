"""Who acts: --actor, then BD_ACTOR, then config.toml; blank counts as unset; none is None."""

from __future__ import annotations

from core.actor import Actor, acting_actor, how_to_set


def test_the_first_actor_set_wins() -> None:
    env = {"BD_ACTOR": "web/crew/bob"}
    assert acting_actor("checkout/crew/alice", "mayor", env) == Actor("mayor", "--actor")
    assert acting_actor("checkout/crew/alice", None, env) == Actor("web/crew/bob", "BD_ACTOR")
    assert acting_actor("checkout/crew/alice", None, {}) == Actor("checkout/crew/alice", "config.toml")


def test_blank_is_unset_and_none_is_said_plainly() -> None:
    assert acting_actor("  ", "", {"BD_ACTOR": " "}) is None
    assert acting_actor(None, None, {}) is None
    hint = how_to_set("/home/me/.config/crossdeck/config.toml")
    assert "BD_ACTOR=" in hint and 'actor = "' in hint and "/home/me/.config/crossdeck/config.toml" in hint
