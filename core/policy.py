"""The small condition language of approval policies, parsed with a real grammar, never eval'd.

A condition such as ``trust_level === 'trusted' && priority >= 2`` or
``!labels.includes('breaking-change')`` is parsed once (cached by its text) into a small typed
tree, which is then evaluated against a context mapping of the names below. The language
(docs/formats.md, "sudocode repos"):

- literals: numbers (``2``, ``-1``, ``2.5``), ``'single'`` or ``"double"`` quoted strings with
  JavaScript's backslash escapes, ``true``, ``false``, ``null``;
- names: ``priority``, ``labels``, ``trust_level``, ``operation``, ``from_repo``, ``title``,
  ``type``, ``entity_type``, ``requester`` (a name missing from the context is ``null``);
- ``x.includes(y)`` on lists (membership) and strings (substring), ``x.length`` on both;
- ``!``, then ``<`` ``<=`` ``>`` ``>=``, then ``==`` ``===`` ``!=`` ``!==``, then ``&&``, then
  ``||`` (JavaScript's precedence), and parentheses.

Unlike JavaScript, nothing is coerced: ``==`` is ``===`` (``'2' == 2`` is false), and ordering a
string against a number, or anything against ``null``, is an error, as are ``.includes`` or
``.length`` on something other than a list or string. ``!``, ``&&`` and ``||`` use JavaScript's
truthiness (``0``, ``''``, ``null``, ``false`` are falsy) and short-circuit, so
``priority != null && priority >= 2`` is safe. Every error is a ``PolicyError`` whose message names
the rule; an error is never quietly False.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

NAMES = frozenset({"priority", "labels", "trust_level", "operation", "from_repo", "title", "type",
                   "entity_type", "requester"})
MAX_LENGTH = 4096  # characters of one condition
MAX_PARENS = 32  # parentheses nested in one condition (checked before parsing)
MAX_DEPTH = 64  # depth of the parsed tree (a chain of ``&&`` or ``||`` counts once)


class PolicyError(ValueError):
    """A condition that cannot be parsed or evaluated; ``str()`` names the rule and the column."""

    def __init__(self, message: str, column: int | None = None, rule: str | None = None):
        self.message, self.column, self.rule = message, column, rule
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{rule}: {message}{where}" if rule else f"{message}{where}")

    def for_rule(self, rule: str) -> PolicyError:
        return PolicyError(self.message, self.column, rule)


# The tree. ``column`` is where the node starts (1-based), for error messages.

@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    column: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    column: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    column: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == === != !== < <= > >=
    left: Expr
    right: Expr
    column: int  # of the operator
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # && or ||
    operands: tuple[Expr, ...]  # a chain ``a && b && c`` is one node
    column: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Length:
    target: Expr
    column: int  # of ``.length``
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Includes:
    target: Expr
    argument: Expr
    column: int  # of ``.includes``
    depth: int = 1


Expr = Union[Literal, Name, Not, Compare, Logical, Length, Includes]

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "||" and_expr -> logical_or
?and_expr: eq_expr | and_expr "&&" eq_expr -> logical_and
?eq_expr: cmp_expr | eq_expr EQ_OP cmp_expr -> compare
?cmp_expr: unary | cmp_expr CMP_OP unary -> compare
?unary: postfix | BANG unary -> negate
?postfix: atom | postfix PROPERTY -> member | postfix PROPERTY "(" [arguments] ")" -> call
arguments: or_expr ("," or_expr)*
?atom: NUMBER -> number | STRING -> string | TRUE -> true | FALSE -> false | NULL -> null
     | NAME -> name | "(" or_expr ")"
TRUE: "true"
FALSE: "false"
NULL: "null"
BANG: "!"
EQ_OP: "===" | "!==" | "==" | "!="
CMP_OP: "<=" | ">=" | "<" | ">"
PROPERTY: /\.[ \t]*[A-Za-z_$][A-Za-z0-9_$]*/
NAME: /[A-Za-z_$][A-Za-z0-9_$]*/
NUMBER: /-?\d+(\.\d+)?([eE][+-]?\d+)?/
STRING: /'(?:[^'\\\n]|\\.)*'/ | /"(?:[^"\\\n]|\\.)*"/
%ignore /[ \t\r\n]+/
"""
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _deeper(*children: Expr) -> int:
    depth = 1 + max(child.depth for child in children)
    if depth > MAX_DEPTH:
        raise PolicyError(f"condition nested too deeply (more than {MAX_DEPTH} levels)", children[0].column)
    return depth


