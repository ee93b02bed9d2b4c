"""The committed Wikidata snapshot: Wikidata's own terms, its provenance, its size, and a rebuild
from the saved SPARQL results that gives the same bytes."""

from __future__ import annotations

import csv
import gzip

from click.testing import CliRunner
from conftest import shared_path

from dealgraph.cli import main
from dealgraph.config import shipped_path
from dealgraph.wikidata import snapshot

SNAPSHOT = shipped_path("data") / "wikidata.nt.gz"
GRAPH = "<https://w3id.org/dealgraph/graph/wikidata>"


def test_the_snapshot_is_small_and_has_its_provenance_beside_it():
    assert SNAPSHOT.stat().st_size < 3 * 1024 * 1024
    provenance = (shipped_path("data") / "wikidata.PROVENANCE.md").read_text(encoding="utf-8")
    assert "haochenzmax/Predicting_MnA-main" in provenance and "a1f92c3" in provenance and "CC0" in provenance


def test_the_snapshot_graph_states_its_licence_and_sources(knowledge_graph):
    assert knowledge_graph.ask(
        f"ASK {{ GRAPH {GRAPH} {{ {GRAPH} dcterms:license <http://creativecommons.org/publicdomain/zero/1.0/> ; "
        "prov:wasDerivedFrom ?dump . ?dump schema:datePublished \"2024-03\"^^xsd:gYearMonth } }"
    )


def test_a_query_written_for_wikidatas_query_service_runs_unchanged(knowledge_graph):
    """Direct properties, statement nodes with qualifiers, labels with a language; no label service."""
    rows = knowledge_graph.select(
        """PREFIX p: <http://www.wikidata.org/prop/>
           PREFIX ps: <http://www.wikidata.org/prop/statement/>
           SELECT ?company ?companyLabel ?owner ?ownerLabel WHERE {
             ?company wdt:P17 wd:Q142 ; p:P127 ?statement ; rdfs:label ?companyLabel .
             ?statement ps:P127 ?owner .
             ?owner rdfs:label ?ownerLabel .
             FILTER(LANG(?companyLabel) = "en" && LANG(?ownerLabel) = "en")
             FILTER(?owner = wd:Q3117359)
           }"""
    )
    assert ("Rue du Commerce", "Carrefour Group") in {(str(r["companyLabel"]), str(r["ownerLabel"])) for r in rows}
    assert knowledge_graph.ask('ASK { wd:Q3884 wdt:P571 "1994-07-05T00:00:00Z"^^xsd:dateTime ; '
                               'wdt:P1448 "AMAZON.COM, INC."@en ; schema:name "Amazon"@en }')


def test_no_class_is_invented(knowledge_graph):
    """The source kept no direct P31, so the snapshot states none."""
    assert not knowledge_graph.ask(f"ASK {{ GRAPH {GRAPH} {{ ?item wdt:P31 ?class }} }}")


def test_rebuilding_from_the_saved_results_gives_the_committed_file(tmp_path):
    dump = shared_path("datasets", "wikidata-companies")
    output = tmp_path / "wikidata.nt.gz"
    arguments = ["wikidata", "snapshot", "--offline", "--from", str(dump), "--output", str(output)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert output.read_bytes() == SNAPSHOT.read_bytes()


def test_every_french_business_of_the_dump_is_in_the_snapshot():
    dump = shared_path("datasets", "wikidata-companies")
    with (dump / "entities" / "Q142.csv").open(encoding="utf-8", newline="") as stream:
        french = {row["id"] for row in csv.DictReader(stream)}
    text = gzip.decompress(SNAPSHOT.read_bytes()).decode("utf-8")
    subjects = {line.split(" ", 1)[0][len("<http://www.wikidata.org/entity/") : -1] for line in text.splitlines()
                if line.startswith("<http://www.wikidata.org/entity/Q")}
    assert french <= subjects
    assert len(text.splitlines()) == len(snapshot.from_files(dump, linked=["Q3884", "Q1431486", "Q3446822",
                                                                           "Q3117359"]).triples)
