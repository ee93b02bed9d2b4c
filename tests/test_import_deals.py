"""``dealgraph import deals``: Crunchbase's acquisitions as RDF, with provenance, licence and bad rows reported."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys

import pyoxigraph as ox
import pytest
from conftest import shared_path

from dealgraph import Settings, build
from dealgraph.importer import CRUNCHBASE, import_deals, read_records
from dealgraph.store import OxigraphStore
from dealgraph.vocab import INFERRED_GRAPH

CB_LICENSE = "http://creativecommons.org/licenses/by-nc/4.0/"


@pytest.fixture(scope="session")
def crunchbase():
    return shared_path("datasets", "deals", "crunchbase-2015", "acquisitions.csv")


@pytest.fixture(scope="session")
def crunchbase_import(crunchbase, tmp_path_factory):
    output = tmp_path_factory.mktemp("import") / "acquisitions.nt.gz"
    report, data = import_deals(crunchbase, CRUNCHBASE, output)
    output.write_bytes(data)
    return report, output


def test_every_row_is_a_deal_or_a_reported_refusal(crunchbase_import):
    report, _ = crunchbase_import
    assert report.rows == 18968
    assert dict(report.refused_rows()) == {"self-acquisition": 31, "duplicate-pair": 46, "malformed": 1}
    assert report.deals == report.rows - sum(report.refused_rows().values()) == 18890
    assert dict(report.dropped_values()) == {"implausible-date": 2, "bad-price": 6}
    assert report.priced == 4989
    assert report.undated == 10


def test_the_31_self_acquisitions_are_reported_with_their_line(crunchbase_import, crunchbase):
    report, _ = crunchbase_import
    selves = [p for p in report.problems if p.kind == "self-acquisition"]
    assert len(selves) == 31
    records = {r.row: r for r in read_records(crunchbase)}
    for problem in selves:
        record = records[problem.row]
        assert record.line == problem.line
        assert record.values["company_permalink"] == record.values["acquirer_permalink"]
    assert selves[0].line == 17 and "10Stamps" in selves[0].detail or "10stamps" in selves[0].detail.lower()


def test_implausible_dates_are_refused_and_the_deal_kept_without_a_date(crunchbase_import):
    report, output = crunchbase_import
    dates = sorted(p.detail for p in report.problems if p.kind == "implausible-date")
    assert dates == ["date '1201-11-03 00:00:00'", "date '3201-10-21'"]
    text = gzip.decompress(output.read_bytes()).decode()
    assert '"3201-10-21"' not in text and '"1201-11-03"' not in text


def test_importing_twice_gives_identical_bytes(crunchbase, crunchbase_import, tmp_path):
    _, first = crunchbase_import
    _, again = import_deals(crunchbase, CRUNCHBASE, tmp_path / "acquisitions.nt.gz")
    assert again == first.read_bytes()


def test_a_deal_carries_its_row_and_crunchbase_licence(crunchbase_import, crunchbase):
    _, output = crunchbase_import
    store = OxigraphStore()
    store.load(gzip.decompress(output.read_bytes()), "ntriples")
    rows = list(
        store.query(
            """SELECT ?deal ?row ?line ?license ?credit ?value ?currency WHERE {
                 ?deal dg:acquirer/rdfs:label "BioMarin Pharmaceutical" ; dg:target/rdfs:label "Zystor" ;
                       dg:outcome dg:Completed ; dg:date "2010-08-18"^^xsd:date ;
                       dg:price [ schema:value ?value ; schema:currency ?currency ] ;
                       dg:evidence [ dg:sourceRow ?row ; dg:sourceLine ?line ; dg:source ?source ] .
                 ?source dcterms:license ?license ; schema:creditText ?credit }"""
        ).rows()
    )
    assert len(rows) == 1
    row = rows[0]
    assert str(row["license"]) == CB_LICENSE and "Crunchbase" in str(row["credit"])
    assert (str(row["value"]), str(row["currency"])) == ("115000000", "USD")
    record = next(r for r in read_records(crunchbase) if r.row == int(row["row"]))
    assert record.line == int(row["line"])
    assert (record.values["acquirer_name"], record.values["company_name"]) == ("BioMarin Pharmaceutical", "Zystor")


def test_on_error_fail_stops_at_the_first_bad_row_and_writes_nothing(crunchbase, tmp_path):
    output = tmp_path / "out.nt.gz"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dealgraph",
            "import",
            "deals",
            str(crunchbase),
            "-o",
            str(output),
            "--on-error",
            "fail",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "acquisitions.csv:17: self-acquisition" in done.stderr
    assert not output.exists()


def test_bad_values_row_refuses_the_rows_with_an_implausible_date(crunchbase, tmp_path):
    report, _ = import_deals(crunchbase, CRUNCHBASE, tmp_path / "x.nt.gz", bad_values="row")
    assert report.refused_rows()["implausible-date"] == 2
    assert report.deals == 18890 - 2 - 6


def test_a_generic_mapping_merges_an_unidentified_organization_by_its_normalised_name(tmp_path):
    path = tmp_path / "deals.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["buyer", "buyer_id", "company", "when", "amount", "ccy"])
        writer.writerow(["Rue du Commerce", "rdc", "TopAchat", "2009-02", "", ""])
        writer.writerow(["RUE-DU-COMMERCE S.A.S.", "", "Clust", "2009", "12.5", "EUR"])
    from dealgraph.importer import Mapping

    mapping = Mapping(
        acquirer="buyer", acquirer_id="buyer_id", target="company", date="when", price="amount", currency="ccy"
    )
    report, data = import_deals(path, mapping, tmp_path / "deals.nt")
    text = data.decode()
    assert report.deals == 2 and report.organizations == 3
    assert (
        text.count("<https://w3id.org/dealgraph/id/org/deals/rdc> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")
        == 1
    )
    assert '"2009-02"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>' in text
    assert '"12.5"^^<http://www.w3.org/2001/XMLSchema#decimal>' in text


def test_an_imported_sample_is_valid_served_data_with_inferences(crunchbase_sample):
    store = build(Settings(data=(crunchbase_sample.ontology, crunchbase_sample.output)), progress=lambda m: None).store
    graphs = store.graph_names()
    assert any(str(g).endswith("/graph/sample") for g in graphs)
    owns = store.query(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?a dg:owns ?b }} }}").boolean
    assert owns
    assert isinstance(ox.NamedNode(str(graphs[0])), ox.NamedNode)
