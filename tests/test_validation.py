"""`dealgraph validate`: the shipped data passes; broken copies fail with a clear message."""

import shutil
import subprocess
import sys

import pytest
from pyshacl import validate as shacl_validate
from rdflib import OWL, RDF, XSD, Graph, Literal, Namespace, URIRef

from dealgraph import InconsistencyError, LoadError, Settings, ValidationError, build
from dealgraph.config import shipped_path
from dealgraph.validate import SH, _prepared, batched, check_graph, check_nodes, neighbourhood, skolem, unskolem
from dealgraph.vocab import DERIVED_GRAPHS

DG = Namespace("https://w3id.org/dealgraph/ontology#")
SCHEMA = Namespace("https://schema.org/")
ALAPAGE_DEAL = URIRef("https://w3id.org/dealgraph/id/deal/alapage-1999")
ARTICLE_FILE = "jdn-2008-09-12.ttl"


def broken_copy(tmp_path, edit) -> "Path":  # noqa: F821
    """The shipped ontology and data in *tmp_path*, with *edit* applied to the article's graph."""
    shutil.copy(shipped_path("ontology") / "dealgraph.ttl", tmp_path / "dealgraph.ttl")
    for path in shipped_path("data").glob("*.ttl"):
        shutil.copy(path, tmp_path / path.name)
    article = Graph().parse(tmp_path / ARTICLE_FILE)
    edit(article)
    article.serialize(tmp_path / ARTICLE_FILE, format="turtle")
    return tmp_path


def violations_of(folder):
    with pytest.raises(ValidationError) as caught:
        build(Settings(data=(folder,)), progress=lambda m: None)
    return caught.value


def test_the_shipped_data_conforms_and_is_consistent():
    built = build(Settings(), progress=lambda m: None)
    assert built.report.inferred > 0


def test_a_deal_without_a_target_is_refused(tmp_path):
    error = violations_of(broken_copy(tmp_path, lambda g: g.remove((ALAPAGE_DEAL, DG.target, None))))
    found = [v for v in error.violations if v.focus == ALAPAGE_DEAL and v.path == DG.target]
    assert found and "https://w3id.org/dealgraph/graph/jdn-2008-09-12" in found[0].graphs
    assert "alapage-1999" in str(error)


def test_a_price_without_a_currency_is_refused(tmp_path):
    def drop_currency(g):
        price = g.value(ALAPAGE_DEAL, DG.price)
        g.remove((price, SCHEMA.currency, None))

    error = violations_of(broken_copy(tmp_path, drop_currency))
    assert any(v.path == SCHEMA.currency for v in error.violations)


def test_an_impossible_date_is_refused(tmp_path):
    def impossible(g):
        g.set((ALAPAGE_DEAL, DG.date, Literal("1999-02-30", datatype=XSD.date)))

    error = violations_of(broken_copy(tmp_path, impossible))
    assert any(v.focus == ALAPAGE_DEAL and v.path == DG.date for v in error.violations)


def test_a_thirteenth_month_is_refused(tmp_path):
    def thirteenth(g):
        g.set((ALAPAGE_DEAL, DG.date, Literal("1999-13", datatype=XSD.gYearMonth)))

    error = violations_of(broken_copy(tmp_path, thirteenth))
    assert [v.value for v in error.violations if v.focus == ALAPAGE_DEAL and v.path == DG.date] == [
        Literal("1999-13", datatype=XSD.gYearMonth)
    ]


def test_an_unknown_outcome_is_refused(tmp_path):
    error = violations_of(broken_copy(tmp_path, lambda g: g.set((ALAPAGE_DEAL, DG.outcome, DG.Postponed))))
    assert any(v.value == DG.Postponed for v in error.violations)


def test_a_turtle_syntax_error_names_file_and_line(tmp_path):
    folder = broken_copy(tmp_path, lambda g: None)
    with open(folder / ARTICLE_FILE, "a", encoding="utf-8") as f:
        f.write("\n<https://example.org/a> <https://example.org/b> .\n")
    lines = (folder / ARTICLE_FILE).read_text(encoding="utf-8").count("\n")
    with pytest.raises(LoadError) as caught:
        build(Settings(data=(folder,)), progress=lambda m: None)
    assert caught.value.path.name == ARTICLE_FILE
    assert caught.value.line == lines


