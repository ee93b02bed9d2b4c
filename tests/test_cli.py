"""The command line, run as users run it: a real process, real stdout and exit status."""

import json
import subprocess
import sys

import pytest
from rdflib import Dataset, Graph, URIRef

from dealgraph.vocab import INFERRED_GRAPH

FT = "https://w3id.org/dealgraph/id/org/france-telecom"
ALAPAGE = "https://w3id.org/dealgraph/id/org/alapage"


def dealgraph(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dealgraph", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """A working directory far from the repository: commands must not depend on it."""
    return tmp_path_factory.mktemp("anywhere")


def test_query_json_prints_only_sparql_json_results(elsewhere):
    done = dealgraph(
        "query",
        "--format",
        "json",
        f"SELECT ?price WHERE {{ ?deal dg:acquirer <{FT}> ; dg:target <{ALAPAGE}> ; dg:price/schema:value ?price }}",
        cwd=elsewhere,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [b["price"]["value"] for b in results["results"]["bindings"]] == ["50000000"]


def test_query_reads_a_file_and_prints_a_table(tmp_path):
    query = tmp_path / "q.rq"
    query.write_text(f"SELECT ?owned WHERE {{ <{FT}> dg:owns ?owned }} ORDER BY ?owned")
    done = dealgraph("query", "--file", str(query))
    assert done.returncode == 0, done.stderr
    assert f"<{ALAPAGE}>" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].endswith("rows)")


def test_a_malformed_query_is_an_error_not_a_traceback():
    done = dealgraph("query", "SELECT ?x WHERE { ?x ")
    assert done.returncode == 1
    assert "not valid SPARQL" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_writes_every_graph_including_inferences_as_nquads():
    done = subprocess.run([sys.executable, "-m", "dealgraph", "export"], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    dataset = Dataset()
    dataset.parse(data=done.stdout, format="nquads")
    inferred = dataset.graph(INFERRED_GRAPH)
    assert (URIRef(FT), URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(ALAPAGE)) in inferred


def test_export_without_inferences_leaves_the_inferred_graph_out():
    done = subprocess.run(
        [sys.executable, "-m", "dealgraph", "export", "--format", "turtle", "--no-inferred"],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(data=done.stdout, format="turtle")
    assert (URIRef(FT), URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(ALAPAGE)) not in graph
    assert (None, URIRef("https://w3id.org/dealgraph/ontology#acquirer"), URIRef(FT)) in graph


def test_validate_passes_on_the_shipped_data():
    done = dealgraph("validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid:")


def test_infer_reports_counts_and_time():
    done = dealgraph("infer")
    assert done.returncode == 0, done.stderr
    assert "rule ownership-from-acquisition:" in done.stdout
    assert " s over " in done.stdout
