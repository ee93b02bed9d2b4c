"""The tokens of a SPARQL query or update (dealgraph.sparql_tokens): what the update's dataset,
the saved queries' parameters and the SERVICE check all read a text by."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from dealgraph.sparql_tokens import UnreadableSparql, tokens
from dealgraph.store import QueryError


def pieces(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text)]


def test_a_less_than_after_an_operand_in_an_expression_compares_and_elsewhere_starts_an_iri():
    query = "SELECT * WHERE { ?s <urn:p> ?o FILTER(?o<'x>{') FILTER(?o <= <urn:x>) }"
    assert pieces(query)[7:] == [
        ("word", "FILTER"),
        ("open", "("),
        ("word", "?o"),
        ("punct", "<"),
        ("string", "'x>{'"),
        ("close", ")"),
        ("word", "FILTER"),
        ("open", "("),
        ("word", "?o"),
        ("punct", "<="),
        ("iri", "<urn:x>"),
        ("close", ")"),
        ("close", "}"),
    ]
    assert pieces(query)[5] == ("iri", "<urn:p>")
    selecting = "SELECT ?s (?o<'x>{' AS ?low) WHERE { ?s <urn:p> ?o }"
    assert pieces(selecting)[3:6] == [("word", "?o"), ("punct", "<"), ("string", "'x>{'")]
    for text in (query, selecting):
        ox.Store().query(text)  # which Oxigraph reads so too


def test_strings_comments_and_iris_hold_no_brace_keyword_or_variable():
    query = (
        "SELECT ?s # it's a { and a SERVICE <urn:x> ?hidden\n"
        "WHERE { ?s <urn:p#frag> \"{ ?quoted }\" , '''}''' , \"\"\"a \"\"quoted\"\" }\"\"\" }"
    )
    found = list(tokens(query))
    assert [t.variable for t in found if t.variable] == ["s", "s"]
    assert [t.text for t in found if t.kind in ("open", "close")] == ["{", "}"]
    assert [t.keyword for t in found if t.keyword] == ["SELECT", "WHERE"]


def test_a_variable_ends_where_its_name_does():
    query = "SELECT ($a-?b AS ?c) WHERE { ?s ex:p? ?o. ?o ex:q ?_x}"
    assert [t.variable for t in tokens(query) if t.variable] == ["a", "b", "c", "s", "o", "o", "_x"]


def test_depth_counts_every_bracket_and_braces_only_the_groups():
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p [ ?q ?o ] } ORDER BY DESC(?n)"
    assert [(t.text, t.depth, t.braces) for t in tokens(query) if t.kind == "word"] == [
        ("SELECT", 0, 0),
        ("COUNT", 1, 0),
        ("AS", 1, 0),
        ("?n", 1, 0),
        ("WHERE", 0, 0),
        ("?s", 1, 1),
        ("?p", 1, 1),
        ("?q", 2, 1),
        ("?o", 2, 1),
        ("ORDER", 0, 0),
        ("BY", 0, 0),
        ("DESC", 0, 0),
        ("?n", 1, 0),
    ]
    brackets = [(t.text, t.depth, t.braces) for t in tokens(query) if t.kind in ("open", "close")]
    assert brackets[4:8] == [("{", 0, 0), ("[", 1, 1), ("]", 1, 1), ("}", 0, 0)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("SELECT * WHERE { ?s ?p 'never closed }", "error at 1:24: a string that is never closed"),
        ("SELECT * WHERE {\n ?s ?p ?o ", "error at 1:16: '{' is never closed"),
        ("SELECT * WHERE { ?s ?p (?o }", "error at 1:28: '}' cannot close the '(' at line 1, column 24"),
        ("SELECT * WHERE { } }", "error at 1:20: '}' closes nothing"),
    ],
)
def test_a_string_or_a_bracket_that_does_not_close_is_a_query_error_with_its_place(text, message):
    with pytest.raises(UnreadableSparql, match=re.escape(message)) as raised:
        list(tokens(text))
    assert isinstance(raised.value, QueryError)
