"""The dataset of an update's WHERE clauses given as using-graph-uri / using-named-graph-uri
(dealgraph.update_dataset): the text it writes, and what that text does on a pyoxigraph Store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from dealgraph.sparql_tokens import UnreadableSparql
from dealgraph.update_dataset import DatasetConflict, using_dataset

G1, G2, OUT = "http://example.org/g1", "http://example.org/g2", "http://example.org/out"
USING_G1 = f"USING <{G1}>"


def store() -> ox.Store:
    """A triple in the default graph and one in each of two named graphs."""
    p = ox.NamedNode("http://example.org/p")
    data = ox.Store()
    data.add(ox.Quad(ox.NamedNode("http://example.org/d"), p, ox.Literal("default"), ox.DefaultGraph()))
    data.add(ox.Quad(ox.NamedNode("http://example.org/a"), p, ox.Literal("in g1"), ox.NamedNode(G1)))
    data.add(ox.Quad(ox.NamedNode("http://example.org/b"), p, ox.Literal("in g2"), ox.NamedNode(G2)))
    return data


def run(update: str, graphs=(), named_graphs=(), on: ox.Store | None = None) -> ox.Store:
    data = store() if on is None else on
    data.update(using_dataset(update, graphs, named_graphs).text)
    return data


def objects(data: ox.Store, graph: str | None = OUT) -> set[str]:
    name = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    return {q.object.value for q in data.quads_for_pattern(None, None, None, name)}


COPY = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
COPY_NAMED = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"


def test_using_goes_before_the_where_of_an_insert_where():
    assert using_dataset(COPY, [G1], [G2]).text == (
        f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} USING <{G1}> USING NAMED <{G2}> WHERE {{ ?s ?p ?o }}"
    )


def test_using_graphs_make_the_where_read_only_those_graphs():
    assert objects(run(COPY)) == {"default"}
    assert objects(run(COPY, [G1])) == {"in g1"}
    assert objects(run(COPY, [G1, G2])) == {"in g1", "in g2"}
    assert objects(run(COPY_NAMED, named_graphs=[G2])) == {"in g2"}
    assert objects(run(COPY_NAMED)) == {"in g1", "in g2"}


def test_named_graphs_alone_leave_the_where_an_empty_default_graph():
    assert objects(run(COPY, named_graphs=[G2])) == set()


def test_where_and_braces_in_strings_iris_comments_and_names_are_not_the_where():
    update = f"""PREFIX where: <http://example.org/where#> PREFIX ex: <http://example.org/>
INSERT {{ GRAPH <{OUT}> {{
  ?s where:WHERE "WHERE {{ \\" }}" , 'WHERE }} \\' {{' , '''it's }} WHERE''' , \"\"\"a ""quoted"" {{ WHERE\"\"\" .
  ?s <http://example.org/WHERE#frag> ?where .  # WHERE {{ in a comment
  ?s <http://example.org/\\u0041#WHERE> ex:it\\'s
}} }}
WHERE {{ ?s ?p ?o OPTIONAL {{ ?s <http://example.org/none> ?where }} }}"""
    sent = using_dataset(update, [G1])
    assert sent.text == update.replace("\nWHERE {", f"\n{USING_G1} WHERE {{")
    assert sorted(objects(run(update, [G1]))) == [
        'WHERE { " }',
        "WHERE } ' {",
        'a ""quoted"" { WHERE',
        "http://example.org/it's",
        "it's } WHERE",
    ]


def test_a_less_than_in_an_expression_is_not_an_iri():
    """``<'x>{'`` looks like an IRI; after an operand in a FILTER it is a comparison with a string."""
    update = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o FILTER(?o<'x>{{') }} ; {COPY}"
    sent = using_dataset(update, [G2])
    assert sent.text.count(f"USING <{G2}> WHERE") == 2
    assert objects(run(update, [G2])) == {"in g2"}


def test_a_where_inside_a_group_is_not_the_operations_where():
    update = (
        f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }}\n"
        'WHERE { { SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(STR(?o) < "z") } } }'
    )
    assert using_dataset(update, [G1]).text == update.replace("\nWHERE { {", f"\n{USING_G1} WHERE {{ {{")
    assert objects(run(update, [G1])) == {"in g1"}


def test_each_operation_with_a_where_gets_the_dataset_and_the_others_are_untouched():
    update = f"""PREFIX ex: <http://example.org/>
INSERT DATA {{ GRAPH <{G1}> {{ ex:c ex:p "added" }} }} ;
DELETE {{ ?s ?p ?o }} INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p "default" }} ;
CLEAR SILENT GRAPH ex:nothing ;
INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"""
    sent = using_dataset(update, [G1])
    assert sent.text == update.replace("} WHERE", f"}} {USING_G1} WHERE")
    assert sent.text.count(USING_G1) == 2
    data = run(update, [G1])
    assert objects(data) == {"in g1", "added"}  # the first WHERE found no "default" in g1
    assert objects(data, None) == {"default"}


