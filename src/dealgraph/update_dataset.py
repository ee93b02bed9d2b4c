"""An update's dataset given by the request: the protocol's ``using-graph-uri`` and ``using-named-graph-uri``.

The SPARQL 1.1 Protocol (§2.2.3) lets a request name the RDF dataset of an update's
``WHERE`` clauses, exactly as if every operation that has one (``DELETE``/``INSERT …
WHERE`` and ``DELETE WHERE``) carried ``USING <g>`` / ``USING NAMED <g>``. The other
operations (``INSERT DATA``, ``DELETE DATA``, ``LOAD``, ``CLEAR``, ``DROP``, ``CREATE``,
``ADD``, ``MOVE``, ``COPY``) are unaffected, and an update that names a dataset of its own
(``USING``, ``USING NAMED``, ``WITH``) as well is an error (:class:`DatasetConflict`).

Oxigraph's ``Store.update`` takes no dataset, so the clauses are written into the text:
before the ``WHERE`` of each ``DELETE``/``INSERT`` operation, and ``DELETE WHERE { P }``
becomes ``DELETE { P } USING … WHERE { P }``, which SPARQL 1.1 Update (§3.1.3.3) says it
is short for. Strings, IRIs, comments and prefixed names may all hold a ``WHERE`` or a
brace, so the places are found in the text's tokens (:mod:`dealgraph.sparql_tokens`),
never by a pattern over the raw text.

Oxigraph stays the judge of syntax. The rewrite only inserts text, so a syntax error
Oxigraph finds in the rewritten update is moved back to where it is in the text the
client sent (:meth:`UpdateWithDataset.in_original`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from .sparql_tokens import Token, line_column, tokens

# ------------------------------------------------------------------ positions, as Oxigraph counts them


def _offset(text: str, line: int, column: int) -> int:
    """The offset of Oxigraph's *line* and *column* in *text*: :func:`line_column` the other way."""
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    return min(start + column - 1, len(text))


_ERROR_AT = re.compile(r"error at (\d+):(\d+)(?:-(\d+):(\d+))?")


# ------------------------------------------------------------------ the operations and their WHERE


class DatasetConflict(ValueError):
    """The request gives the dataset and the update names one too (``USING``, ``USING NAMED``, ``WITH``)."""


_OPERATIONS = {"INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"}


@dataclass
class _Operation:
    """One operation of an update, as far as its dataset goes."""

    #: The word it starts with: INSERT, DELETE, WITH, LOAD, …
    verb: Token | None = None
    #: "modify" (``DELETE``/``INSERT`` … ``WHERE``), "delete where", "data" or "other"; "" until known.
    form: str = ""
    #: The ``USING`` or ``WITH`` by which it names its own dataset.
    own_dataset: Token | None = None
    where: Token | None = None
    #: Where the group of a ``DELETE WHERE`` starts and ends.
    group: list[int] = field(default_factory=list)
    #: Whether that group has blank nodes (``_:b``, ``[]``, a collection), which ``DELETE WHERE`` may not.
    blank_nodes: bool = False
    _last: Token | None = None

    def read(self, token: Token) -> None:
        """Take the operation's next token."""
        if token.depth:
            if self.form == "delete where":
                self._look_for_blank_nodes(token)
        elif self.verb is None:
            if token.keyword in _OPERATIONS:
                self.verb = token
                self.form = {"INSERT": "", "DELETE": "", "WITH": "modify"}.get(token.keyword, "other")
                self.own_dataset = token if token.keyword == "WITH" else None
        elif not self.form:
            self.form = "data" if token.keyword == "DATA" else "modify"
            if token.keyword == "WHERE" and self.verb.keyword == "DELETE":
                self.form = "delete where"
        elif self.form == "modify":
            if token.keyword == "USING" and self.own_dataset is None:
                self.own_dataset = token
            elif token.keyword == "WHERE" and self.where is None:
                self.where = token
        elif self.form == "delete where" and token.kind in ("open", "close") and len(self.group) < 2:
            self.group.append(token.start if token.kind == "open" else token.end)

    def _look_for_blank_nodes(self, token: Token) -> None:
        if token.text.startswith("_:") or token.text == "[":
            self.blank_nodes = True
        elif self._last is not None and self._last.text == "(" and token.text != ")":
            self.blank_nodes = True
        self._last = token


def _operations(update: str) -> Iterator[_Operation]:
    operation = _Operation()
    for token in tokens(update):
        if token.text == ";" and not token.depth:
            yield operation
            operation = _Operation()
        else:
            operation.read(token)
    yield operation


