"""The candidate linker proposes, with a score and its features; only a person's 'accept' makes a link."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from rdflib import Graph, URIRef

from dealgraph import Settings, build
from dealgraph.config import shipped_path
from dealgraph.wikidata.linker import (
    CandidateIndex,
    Item,
    Organization,
    ReviewError,
    accepted,
    snapshot_items,
    unlinked_organizations,
    weigh,
    write_review,
)
from dealgraph.wikidata.links import accepted_links_turtle
from dealgraph.wikidata.names import key, similarity

ID = "https://w3id.org/dealgraph/id/"


@pytest.mark.parametrize(
    "a, b",
    [
        ("France Telecom", "France Télécom"),
        ("Rue-du-Commerce", "Rue du Commerce"),
        ("Amazon.com", "Amazon"),
        ("AMAZON.COM, INC.", "Amazon"),
        ("Orange S.A.", "Orange"),
        ("Carrefour SAS", "Carrefour"),
        ("The Coca-Cola Company", "Coca Cola"),
    ],
)
def test_names_that_differ_only_in_case_accents_punctuation_or_legal_form_are_one_name(a, b):
    assert key(a) == key(b)
    assert similarity(a, b) == 100.0


def test_different_names_stay_apart():
    assert similarity("Alapage", "Altarea Cogedim") < 70
    assert key("S.A.") == "s a"  # never folded down to nothing


def test_country_and_dates_separate_namesakes():
    index = CandidateIndex(
        [
            Item("Q1", "Orange", ("Orange",), frozenset({"Q142"}), frozenset({1988})),
            Item("Q2", "Orange", ("Orange",), frozenset({"Q30"}), frozenset({2015})),
        ]
    )
    french_org = Organization("x", "Orange", ("Orange",), country="Q142", first_seen=1999)
    french = index.candidates(french_org)
    assert [c.item.qid for c in french] == ["Q1"]  # Q2 falls below the proposal threshold
    assert french[0].confident and french[0].features["country"] is True
    other = weigh(french_org, index.items["Q2"])
    assert other.features == {"name": 100.0, "matched_name": "Orange", "country": False,
                              "inception_after_first_deal": True}
    assert other.score == 65.0
    unknown = index.candidates(Organization("y", "Orange", ("Orange",)))
    assert unknown and not unknown[0].confident  # two namesakes, nothing to tell them apart


@pytest.fixture(scope="module")
def shipped(knowledge_graph):
    return knowledge_graph.store


def test_candidates_come_from_the_snapshot_for_unlinked_organizations_only(shipped):
    organizations = unlinked_organizations(shipped)
    iris = {o.iri for o in organizations}
    assert ID + "org/alapage" in iris and ID + "org/altarea-cogedim" in iris
    assert not iris & {ID + "org/france-telecom", ID + "org/amazon", ID + "org/rue-du-commerce", ID + "org/carrefour"}
    index = CandidateIndex(snapshot_items(shipped))
    assert len(index) > 2000
    rue = index.candidates(Organization(ID + "org/x", "Rue-du-Commerce SAS", ("Rue-du-Commerce SAS",), country="Q142"))
    assert (rue[0].item.qid, rue[0].confident) == ("Q3446822", True)
    # "Carrefour" is both the group (Q3117359) and its retail brand (Q217599): candidates, no confident pick.
    carrefour = index.candidates(Organization(ID + "org/y", "Carrefour SA", ("Carrefour SA",), country="Q142"))
    assert {"Q3117359", "Q217599"} <= {c.item.qid for c in carrefour}
    assert not carrefour[0].confident


def test_a_review_file_round_trip_writes_only_accepted_rows_as_evidenced_links(shipped, tmp_path):
    index = CandidateIndex(snapshot_items(shipped))
    organization = Organization(ID + "org/altarea-cogedim", "Altarea Cogedim", ("Altarea Cogedim",))
    found = index.candidates(organization) + index.candidates(
        Organization(ID + "org/carrefour-copy", "Carrefour", ("Carrefour",))
    )
    review = tmp_path / "review.tsv"
    write_review(review, found)
    rows = list(csv.DictReader(review.open(encoding="utf-8"), delimiter="\t"))
    assert rows and all(r["decision"] == "" for r in rows)
    assert accepted(review) == []  # nothing is linked until a person decides
    rows[0]["decision"], rows[0]["reviewer"] = "accept", "A. Reviewer"
    for row in rows[1:]:
        row["decision"] = "reject"
    with review.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    links = accepted(review, day=date(2025, 1, 2))
    assert [(str(lk.organization), lk.qid) for lk in links] == [(rows[0]["organization"], rows[0]["wikidata"])]
    turtle = accepted_links_turtle(links)
    graph = Graph().parse(data=turtle, format="turtle")
    assert (URIRef(rows[0]["organization"]), URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"),
            URIRef("http://www.wikidata.org/entity/" + rows[0]["wikidata"])) in graph
    assert "AcceptedFromLinker" in turtle and '"2025-01-02"^^xsd:date' in turtle and "A. Reviewer" in turtle
    # Written beside the shipped data, the link validates and the linker stops proposing for it.
    data = tmp_path / "data"
    data.mkdir()
    for path in shipped_path("data").iterdir():
        if path.suffix in (".ttl", ".gz"):
            (data / path.name).write_bytes(path.read_bytes())
    (data / "links.ttl").write_text(turtle, encoding="utf-8")
    store = build(Settings(data=(shipped_path("ontology") / "dealgraph.ttl", data)), progress=lambda m: None).store
    assert rows[0]["organization"] not in {o.iri for o in unlinked_organizations(store)}


def test_an_accepted_row_needs_a_reviewer(tmp_path):
    review = tmp_path / "review.tsv"
    item = Item("Q3117359", "Carrefour Group", ("Carrefour Group",))
    write_review(review, CandidateIndex([item]).candidates(Organization(ID + "org/c", "Carrefour", ("Carrefour",))))
    text = review.read_text(encoding="utf-8").splitlines()
    text[1] = "accept" + text[1]
    review.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(ReviewError, match="reviewer"):
        accepted(review)


def test_an_item_already_linked_elsewhere_is_not_a_confident_candidate(shipped):
    """Wanadoo was renamed Orange, but Orange's item (Q1431486) is France Télécom's: a person decides."""
    from dealgraph.wikidata.linker import linked_items

    index = CandidateIndex(snapshot_items(shipped), taken=linked_items(shipped))
    wanadoo = next(o for o in unlinked_organizations(shipped) if o.iri == ID + "org/wanadoo")
    found = {c.item.qid: c for c in index.candidates(wanadoo)}
    assert not any(c.confident for c in found.values())
    assert "Q1431486" not in found or found["Q1431486"].features["already_linked"] is True
