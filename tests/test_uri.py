from __future__ import annotations

import pytest

from core import uri
from core.uri import RefForm, RouteTable, find_refs, format_ref, parse

CANONICAL = [
    ("hop://steve@example.com/main-town/greenplace/gp-xyz", RefForm.HOP),
    ("hop://acme.com/projects/proj-123", RefForm.HOP),
    ("gt://steve@example.com/main-town/greenplace/gp-xyz", RefForm.GT),
    ("beads://github/acme/backend/ac-123", RefForm.BEADS),
    ("beads://local/beads/bd-0088", RefForm.BEADS),
    ("realm://aperture/payments/invoice-api", RefForm.REALM),
    ("realm://aperture/web/imports/invoice-api", RefForm.REALM),
    ("acme/api-service#i-042", RefForm.SUDOCODE),
    ("gp-xyz", RefForm.SHORT),
    ("hq-cv-abc", RefForm.SHORT),
    ("bd-44d0.1", RefForm.SHORT),
    ("greenplace/gp-xyz", RefForm.RIG_SHORT),
    ("./gp-xyz", RefForm.LOCAL_SHORT),
    ("external:AssetValuator:as-5cy", RefForm.EXTERNAL),
]


@pytest.mark.parametrize(("text", "form"), CANONICAL)
def test_every_canonical_form_round_trips(text: str, form: RefForm) -> None:
    ref = parse(text)
    assert ref.form is form
    assert format_ref(ref) == text


def test_parts_of_a_hop_uri() -> None:
    ref = parse("hop://steve@example.com/main-town/greenplace/gp-xyz")
    assert ref.segments == ("steve@example.com", "main-town", "greenplace")
    assert ref.id == "gp-xyz"


def test_gt_is_the_older_name_of_hop() -> None:
    assert uri.canonical(parse("gt://a@b.c/town/rig/x-1")) == "hop://a@b.c/town/rig/x-1"


def test_short_forms_have_no_canonical_key_without_routes() -> None:
    assert uri.canonical(parse("gp-xyz")) is None
    assert uri.canonical(parse("external:rig:gp-xyz")) is None


@pytest.mark.parametrize("bad", ["", "hello", "hop://only/two", "realm://r/d/x/c", "hop://a/b/c/d/e/f", "#x"])
def test_not_a_reference(bad: str) -> None:
    with pytest.raises(uri.RefError):
        parse(bad)
    assert uri.try_parse(bad) is None


def test_wiki_references_inside_text() -> None:
    text = "needs [[acme/api#i-042]] and [[globex/web#s-1]]; not [[server/plan.md]]"
    assert [str(r) for r in find_refs(text)] == ["acme/api#i-042", "globex/web#s-1"]


def test_bracketed_reference_parses_to_the_same_key() -> None:
    assert parse("[[acme/api#i-042]]") == parse("acme/api#i-042")


def test_longest_prefix_wins() -> None:
    routes = RouteTable([("hq-", "."), ("hq-cv-", "convoys"), ("gt-", "gastown/mayor/rig")])
    assert routes.path_for("hq-cv-123") == "convoys"
    assert routes.path_for("hq-123") == "."
    assert routes.path_for("gt-9") == "gastown/mayor/rig"
    assert routes.path_for("zz-1") is None
