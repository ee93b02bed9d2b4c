"""The pages (issue 6) without a browser: linked data at /id/, the ontology, pictures, the home page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import requests
from rdflib import RDF, Graph, URIRef

from dealgraph import Settings
from dealgraph.vocab import DERIVED_GRAPHS, DG, ID

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def entity_iris(knowledge_graph) -> list[str]:
    """Every subject below id: in the graphs that hold asserted facts."""
    derived = ", ".join(f"<{g}>" for g in DERIVED_GRAPHS)
    rows = knowledge_graph.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({derived})) "
        "FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(id:))) } ORDER BY ?s"
    )
    return [str(r["s"]) for r in rows]


def local(endpoint, iri: str) -> str:
    return endpoint.url + "/id/" + iri[len(str(ID)) :]


def test_every_entity_dereferences_as_html_and_turtle(endpoint, knowledge_graph):
    iris = entity_iris(knowledge_graph)
    assert len(iris) > 50
    session = requests.Session()
    failures = []
    for iri in iris:
        page = session.get(local(endpoint, iri), headers={"Accept": BROWSER_ACCEPT}, timeout=30)
        if page.status_code != 200 or not page.headers["Content-Type"].startswith("text/html"):
            failures.append((iri, "html", page.status_code, page.text[:200]))
            continue
        if iri not in page.text:
            failures.append((iri, "html", "the page does not name its IRI"))
        turtle = session.get(local(endpoint, iri), headers={"Accept": "text/turtle"}, timeout=30)
        if turtle.status_code != 200 or not turtle.headers["Content-Type"].startswith("text/turtle"):
            failures.append((iri, "turtle", turtle.status_code))
            continue
        graph = Graph().parse(data=turtle.text, format="turtle")
        if not any(graph.triples((URIRef(iri), None, None))):
            failures.append((iri, "turtle", "no triple about it"))
    assert not failures, failures[:10]


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("text/turtle;q=0.9, application/rdf+xml;q=1.0", "application/rdf+xml", "xml"),
        ("text/turtle, text/html;q=0.5", "text/turtle", "turtle"),
    ],
)
def test_content_negotiation_gives_rdf(endpoint, accept, media_type, rdflib_format):
    response = requests.get(endpoint.url + "/id/deal/alapage-1999", headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in response.headers["Vary"]
    graph = Graph().parse(data=response.content, format=rdflib_format)
    deal = URIRef(ID["deal/alapage-1999"])
    assert (deal, DG.acquirer, URIRef(ID["org/france-telecom"])) in graph
    price = graph.value(deal, DG.price)
    assert price is not None and graph.value(price, URIRef("https://schema.org/value")).toPython() == 50000000


def test_browsers_and_any_get_html(endpoint):
    for accept in (BROWSER_ACCEPT, "*/*"):
        response = requests.get(endpoint.url + "/id/org/alapage", headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


def test_format_parameter_wins_over_accept(endpoint):
    response = requests.get(
        endpoint.url + "/id/org/alapage?format=turtle", headers={"Accept": BROWSER_ACCEPT}, timeout=30
    )
    assert response.headers["Content-Type"].startswith("text/turtle")


def test_unknown_iri_is_404_in_every_format(endpoint):
    for accept in (BROWSER_ACCEPT, "text/turtle", "application/ld+json"):
        response = requests.get(endpoint.url + "/id/org/no-such-company", headers={"Accept": accept}, timeout=30)
        assert response.status_code == 404


def test_unacceptable_format_is_406(endpoint):
    response = requests.get(endpoint.url + "/id/org/alapage", headers={"Accept": "image/png"}, timeout=30)
    assert response.status_code == 406
    assert "text/turtle" in response.json()["error"]["offered"]


def test_organization_page_shows_deals_ownership_and_evidence(endpoint):
    page = requests.get(endpoint.url + "/id/org/france-telecom", headers={"Accept": BROWSER_ACCEPT}, timeout=30).text
    for expected in (
        'data class="money" value="50000000"',
        'data class="money" value="30000000"',
        "/id/org/alapage",
        "/id/org/marcopoly",
        "Q1431486",  # Wikidata link
        "only reported",  # hedged evidence of the 2008 sale attempt
        "Challenges",  # who reported it
        "France Télécom cherche à céder Alapage",  # a source sentence
        "/pictures/timeline/org/france-telecom.svg",
        "/pictures/ownership/org/france-telecom.svg",
        "/id/ownership/alapage-1999/alapage",  # an inferred ownership period
    ):
        assert expected in page, expected


def test_the_ownership_picture_of_an_organization_shows_what_is_two_edges_away(endpoint, knowledge_graph):
    edges = knowledge_graph.select(
        """SELECT DISTINCT ?a ?b WHERE {
             { ?p a dg:Ownership ; dg:owner ?a ; dg:owned ?b } UNION { ?a dg:operates ?b }
             UNION { ?s a dg:Stake ; dg:holder ?a ; dg:held ?b } }"""
    )
    pairs = {(str(e["a"]), str(e["b"])) for e in edges}
    near = {str(ID["org/alapage"])}
    for _ in range(2):
        near |= {n for pair in pairs if set(pair) & near for n in pair}
    expected = {pair for pair in pairs if set(pair) <= near}
    page = requests.get(endpoint.url + "/id/org/alapage", headers={"Accept": BROWSER_ACCEPT}, timeout=30).text
    alt = next(text for text in re.findall(r'alt="([^"]*)"', page) if text.startswith("Ownership"))
    assert alt.count("→") == len(expected) == 9
    assert "Altarea Cogedim → Rue du Commerce" in alt  # two edges away: Alapage ← Rue du Commerce ← Altarea


def test_deal_page_shows_inferred_consequences_with_rule_and_premises(endpoint):
    page = requests.get(endpoint.url + "/id/deal/alapage-1999", headers={"Accept": BROWSER_ACCEPT}, timeout=30).text
    assert "Inferred consequences" in page
    assert "/id/rule/ownership-from-acquisition" in page
    assert "Premises" in page
    owns = page.split("/ontology#owns")[1].split('<span class="badge inferred">')[0]
    assert owns.count("/ontology#acquirer") == 1  # each premise once
    assert "320,000,000" in page  # the claim that disagrees with the article's price


def test_pages_follow_accept_language(endpoint):
    french = requests.get(
        endpoint.url + "/id/org/france-telecom",
        headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"},
        timeout=30,
    )
    assert '<html lang="fr">' in french.text
    assert "Opérations comme acquéreur" in french.text
    assert "50\u00a0000\u00a0000\u00a0EUR" in french.text
    english = requests.get(endpoint.url + "/?lang=en", headers={"Accept-Language": "fr"}, timeout=30)
    assert '<html lang="en">' in english.text


def test_ontology_as_html_and_turtle(endpoint):
    page = requests.get(endpoint.url + "/ontology", headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for expected in ('id="Organization"', 'id="acquirer"', 'id="Completed"', "organisation", "acquéreur"):
        assert expected in page.text, expected
    turtle = requests.get(endpoint.url + "/ontology", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (DG.Organization, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in graph
    jsonld = requests.get(endpoint.url + "/ontology?format=jsonld", timeout=30)
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == len(graph)


@pytest.mark.parametrize(
    "path",
    [
        "/pictures/timeline",
        "/pictures/ownership",
        "/pictures/timeline/org/france-telecom",
        "/pictures/ownership/org/france-telecom",
    ],
)
def test_pictures_as_svg_and_png(endpoint, path):
    svg = requests.get(endpoint.url + path + ".svg", timeout=60)
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    ET.fromstring(svg.content)
    assert "Alapage" in svg.text
    png = requests.get(endpoint.url + path + ".png", timeout=60)
    assert png.headers["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_picture_of_a_non_organization_is_404(endpoint):
    assert requests.get(endpoint.url + "/pictures/timeline/deal/alapage-1999.svg", timeout=30).status_code == 404
    assert requests.get(endpoint.url + "/pictures/nothing.svg", timeout=30).status_code == 404


def test_home_page_lists_saved_queries_graphs_and_sources(endpoint):
    page = requests.get(endpoint.url + "/", headers={"Accept": BROWSER_ACCEPT}, timeout=30).text
    listed = requests.get(endpoint.url + "/queries", timeout=30).json()["queries"]
    for query in listed:
        assert f'action="/queries/{query["name"]}"' in page
    health = requests.get(endpoint.url + "/health", timeout=30).json()
    for graph, count in health["graphs"].items():
        assert f'title="{graph}"' in page
        assert f"{count:,}" in page
    assert "France Télécom cherche à céder Alapage" in page
    assert 'alt="Deals in the dataset.' in page
    assert requests.get(endpoint.url + "/prefixes.json", timeout=30).json()["dg"] == str(DG)


def test_home_page_without_editor_assets_says_how_to_get_them(knowledge_graph, monkeypatch, tmp_path):
    from dealgraph.web import create_app, home

    monkeypatch.setattr(home, "VENDOR", tmp_path / "no-assets")
    app = create_app(Settings(query_workers=1), store=knowledge_graph.store)
    try:
        page = app.test_client().get("/").get_data(as_text=True)
    finally:
        app.extensions["dealgraph"].pool.close()
    assert "npm ci &amp;&amp; npm run build" in page
    assert '<form class="plain-query" method="post" action="/sparql">' in page
    assert "yasgui.min.js" not in page