def test_outcomes_that_are_declared_different_cannot_be_merged(tmp_path):
    folder = broken_copy(tmp_path, lambda g: g.add((DG.Completed, OWL.sameAs, DG.Failed)))
    with pytest.raises(InconsistencyError) as caught:
        build(Settings(data=(folder,), shapes=None), progress=lambda m: None)
    assert "Completed" in str(caught.value) and "Failed" in str(caught.value)


def test_the_validate_command_exits_non_zero_with_readable_violations(tmp_path):
    folder = broken_copy(tmp_path, lambda g: g.remove((ALAPAGE_DEAL, DG.target, None)))
    done = subprocess.run(
        [sys.executable, "-m", "dealgraph", "validate", "--data", str(folder)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "SHACL violation" in done.stderr and "alapage-1999" in done.stderr
    assert "Traceback" not in done.stderr


def broken_store():
    """The shipped dataset with violations of several shapes: targets, currencies, evidence, dates, prices."""
    store = build(Settings(), progress=lambda m: None).store
    org = "https://w3id.org/dealgraph/id/org/"
    store.update(f"""
        DELETE WHERE {{ GRAPH ?g {{ <{ALAPAGE_DEAL}> dg:target ?target }} }} ;
        DELETE {{ GRAPH ?g {{ ?price schema:currency ?currency }} }}
          WHERE {{ GRAPH ?g {{ ?deal dg:price ?price . ?price schema:currency ?currency }} }} ;
        DELETE {{ GRAPH ?g {{ ?evidence dg:method ?method }} }}
          WHERE {{ GRAPH ?g {{ <{org}france-telecom> dg:evidence ?evidence . ?evidence dg:method ?method }} }} ;
        INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/user> {{
          <{org}nobody-deal> a dg:Acquisition ; dg:acquirer <urn:x-not-an-organization> ; dg:target <{org}alapage> ;
            dg:date "2010-13"^^xsd:gYearMonth ; dg:price <urn:x-price> .
          <{org}other-deal> dg:acquirer <{org}alapage> ; dg:target <{org}france-telecom> ;
            dg:date "2008-02-30"^^xsd:date , "2009"^^xsd:gYear .
          <urn:x-price> schema:value 12 }} }}""")  # a price only sh:targetObjectsOf finds
    return store


def asserted_union(store) -> Graph:
    union = Graph()
    for s, p, o, g in store.quads():
        if g not in DERIVED_GRAPHS:
            union.add((skolem(s), p, skolem(o)))
    return union


def shown(violations) -> set:
    return {(v.focus, v.path, v.value, v.message, v.severity) for v in violations}


def test_a_node_checked_over_its_surroundings_has_the_violations_it_has_in_the_whole_dataset():
    store = broken_store()
    shapes = Graph().parse(Settings().shapes)
    whole = check_graph(asserted_union(store), shapes)
    nodes = {v.focus for v in whole} | {s for s, _, _, _ in store.quads(predicate=DG.acquirer)}
    near = [v for node in nodes for v in check_nodes(store, shapes, [node], skip_graphs=DERIVED_GRAPHS)]
    assert shown(near) == shown(v for v in whole if v.focus in nodes)
    org = "https://w3id.org/dealgraph/id/org/"
    expected = {ALAPAGE_DEAL, URIRef(f"{org}france-telecom"), URIRef(f"{org}nobody-deal"), URIRef("urn:x-price")}
    assert expected <= {v.focus for v in near}
    assert len({v.focus for v in whole}) >= 5  # the prices without a currency too


def test_property_shapes_checked_for_all_focus_nodes_at_once_find_what_nested_ones_find():
    shapes = Graph().parse(Settings().shapes)
    made_top_level = batched(shapes)
    assert len(set(made_top_level.subject_objects(SH.property))) < len(set(shapes.subject_objects(SH.property)))
    union = asserted_union(broken_store())
    nested = Graph()
    nested += union
    conforms, report, _ = shacl_validate(nested, shacl_graph=shapes, advanced=True, allow_warnings=True, inplace=True)
    expected = {
        (
            unskolem(report.value(r, SH.focusNode)),
            report.value(r, SH.resultPath),
            unskolem(report.value(r, SH.value)),
            str(report.value(r, SH.resultMessage)),
            report.value(r, SH.resultSeverity).split("#")[-1],
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert not conforms and len(expected) >= 8
    assert shown(check_graph(union, shapes)) == expected
    dates = {value for focus, path, value, _, _ in expected if path == DG.date}
    assert dates == {Literal("2010-13", datatype=XSD.gYearMonth), Literal("2008-02-30", datatype=XSD.date), None}


def test_a_node_is_read_with_the_triples_pointing_at_it_only_by_properties_whose_objects_a_shape_targets():
    store = build(Settings(), progress=lambda m: None).store
    source = URIRef("https://w3id.org/dealgraph/id/source/jdn-2008-09-12")
    price = store.query(f"SELECT ?p WHERE {{ <{ALAPAGE_DEAL}> dg:price ?p }}").rows().__next__()["p"]
    citing = {s for s, _, _, _ in store.quads(predicate=DG.source, object=source)}
    assert len(citing) >= 10
    read = neighbourhood(store, {source, price}, DERIVED_GRAPHS, pointing={DG.price, DG.evidence})
    assert not any((skolem(e), DG.source, source) in read for e in citing)  # sh:targetObjectsOf dg:source: none
    assert (ALAPAGE_DEAL, DG.price, skolem(price)) in read  # MoneyShape targets the objects of dg:price
    everything = neighbourhood(store, {source}, DERIVED_GRAPHS)  # None: an sh:inversePath may read any
    assert all((skolem(e), DG.source, source) in everything for e in citing)


def test_a_shapes_sparql_is_parsed_once_however_many_nodes_and_writes_it_checks():
    store = broken_store()
    shapes = Settings().shapes
    linked = {s for s, _, o, g in store.quads(predicate=OWL.sameAs) if g not in DERIVED_GRAPHS and "wikidata" in o}
    focus = linked | {ALAPAGE_DEAL}
    assert len(linked) >= 2
    _prepared.cache_clear()
    first = check_nodes(store, shapes, focus, skip_graphs=DERIVED_GRAPHS)
    parsed = _prepared.cache_info().misses
    again = check_nodes(store, shapes, focus, skip_graphs=DERIVED_GRAPHS)
    assert shown(again) == shown(first) and any(v.focus == ALAPAGE_DEAL for v in first)
    assert parsed >= 2  # the Wikidata link constraint and the date target
    assert _prepared.cache_info().misses == parsed  # the Wikidata link constraint ran once a linked node
    assert _prepared.cache_info().hits >= 2 * len(linked) - 1


def test_a_closed_shape_still_allows_the_properties_its_property_shapes_name():
    shapes = Graph().parse(
        format="turtle",
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
            ex:Closed a sh:NodeShape ; sh:targetClass ex:Thing ; sh:closed true ;
                sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ) ;
                sh:property [ sh:path ex:name ; sh:minCount 1 ] .
            ex:Open a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:size ; sh:maxCount 1 ] .""",
    )
    data = Graph().parse(
        format="turtle",
        data="""@prefix ex: <http://example.org/> .
            ex:a a ex:Thing ; ex:name "A" ; ex:size 1, 2 .
            ex:b a ex:Thing ; ex:colour "red" .""",
    )
    made_top_level = batched(shapes)
    assert len(set(made_top_level.subject_objects(SH.property))) == 1  # only the open shape's went top-level
    disjoint = Graph().parse(
        format="turtle",
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
            ex:Hand a sh:NodeShape ; sh:targetClass ex:Hand ;
                sh:property [ sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Thumb ] ;
                              sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 1 ] ,
                            [ sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Finger ] ;
                              sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 4 ] .""",
    )
    assert len(set(batched(disjoint).subject_objects(SH.property))) == 2  # siblings compared: kept together
    name = lambda term: "" if term is None else str(term).rsplit("/", 1)[-1]  # noqa: E731
    found = sorted((name(v.focus), name(v.path), name(v.value)) for v in check_graph(data, shapes))
    assert found == [
        ("a", "size", ""),  # more than one
        ("a", "size", "1"),  # not allowed by the closed shape
        ("a", "size", "2"),
        ("b", "colour", "red"),
        ("b", "name", ""),  # missing
    ]