def test_delete_where_becomes_delete_using_where():
    update = "DELETE WHERE { ?s <http://example.org/p> ?o }"
    assert using_dataset(update, [G1]).text == (
        f"DELETE {{ ?s <http://example.org/p> ?o }} {USING_G1} WHERE {{ ?s <http://example.org/p> ?o }}"
    )
    data = store()
    data.add(
        ox.Quad(
            ox.NamedNode("http://example.org/a"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal("in g1"),
            ox.DefaultGraph(),
        )
    )
    run(update, [G1], on=data)
    assert objects(data, None) == {"default"}  # only what g1 matched was deleted (from the default graph)
    assert objects(data, G1) == {"in g1"}
    assert objects(run(update), None) == set()


@pytest.mark.parametrize(
    "update",
    [
        'INSERT DATA { <http://example.org/x> <http://example.org/p> "WHERE" }',
        'DELETE DATA { <http://example.org/x> <http://example.org/p> "WHERE" }',
        "LOAD SILENT <http://example.org/nothing> INTO GRAPH <http://example.org/where>",
        "CLEAR DEFAULT ; DROP SILENT GRAPH <http://example.org/where> ; CREATE SILENT GRAPH <http://example.org/n>",
        f"ADD <{G1}> TO <{OUT}> ; MOVE SILENT <{G2}> TO DEFAULT ; COPY DEFAULT TO <{G1}>",
    ],
)
def test_operations_without_a_where_are_untouched(update):
    sent = using_dataset(update, [G1], [G2])
    assert sent.text == update and not sent.insertions


def test_without_parameters_the_update_is_as_sent_even_unreadable():
    for update in (COPY, 'INSERT DATA { <a> <b> "never closed }'):
        assert using_dataset(update).text == update


@pytest.mark.parametrize(
    "update, clause",
    [
        (f"WITH <{G1}>\nDELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", "WITH at line 1, column 1"),
        (f"INSERT DATA {{ <a:b> <a:c> <a:d> }} ;\n{COPY.replace('WHERE', f'USING <{G2}> WHERE')}", "USING at line 2"),
        (COPY.replace("WHERE", f"using named <{G2}> WHERE"), "USING at line 1, column 56"),
    ],
)
def test_an_update_that_names_its_own_dataset_conflicts(update, clause):
    with pytest.raises(DatasetConflict, match=clause):
        using_dataset(update, [G1])
    assert using_dataset(update).text == update  # without parameters it runs as written


def test_graph_iris_must_be_absolute():
    for iri in ("relative", "http://example.org/a>b", "http://example.org/a b"):
        with pytest.raises(ValueError):
            using_dataset(COPY, [iri])


@pytest.mark.parametrize(
    "update",
    [
        "INSERT { ?s ?p ?o } WHERE { ?s ?p }",
        "INSERT DATA { <http://a> <http://b> <http://c> } ;\nINSERT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o = ) }",
        "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o } ;\nCLEAR XYZ",
        "INSERT { ?s ?p ?o } WHERE { ?s nope:p ?o }",
        "DELETE WHERE { _:b <http://example.org/p> ?o }",
    ],
)
def test_syntax_errors_are_where_the_client_wrote_them(update):
    with pytest.raises(SyntaxError) as as_sent:
        ox.Store().update(update)
    sent = using_dataset(update, [G1])
    with pytest.raises(SyntaxError) as rewritten:
        ox.Store().update(sent.text)
    assert sent.in_original(str(rewritten.value)) == str(as_sent.value)


def test_an_error_in_a_copied_delete_where_group_is_placed_in_the_group():
    update = "DELETE WHERE {\n  ?s ?p ?o ?x\n}"
    sent = using_dataset(update, [G1])
    with pytest.raises(SyntaxError) as rewritten:
        ox.Store().update(sent.text)
    assert sent.in_original(str(rewritten.value)).startswith("error at 3:")


@pytest.mark.parametrize(
    "update, where",
    [
        ('INSERT { ?s ?p ?o }\nWHERE {\n  ?s ?p "never closed\n}', "error at 3:9: a string that is never closed"),
        ("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o ", "error at 1:27: '{' is never closed"),
        ("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o ) }", "error at 1:38: ')' cannot close the '{' at line 1, column 27"),
        ("INSERT { ?s ?p ?o } } WHERE { ?s ?p ?o }", "error at 1:21: '}' closes nothing"),
    ],
)
def test_strings_and_brackets_that_do_not_close_are_reported_with_their_place(update, where):
    with pytest.raises(UnreadableSparql) as error:
        using_dataset(update, [G1])
    assert str(error.value) == where
