"""The condition language of approval policies: what a policy author writes and what it means."""

from __future__ import annotations

import time
from typing import Any

import pytest

from core.policy import MAX_LENGTH, Includes, Literal, Logical, Name, Not, PolicyError, holds, parse

RULE = "policies.incoming_requests.mutate.auto_approve[1]"
CONTEXT: dict[str, Any] = {
    "priority": 2, "labels": ["api", "frontend-request"], "trust_level": "trusted", "operation": "create_issue",
    "from_repo": "github.com/acme-dev/frontend", "title": "Add avatar upload endpoint", "type": "feature",
    "entity_type": "issue", "requester": "claude-code-agent",
}


def check(condition: str, **changes: Any) -> bool:
    return holds(condition, {**CONTEXT, **changes}, RULE)


def error(condition: str, **changes: Any) -> str:
    with pytest.raises(PolicyError) as caught:
        check(condition, **changes)
    return str(caught.value)


# -- the examples of the formats README ------------------------------------------------------

@pytest.mark.parametrize(("priority", "expected"), [(1, False), (2, True), (4, True)])
def test_priority_at_least(priority: int, expected: bool) -> None:
    assert check("priority >= 2", priority=priority) is expected


def test_not_includes_label() -> None:
    assert check("!labels.includes('breaking-change')") is True
    assert check("!labels.includes('breaking-change')", labels=["api", "breaking-change"]) is False


def test_trusted_and_priority() -> None:
    condition = "trust_level === 'trusted' && priority >= 2"
    assert check(condition) is True
    assert check(condition, trust_level="verified") is False
    assert check(condition, priority=1) is False


def test_every_name_can_be_used() -> None:
    assert check("operation == 'create_issue' && entity_type == 'issue' && type == 'feature'")
    assert check("from_repo.includes('acme-dev') && requester === 'claude-code-agent'")
    assert check("title.includes('avatar')") and not check("title.includes('Avatar upload!')")


# -- precedence ------------------------------------------------------------------------------

def test_and_binds_tighter_than_or() -> None:
    # a || b && c is a || (b && c): true when a alone is true
    assert check("priority == 2 || priority == 9 && false") is True
    assert check("(priority == 2 || priority == 9) && false") is False
    tree = parse("priority == 1 || priority == 2 && priority == 3")
    assert isinstance(tree, Logical) and tree.op == "||"
    assert isinstance(tree.operands[1], Logical) and tree.operands[1].op == "&&"


def test_not_binds_tighter_than_equality() -> None:
    # !x == y is (!x) == y, as in JavaScript
    assert check("!priority == false") is True  # (!2) == false
    assert check("!(priority == false)") is True
    assert check("!labels.includes('api') == false") is True
    tree = parse("!priority == false")
    assert isinstance(tree.left, Not)  # type: ignore[union-attr]


def test_comparison_binds_tighter_than_equality() -> None:
    assert check("priority > 1 == true") is True  # (priority > 1) == true
    assert check("true == priority > 1") is True


def test_or_short_circuits_past_an_error() -> None:
    assert check("priority != null && priority >= 2", priority=None) is False
    assert check("priority == null || priority >= 2", priority=None) is True


def test_long_chains_are_one_node() -> None:
    tree = parse(" || ".join(f"labels.includes('l{i}')" for i in range(150)))
    assert isinstance(tree, Logical) and len(tree.operands) == 150
    assert check(" || ".join(f"labels.includes('l{i}')" for i in range(150)), labels=["l149"]) is True


# -- literals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "value"), [
    (r"'it\'s'", "it's"),
    (r'"a\"b"', 'a"b'),
    (r"'back\\slash'", "back\\slash"),
    (r"'tab\there'", "tab\there"),
    (r"'\u0041\x42'", "AB"),
    (r"'\q'", "q"),  # an unknown escape is the character, as in JavaScript
    ('"single \' inside"', "single ' inside"),
    ("2.5", 2.5),
    ("-1", -1),
    ("true", True),
    ("null", None),
])
def test_literals(source: str, value: Any) -> None:
    tree = parse(source)
    assert isinstance(tree, Literal) and tree.value == value


def test_a_quote_in_a_title() -> None:
    assert check(r"title == 'it\'s done'", title="it's done")
    assert check(r'title.includes("say \"hi\"")', title='we say "hi" here')


def test_length_on_lists_and_strings() -> None:
    assert check("labels.length == 2") and check("labels.length > 1")
    assert check("title.length == 26")
    assert check("labels.length == 0", labels=[])
    assert check("'it\\'s'.length === 4")


def test_null_comparisons() -> None:
    assert check("priority == null", priority=None) and check("priority === null", priority=None)
    assert not check("priority == null") and check("priority != null") and check("priority !== null")
    assert check("type == null", type=None) and not check("type == null")
    assert check("null == null")


def test_a_name_missing_from_the_context_is_null() -> None:
    assert holds("priority == null && labels == null", {}, RULE) is True