def _unquote(text: str, column: int) -> str:
    """A string literal's value: JavaScript's escapes; an unknown escape is the character itself."""

    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in ("u", "x"):
            raise PolicyError(f"bad escape '\\{code}' in a string (\\{code} takes hex digits)", column)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(escape, text[1:-1])


def _build() -> Any:
    from lark import Lark, Token, Transformer, v_args

    @v_args(inline=True)
    class Build(Transformer):  # type: ignore[type-arg]
        """Called by the LALR parser on each reduction: builds the tree bottom-up, no recursion."""

        def number(self, tok: Token) -> Literal:
            value = float(tok) if any(c in tok for c in ".eE") else int(tok)
            return Literal(value, tok.column)

        def string(self, tok: Token) -> Literal:
            return Literal(_unquote(str(tok), tok.column), tok.column)

        def true(self, tok: Token) -> Literal:
            return Literal(True, tok.column)

        def false(self, tok: Token) -> Literal:
            return Literal(False, tok.column)

        def null(self, tok: Token) -> Literal:
            return Literal(None, tok.column)

        def name(self, tok: Token) -> Name:
            return Name(str(tok), tok.column)

        def negate(self, bang: Token, operand: Expr) -> Not:
            return Not(operand, bang.column, _deeper(operand))

        def compare(self, left: Expr, op: Token, right: Expr) -> Compare:
            return Compare(str(op), left, right, op.column, _deeper(left, right))

        def logical_and(self, left: Expr, right: Expr) -> Logical:
            return _chain("&&", left, right)

        def logical_or(self, left: Expr, right: Expr) -> Logical:
            return _chain("||", left, right)

        def member(self, target: Expr, prop: Token) -> Length:
            name = _property(prop)
            if name == "length":
                return Length(target, prop.column, _deeper(target))
            if name == "includes":
                raise PolicyError("'includes' is a method: call it as .includes(x)", prop.column)
            raise PolicyError(f"unknown property '.{name}' (only .length and .includes(x))", prop.column)

        def call(self, target: Expr, prop: Token, arguments: list[Expr] | None) -> Includes:
            name = _property(prop)
            if name == "length":
                raise PolicyError("'length' is a property, not a method: write .length", prop.column)
            if name != "includes":
                raise PolicyError(f"unknown method '.{name}()' (only .includes(x) and .length)", prop.column)
            if arguments is None or len(arguments) != 1:
                raise PolicyError(f".includes takes one argument, not {len(arguments or ())}", prop.column)
            return Includes(target, arguments[0], prop.column, _deeper(target, arguments[0]))

        def arguments(self, *items: Expr) -> list[Expr]:
            return list(items)

    def check_name(tok: Token) -> Token:
        if tok.value not in NAMES:
            close = difflib.get_close_matches(tok.value, sorted(NAMES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(NAMES))})"
            raise PolicyError(f"unknown name '{tok.value}'{hint}", tok.column)
        return tok

    return Lark(_GRAMMAR, parser="lalr", transformer=Build(), lexer_callbacks={"NAME": check_name})


def _property(tok: Any) -> str:
    return str(tok)[1:].strip()


def _chain(op: str, left: Expr, right: Expr) -> Logical:
    if isinstance(left, Logical) and left.op == op:  # a && b && c: one node, however long
        return Logical(op, (*left.operands, right), left.column, max(left.depth, _deeper(right)))
    return Logical(op, (left, right), left.column, _deeper(left, right))


_parser = functools.cache(_build)


def _check_shape(text: str) -> None:
    """Refuse, before parsing, what no policy needs: deep parentheses, very long text."""
    depth, quote, escaped = 0, "", False
    for column, char in enumerate(text, 1):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            if depth > MAX_PARENS:
                raise PolicyError(f"parentheses nested too deeply (more than {MAX_PARENS})", column)
        elif char == ")":
            depth -= 1
    if len(text) > MAX_LENGTH:
        raise PolicyError(f"condition too long ({len(text)} characters, at most {MAX_LENGTH})")
    if not text.strip():
        raise PolicyError("empty condition")


def _parse_text(text: str) -> Expr | PolicyError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    try:
        _check_shape(text)
        return _parser().parse(text)  # type: ignore[no-any-return]
    except PolicyError as exc:
        return exc
    except UnexpectedCharacters as exc:
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        what = "unterminated string" if char in "'\"" else f"unexpected character {char!r}"
        return PolicyError(what, exc.column)
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            return PolicyError("unexpected end of condition", len(text) + 1)
        return PolicyError(f"unexpected {str(exc.token)!r}", exc.column)
    except UnexpectedEOF:
        return PolicyError("unexpected end of condition", len(text) + 1)


