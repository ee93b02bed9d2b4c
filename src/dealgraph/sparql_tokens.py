"""The tokens of a SPARQL query or update: what each piece of text is, where, and inside which brackets.

Strings, IRIs, comments and prefixed names may all hold a keyword, a variable or a brace,
so whoever looks for places in a query or update (the ``WHERE`` that takes an update's
dataset, the group that takes a saved query's ``VALUES``, the endpoint of a ``SERVICE``)
reads these tokens, never a pattern over the raw text. No library gives them: pyoxigraph
has no parser apart from ``Store.query``/``Store.update``, and rdflib's ``parseQuery``/
``parseUpdate`` keep no positions, refuse text that Oxigraph runs (``LATERAL``, RDF 1.2
triple terms, ``@en--ltr``) and took 9 s on a 600 kB update that Oxigraph parses in 0.07 s.

Oxigraph stays the judge of syntax: the tokens only have to agree with it on where each
string, IRI, comment and bracket starts and ends, and text where that cannot be known
(a string or a bracket that never closes) is :class:`UnreadableSparql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .store import QueryError


class UnreadableSparql(QueryError):
    """Text whose strings or brackets do not close, so no place in it can be trusted.

    The message has Oxigraph's shape (``error at LINE:COLUMN: …``) so that it is reported
    as Oxigraph's syntax errors are.
    """


@dataclass(frozen=True)
class Token:
    """A piece of SPARQL text outside comments: where it is and inside how many brackets."""

    kind: str  # "word" (variables included), "string", "iri", "open", "close" or "punct"
    text: str
    start: int
    #: Brackets of any kind around the token; an opening bracket and its closing one
    #: are at the depth of what surrounds them.
    depth: int
    #: Of those, the ``{}`` groups: what is outside every group (the query form, its
    #: modifiers, an update's operations) is at 0 whatever parentheses it is in.
    braces: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def keyword(self) -> str:
        """The word upper-cased when it is a bare word (``where``, not ``?where`` nor ``ex:where``)."""
        return self.text.upper() if self.kind == "word" and _BARE_WORD.fullmatch(self.text) else ""

    @property
    def variable(self) -> str:
        """The variable's name when the token is one (``x`` for ``?x`` and ``$x``), else ``""``."""
        return self.text[1:] if self.kind == "word" and self.text[0] in "?$" else ""


_SPACE = re.compile(r"(?:\s|#[^\n\r]*)+")
_STRING = re.compile(
    r"""'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*'
      | "(?:[^"\\\n\r]|\\.)*"
    """,
    re.VERBOSE | re.DOTALL,
)
#: SPARQL's IRIREF, with the ``\u``/``\U`` escapes Oxigraph also reads in an IRI.
_IRI = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
#: SPARQL's VAR1 and VAR2: a variable ends where its name does (``?o.`` is ``?o`` and ``.``).
_VARIABLE = re.compile(r"[?$][A-Za-z0-9_\u00B7\u00C0-\U000EFFFF]+")
#: Names, prefixed names (with their ``\``-escapes), numbers, language tags: a ``?`` or a
#: ``$`` ends one, so that ``?a-?b`` is ``?a``, ``-`` and ``?b``.
_WORD = re.compile(r"(?:[^\s{}()\[\];,<>\"'#^|*/+!=&~\\?$]|\\\S)+")
_BARE_WORD = re.compile(r"[A-Za-z_]+")
_CLOSING = {"{": "}", "(": ")", "[": "]"}


@dataclass
class _Bracket:
    """An open bracket, and what is written inside it."""

    token: Token
    #: "group" ``{}``, "expression" ``()`` (FILTER, BIND, calls, SELECT clauses),
    #: "terms" ``()`` (a collection, a path, a triple term) or "node" ``[]``.
    holds: str
    #: A group, or the text itself, that holds a SELECT: every ``(`` in it opens an expression.
    select: bool = False

    @property
    def braces(self) -> int:
        """The ``{}`` groups around what is written inside it, itself included."""
        return self.token.braces + (self.token.text == "{")


