"""The on-disk store (``--store DIR``): first load all or nothing, bad data named by file and
line, and ``dealgraph backup`` / ``dealgraph restore`` round trips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import free_port, start_dealgraph

from dealgraph import persistence

GOOD = """@prefix dg: <https://w3id.org/dealgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@base <https://w3id.org/dealgraph/id/> .

<org/acme> a dg:Organization ; rdfs:label "Acme" .
"""
#: A deal whose date is impossible (a SHACL violation), written on line 7.
VIOLATION = GOOD + """
<deal/acme-bad> a dg:Acquisition ; rdfs:label "Bad deal" ;
    dg:acquirer <org/acme> ; dg:date "2008-02-30"^^<http://www.w3.org/2001/XMLSchema#date> .
"""
SYNTAX_ERROR = GOOD + "\n<org/broken> rdfs:label .\n"
#: Two names said to be the same resource and different ones: OWL 2 RL's eq-diff1 inconsistency.
INCONSISTENT = GOOD + """
<org/acme> <http://www.w3.org/2002/07/owl#sameAs> <org/acme-sa> ;
    <http://www.w3.org/2002/07/owl#differentFrom> <org/acme-sa> .
"""


def dealgraph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dealgraph", *args], capture_output=True, text=True, timeout=300)


def data_file(folder: Path, text: str) -> Path:
    path = folder / "deals.ttl"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [(SYNTAX_ERROR, 7, "deals.ttl:7"), (VIOLATION, 7, "deal/acme-bad"), (INCONSISTENT, 5, "org/acme")],
    ids=["syntax-error", "shacl-violation", "inconsistency"],
)
def test_bad_data_stops_loading_with_file_line_and_resource(tmp_path, text, line, named):
    result = dealgraph("validate", "--data", str(data_file(tmp_path, text)))
    assert result.returncode == 1
    assert f"deals.ttl:{line}" in result.stderr, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_first_load_leaves_nothing_a_later_start_would_reuse(tmp_path):
    store = tmp_path / "store"
    bad = dealgraph(
        "serve", "--port", str(free_port()), "--store", str(store), "--data", str(data_file(tmp_path, VIOLATION))
    )
    assert bad.returncode == 1 and "deals.ttl:7" in bad.stderr and "Traceback" not in bad.stderr
    assert not persistence.is_complete(store)
    good = data_file(tmp_path, GOOD)
    server = start_dealgraph(tmp_path / "serve.log", "--store", str(store), "--data", str(good))
    try:
        assert "using the dataset already in" not in server.log_text()
        graphs = requests.get(server.url + "/health", timeout=10).json()["graphs"]
        assert graphs["https://w3id.org/dealgraph/graph/deals"] == 2
    finally:
        server.stop()
    assert persistence.is_complete(store)


def test_a_store_whose_first_load_never_finished_is_built_again(tmp_path):
    store = tmp_path / "store"
    half = ox.Store(str(store))  # quads but no completion marker: a first load killed half-way
    half.add(ox.Quad(ox.NamedNode("urn:x:half"), ox.NamedNode("urn:x:p"), ox.Literal("loaded"),
                     ox.NamedNode("urn:x:g")))
    half.flush()
    del half
    server = start_dealgraph(tmp_path / "serve.log", "--store", str(store), "--data", str(data_file(tmp_path, GOOD)))
    try:
        assert "did not finish" in server.log_text()
        graphs = requests.get(server.url + "/health", timeout=10).json()["graphs"]
        assert "urn:x:g" not in graphs and "https://w3id.org/dealgraph/graph/deals" in graphs
    finally:
        server.stop()


def test_backup_and_restore_round_trip(tmp_path):
    store, copy, restored = tmp_path / "store", tmp_path / "backup", tmp_path / "restored"
    server = start_dealgraph(tmp_path / "serve.log", "--store", str(store), "--data", str(data_file(tmp_path, GOOD)),
                             env={"DEALGRAPH_UPDATE_TOKEN": "t"})
    try:
        written = requests.post(server.url + "/update", headers={"Authorization": "Bearer t"}, timeout=60,
                                data={"update": 'INSERT DATA { <https://w3id.org/dealgraph/id/org/acme> '
                                                '<http://www.w3.org/2004/02/skos/core#altLabel> "ACME" }'})
        assert written.status_code == 200, written.text
        backup = dealgraph("backup", "--store", str(store), str(copy))  # while the server runs
        assert backup.returncode == 0, backup.stderr
        before = requests.get(server.url + "/dataset.nq.gz", timeout=30).headers["ETag"]
    finally:
        server.stop()
    assert dealgraph("restore", "--store", str(restored), str(copy)).returncode == 0
    refused = dealgraph("restore", "--store", str(restored), str(copy))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert dealgraph("restore", "--force", "--store", str(restored), str(copy)).returncode == 0
    again = start_dealgraph(tmp_path / "again.log", "--store", str(restored))
    try:
        assert "using the dataset already in" in again.log_text()
        assert requests.get(again.url + "/dataset.nq.gz", timeout=30).headers["ETag"] == before
    finally:
        again.stop()
    assert "restore" in (restored / persistence.WRITE_LOG).read_text()


def test_a_restart_reports_the_counts_of_the_first_build_until_a_write_changes_them(tmp_path):
    store, data = tmp_path / "store", data_file(tmp_path, GOOD)
    args = ("--store", str(store), "--data", str(data))
    token = {"DEALGRAPH_UPDATE_TOKEN": "t"}

    def health_after_start(log: str, write: bool = False) -> dict:
        server = start_dealgraph(tmp_path / log, *args, env=token)
        try:
            if write:
                written = requests.post(server.url + "/update", headers={"Authorization": "Bearer t"}, timeout=60,
                                        data={"update": 'INSERT DATA { <https://w3id.org/dealgraph/id/org/acme> '
                                                        '<http://www.w3.org/2004/02/skos/core#altLabel> "ACME" }'})
                assert written.status_code == 200, written.text
            return requests.get(server.url + "/health", timeout=30).json()["graphs"]
        finally:
            server.stop()

    first = health_after_start("first.log")
    assert first["https://w3id.org/dealgraph/graph/deals"] == 2
    assert persistence.recorded_counts(store) == first  # the marker keeps them…
    assert health_after_start("again.log") == first  # …and a restart answers with them
    written = health_after_start("write.log", write=True)
    assert written["https://w3id.org/dealgraph/graph/user"] == 1
    assert persistence.recorded_counts(store) is None  # a write dropped them: counted again on restart
    assert health_after_start("after.log") == written