def test_no_coercion() -> None:
    assert check("priority == '2'") is False and check("priority != '2'") is True
    assert check("priority == 2.0") is True
    assert check("true == 1") is False


def test_strings_order_alphabetically() -> None:
    assert check("trust_level > 'tr'") and check("'a' < 'b'")


def test_truthiness_as_in_javascript() -> None:
    assert check("!priority", priority=0) and check("!title", title="") and check("!type", type=None)
    assert not check("!labels", labels=[])  # an empty list is truthy
    assert check("priority && labels.length") is True
    assert check("priority || false", priority=0) is False


# -- errors name the rule --------------------------------------------------------------------

def test_unknown_name_names_the_rule_and_the_column() -> None:
    message = error("prioritty >= 2")
    assert message.startswith(f"{RULE}: unknown name 'prioritty'")
    assert "did you mean 'priority'" in message and message.endswith("at column 1")
    assert error("priority >= 2 && lables.includes('x')").endswith("at column 18")


@pytest.mark.parametrize(("condition", "expected"), [
    ("priority >=", "unexpected end of condition at column 12"),
    ("priority >= >= 2", "unexpected '>=' at column 13"),
    ("priority = 2", "unexpected character '=' at column 10"),
    ("'open", "unterminated string at column 1"),
    ("labels.includes('a' 'b')", "unexpected"),
    ("priority >= 2 ||| true", "unexpected character '|'"),
    ("", "empty condition"),
    ("labels.sort()", "unknown method '.sort()'"),
    ("labels.size", "unknown property '.size'"),
    ("labels.includes", "'includes' is a method"),
    ("labels.length()", "'length' is a property"),
    ("labels.includes('a', 'b')", ".includes takes one argument, not 2"),
    ("labels.includes()", ".includes takes one argument, not 0"),
    (r"'\u12'", "bad escape"),
])
def test_syntax_errors(condition: str, expected: str) -> None:
    message = error(condition)
    assert message.startswith(f"{RULE}: ") and expected in message


@pytest.mark.parametrize(("condition", "expected"), [
    ("priority.includes(2)", ".includes on a number (only lists and strings) at column 9"),
    ("priority.length > 0", ".length of a number"),
    ("title.includes(2)", ".includes on a string takes a string, not a number"),
    ("priority >= 2", "cannot order null and a number with '>='"),
    ("title < 3", "cannot order a string and a number with '<'"),
    ("labels > 1", "cannot order a list and a number"),
    ("true < false", "cannot order a boolean and a boolean"),
])
def test_type_errors_at_evaluation_are_errors_not_false(condition: str, expected: str) -> None:
    message = error(condition, priority=None) if "priority >=" in condition else error(condition)
    assert message.startswith(f"{RULE}: ") and expected in message


def test_a_condition_that_is_not_text() -> None:
    with pytest.raises(PolicyError, match=r"^rule\[0\]: a condition should be a string, not a number$"):
        holds(3, CONTEXT, "rule[0]")  # type: ignore[arg-type]


def test_the_same_text_in_two_rules_names_each_rule() -> None:
    with pytest.raises(PolicyError, match=r"^first: "):
        holds("nope", CONTEXT, "first")
    with pytest.raises(PolicyError, match=r"^second: "):
        holds("nope", CONTEXT, "second")


# -- hostile input ---------------------------------------------------------------------------

def refused_quickly(condition: str) -> str:
    start = time.perf_counter()
    message = error(condition)
    assert time.perf_counter() - start < 0.5
    return message


def test_python_code_is_not_run(tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    message = refused_quickly(f"__import__('os').system('touch {marker}')")
    assert "unknown name '__import__'" in message
    assert not marker.exists()
    assert "unknown name 'open'" in refused_quickly("open('/etc/passwd').read()")
    assert "unknown property '.__class__'" in refused_quickly("labels.__class__")


def test_a_100_kb_expression_is_refused() -> None:
    message = refused_quickly("priority >= 2 || " * 6000 + "true")
    assert f"at most {MAX_LENGTH}" in message and message.startswith(RULE)


def test_10000_nested_parentheses_are_refused_before_parsing() -> None:
    message = refused_quickly("(" * 10_000 + "true" + ")" * 10_000)
    assert "parentheses nested too deeply" in message


def test_parentheses_inside_strings_do_not_count() -> None:
    assert check("title.includes('" + "(" * 100 + "')", title="(" * 100)


def test_deep_negation_is_refused_without_a_recursion_error() -> None:
    assert "nested too deeply" in refused_quickly("!" * 4000 + "true")


def test_parsing_is_cached_by_text() -> None:
    assert parse("priority >= 2 && labels.length > 0") is parse("priority >= 2 && labels.length > 0")
    tree = parse("labels.includes(title)")
    assert isinstance(tree, Includes) and isinstance(tree.argument, Name)