def tokens(text: str) -> Iterator[Token]:
    """The tokens of a SPARQL query or update, without spaces and comments.

    ``<`` starts an IRI except after an operand inside an expression, where it is the
    operator: ``FILTER(?a<'x>{')`` compares with a string holding a brace, as Oxigraph reads it.
    Raises UnreadableSparql, once the tokens before the problem are given, when a string
    or a bracket does not close.
    """
    open_brackets: list[_Bracket] = []
    # The text itself, as a group around everything: a query's SELECT clause is in it.
    outside = _Bracket(Token("open", "", 0, 0, 0), "group")
    previous: list[Token] = []
    position = 0
    while True:
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
        if position >= len(text):
            break
        around = open_brackets[-1] if open_brackets else outside
        kind, piece = _next_piece(text, position, around, previous)
        token = Token(kind, piece, position, *_depths(kind, around, len(open_brackets)))
        if token.kind == "open":
            open_brackets.append(_Bracket(token, _holds(token.text, around, previous)))
        elif token.kind == "close":
            _close(text, token, open_brackets)
        elif token.keyword == "SELECT" and around.holds == "group":
            around.select = True
        yield token
        previous = [*previous[-1:], token]
        position = token.end
    if open_brackets:
        opening = open_brackets[-1].token
        raise _unreadable(text, opening.start, f"{opening.text!r} is never closed")


def _next_piece(text: str, position: int, around: _Bracket, previous: list[Token]) -> tuple[str, str]:
    """The kind and the text of the token at *position*, inside the bracket *around*."""
    char = text[position]
    if char == "<" and around.holds == "expression" and _ends_operand(previous):
        return "punct", "<=" if text.startswith("<=", position) else "<"
    if char in "'\"":
        string = _STRING.match(text, position)
        if string is None:
            raise _unreadable(text, position, "a string that is never closed")
        return "string", string.group()
    if char == "<" and (iri := _IRI.match(text, position)):
        return "iri", iri.group()
    if char in _CLOSING:
        return "open", char
    if char in ")}]":
        return "close", char
    if char in "?$":
        variable = _VARIABLE.match(text, position)
        return ("word", variable.group()) if variable else ("punct", char)
    word = _WORD.match(text, position)
    if word:
        return "word", word.group()
    return "punct", char


def _depths(kind: str, around: _Bracket, depth: int) -> tuple[int, int]:
    """The depth and the brace depth of a new token inside *depth* brackets, the last *around*:
    a closing bracket's are those of its opening one."""
    if kind == "close":
        return around.token.depth, around.token.braces
    return depth, around.braces


def _holds(opening: str, around: _Bracket, previous: list[Token]) -> str:
    """What a new bracket inside *around* holds: only a ``(`` needs its context to tell."""
    if opening == "{":
        return "group"
    if opening == "[":
        return "node"
    if around.holds == "expression" or around.select:
        return "expression"
    if around.holds == "terms":
        return "terms"
    return "expression" if _calls(previous) else "terms"


def _calls(previous: list[Token]) -> bool:
    """True when a ``(`` after *previous* opens arguments or a constraint, not a collection or path.

    ``FILTER (``, ``BIND (``, ``REGEX (``, ``FILTER ex:f (``; but ``?s ex:p (1 2)``, ``?s a (1)``.
    """
    if not previous:
        return False
    last = previous[-1]
    if last.keyword and last.keyword not in ("A", "TRUE", "FALSE"):
        return True
    return last.kind in ("iri", "word") and len(previous) == 2 and previous[0].keyword == "FILTER"


def _ends_operand(previous: list[Token]) -> bool:
    """True when *previous* closes an operand, so that a ``<`` after it compares."""
    if not previous:
        return False
    last = previous[-1]
    if last.kind in ("string", "iri"):
        return True
    if last.kind == "close":
        return last.text == ")"
    if last.kind == "word":
        return last.keyword in ("TRUE", "FALSE") or (not last.keyword and any(c.isalnum() for c in last.text))
    return False


def _close(text: str, token: Token, open_brackets: list[_Bracket]) -> None:
    if not open_brackets:
        raise _unreadable(text, token.start, f"{token.text!r} closes nothing")
    opening = open_brackets.pop().token
    if _CLOSING[opening.text] != token.text:
        line, column = line_column(text, opening.start)
        raise _unreadable(
            text, token.start, f"{token.text!r} cannot close the {opening.text!r} at line {line}, column {column}"
        )


def _unreadable(text: str, offset: int, problem: str) -> UnreadableSparql:
    line, column = line_column(text, offset)
    return UnreadableSparql(f"error at {line}:{column}: {problem}")


def line_column(text: str, offset: int) -> tuple[int, int]:
    """Oxigraph's 1-based line (lines end at ``\\n``) and column (characters) of *offset*."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