_parse_cached = functools.lru_cache(maxsize=4096)(_parse_text)


def parse(text: str, rule: str = "condition") -> Expr:
    """The tree of ``text``; a ``PolicyError`` naming ``rule`` when it is not a valid condition."""
    if not isinstance(text, str):
        raise PolicyError(f"a condition should be a string, not {_type_name(text)}", rule=rule)
    # Only texts short enough to be conditions are cached: a 100 kB one is refused, not kept.
    result = _parse_cached(text) if len(text) <= MAX_LENGTH else _parse_text(text)
    if isinstance(result, PolicyError):
        raise result.for_rule(rule)
    return result


def rule_conditions(entries: Any, path: str, keys: list[str | int]) -> list[tuple[str, list[str | int], Any]]:
    """The conditions of a policy list as configured, ``[{"condition": ...}, ...]`` or
    ``["...", ...]``: for each, its rule path (``...auto_approve[0]``), the keys of its value in the
    config file (for the line) and the condition (whatever stood there: a malformed one fails)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [(path, keys, entries)]
    return [(f"{path}[{i}]", [*keys, i, "condition"], e.get("condition")) if isinstance(e, dict)
            else (f"{path}[{i}]", [*keys, i], e) for i, e in enumerate(entries)]


def rule_notify(entries: Any, index: int) -> list[str]:
    """The ``notify`` targets of entry ``index`` of a policy list (``["@team-leads"]``), as strings."""
    entry = entries[index] if isinstance(entries, list) and 0 <= index < len(entries) else None
    targets = entry.get("notify") if isinstance(entry, dict) else None
    return [str(t) for t in targets] if isinstance(targets, list) else []


def holds(text: str, context: Mapping[str, Any], rule: str = "condition") -> bool:
    """Whether the condition ``text`` is true (truthy) in ``context``; errors name ``rule``."""
    expr = parse(text, rule)
    try:
        return _truthy(evaluate(expr, context))
    except PolicyError as exc:
        raise exc.for_rule(rule) from None


def evaluate(expr: Expr, context: Mapping[str, Any]) -> Any:
    """The value of ``expr`` in ``context`` (JavaScript's values: numbers, strings, lists, ...)."""
    return _EVAL[type(expr)](expr, context)


def _truthy(value: Any) -> bool:
    if isinstance(value, list):
        return True  # as in JavaScript, an empty list is truthy
    return bool(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    return bool(left == right)


def _eval_compare(expr: Compare, context: Mapping[str, Any]) -> bool:
    left, right = evaluate(expr.left, context), evaluate(expr.right, context)
    if expr.op in ("==", "==="):
        return _equal(left, right)
    if expr.op in ("!=", "!=="):
        return not _equal(left, right)
    comparable = (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))
    if not comparable:
        raise PolicyError(f"cannot order {_type_name(left)} and {_type_name(right)} with '{expr.op}'", expr.column)
    return bool(_ORDER[expr.op](left, right))


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _eval_logical(expr: Logical, context: Mapping[str, Any]) -> Any:
    value: Any = None
    for operand in expr.operands:
        value = evaluate(operand, context)
        if _truthy(value) == (expr.op == "||"):
            return value  # short-circuit, returning the operand as JavaScript does
    return value


def _eval_length(expr: Length, context: Mapping[str, Any]) -> int:
    target = evaluate(expr.target, context)
    if not isinstance(target, (list, str)):
        raise PolicyError(f".length of {_type_name(target)} (only lists and strings have one)", expr.column)
    return len(target)


def _eval_includes(expr: Includes, context: Mapping[str, Any]) -> bool:
    target, argument = evaluate(expr.target, context), evaluate(expr.argument, context)
    if isinstance(target, list):
        return any(_equal(item, argument) for item in target)
    if isinstance(target, str):
        if not isinstance(argument, str):
            raise PolicyError(f".includes on a string takes a string, not {_type_name(argument)}", expr.column)
        return argument in target
    raise PolicyError(f".includes on {_type_name(target)} (only lists and strings)", expr.column)


_EVAL: dict[type, Callable[[Any, Mapping[str, Any]], Any]] = {
    Literal: lambda e, ctx: e.value,
    Name: lambda e, ctx: ctx.get(e.name),
    Not: lambda e, ctx: not _truthy(evaluate(e.operand, ctx)),
    Compare: _eval_compare,
    Logical: _eval_logical,
    Length: _eval_length,
    Includes: _eval_includes,
}