# ------------------------------------------------------------------ the rewrite


@dataclass(frozen=True)
class _Insertion:
    """Text put into the client's update at offset *at*.

    An error Oxigraph finds inside it is reported at *reported_at* in the client's text,
    or, for a copy of the client's text (*copied_from* is where it starts), at the same
    place in what was copied.
    """

    at: int
    text: str
    reported_at: int
    copied_from: int | None = None


@dataclass(frozen=True)
class UpdateWithDataset:
    """The update to run (``text``) and how it was made from the client's (``original``)."""

    original: str
    text: str
    insertions: tuple[_Insertion, ...] = ()

    def in_original(self, message: str) -> str:
        """An Oxigraph error message about ``text``, with its positions moved to ``original``."""
        found = _ERROR_AT.match(message)
        if not found or not self.insertions:
            return message
        start, end = found.group(1, 2), found.group(3, 4)
        where = self._original_position(*start) + (f"-{self._original_position(*end)}" if end[0] else "")
        return f"error at {where}{message[found.end() :]}"

    def _original_position(self, line: str, column: str) -> str:
        """``LINE:COLUMN`` in ``original`` of ``LINE:COLUMN`` in ``text``."""
        return "{}:{}".format(*line_column(self.original, self._original_offset(int(line), int(column))))

    def _original_offset(self, line: int, column: int) -> int:
        offset = _offset(self.text, line, column)
        shift = 0
        for insertion in self.insertions:
            start = insertion.at + shift
            if offset < start:
                break
            if offset < start + len(insertion.text):
                if insertion.copied_from is None:
                    return insertion.reported_at
                return insertion.copied_from + offset - start
            shift += len(insertion.text)
        return offset - shift


def using_dataset(update: str, graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> UpdateWithDataset:
    """*update* with ``USING <g>`` for each of *graphs* and ``USING NAMED <g>`` for each of
    *named_graphs* in every operation that has a ``WHERE``; as it is when both are empty.

    The IRIs must be absolute (a ValueError otherwise): they are written into the text.
    Raises DatasetConflict when the update names its own dataset, and UnreadableSparql
    when its strings or brackets do not close. A ``DELETE WHERE`` with blank nodes is left
    as it is, for Oxigraph to refuse with its own message.
    """
    if not graphs and not named_graphs:
        return UpdateWithDataset(update, update)
    clauses = " ".join(
        [f"USING {ox.NamedNode(g)}" for g in graphs] + [f"USING NAMED {ox.NamedNode(g)}" for g in named_graphs]
    )
    insertions: list[_Insertion] = []
    for operation in _operations(update):
        if operation.own_dataset is not None:
            raise _conflict(update, operation.own_dataset)
        if operation.form == "modify" and operation.where is not None:
            where = operation.where.start
            insertions.append(_Insertion(where, clauses + " ", reported_at=where))
        elif operation.form == "delete where" and len(operation.group) == 2 and not operation.blank_nodes:
            insertions += _delete_where(update, operation.verb.end, *operation.group, clauses)
    return UpdateWithDataset(update, _inserted(update, insertions), tuple(insertions))


def _delete_where(update: str, after_delete: int, start: int, end: int, clauses: str) -> list[_Insertion]:
    """``DELETE WHERE { P }`` made ``DELETE { P } USING … WHERE { P }`` by what goes after ``DELETE``.

    *start* and *end* delimit ``{ P }``; *after_delete* is where the ``DELETE`` ends.
    """
    return [
        _Insertion(after_delete, " ", reported_at=after_delete),
        _Insertion(after_delete, update[start:end], reported_at=start, copied_from=start),
        _Insertion(after_delete, " " + clauses, reported_at=end),
    ]


def _conflict(update: str, clause: Token) -> DatasetConflict:
    line, column = line_column(update, clause.start)
    return DatasetConflict(
        f"the dataset is given twice: by using-graph-uri/using-named-graph-uri and by the {clause.keyword} "
        f"at line {line}, column {column} of the update; the SPARQL 1.1 Protocol (2.2.3) refuses such a "
        f"request: drop the parameters or the {clause.keyword} clause"
    )


def _inserted(update: str, insertions: list[_Insertion]) -> str:
    pieces, done = [], 0
    for insertion in insertions:
        pieces += [update[done : insertion.at], insertion.text]
        done = insertion.at
    pieces.append(update[done:])
    return "".join(pieces)
