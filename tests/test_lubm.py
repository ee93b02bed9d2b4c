"""LUBM(1) through ``dealgraph serve --data``: loaded, reasoned (OWL 2 RL) and healthy fast, all 14 answers right."""

from __future__ import annotations

import csv

import pytest
import requests
from conftest import shared_path, start_dealgraph


@pytest.fixture(scope="module", params=["fast", "nemo"])
def lubm_endpoint(request, tmp_path_factory):
    """LUBM(1) served, reasoned over by each OWL 2 RL engine in turn."""
    lubm = shared_path("suites", "lubm")
    server = start_dealgraph(
        tmp_path_factory.mktemp("lubm") / "serve.log",
        "--data",
        str(lubm / "univ-bench-zhp2.owl"),
        "--data",
        str(lubm / "lubm1.nt.gz"),
        env={"DEALGRAPH_REASONER": request.param},
        up_within=120,
    )
    yield server, lubm
    server.stop()


@pytest.mark.slow
def test_lubm1_answers_all_14_queries_with_the_published_counts(lubm_endpoint):
    server, lubm = lubm_endpoint
    with open(lubm / "reference-answers-lubm1.tsv", encoding="utf-8") as stream:
        expected = {row["query"]: int(row["expected_rows_LUBM(1,0)"]) for row in csv.DictReader(stream, delimiter="\t")}
    found = {}
    for name in sorted(expected):
        query = (lubm / "queries" / f"{name}.rq").read_text(encoding="utf-8")
        answer = requests.post(
            server.url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
        )
        assert answer.status_code == 200, answer.text
        found[name] = len(answer.json()["results"]["bindings"])
    assert found == expected


@pytest.mark.slow
def test_lubm1_is_loaded_reasoned_and_healthy_quickly(lubm_endpoint):
    server, _ = lubm_endpoint
    health = requests.get(server.url + "/health").json()
    assert health["graphs"]["https://w3id.org/dealgraph/graph/lubm1"] == 100543
    assert health["graphs"]["https://w3id.org/dealgraph/graph/inferred"] > 40000
    # The goal is 10 s on this 2-core machine (bench/RESULTS.md); the test allows for a loaded CI host.
    assert server.ready_after < 30, f"healthy after {server.ready_after:.1f} s"
