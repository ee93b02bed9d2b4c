"""Saved queries over HTTP, against a running ``dealgraph serve`` (the ``endpoint`` fixture):
the list, formats, pages, ETags, errors, the HTML page, and the OpenAPI document
(validated, then exercised by schemathesis)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest
import requests
from openapi_spec_validator import validate

from dealgraph.saved_queries import saved_queries

FT = "https://w3id.org/dealgraph/id/org/france-telecom"
ALAPAGE = "https://w3id.org/dealgraph/id/org/alapage"


def get(endpoint, path: str, **kwargs) -> requests.Response:
    return requests.get(endpoint.url + path, timeout=30, **kwargs)


def bindings(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def test_the_list_has_every_query_in_the_contract_shape(endpoint):
    listed = get(endpoint, "/queries").json()["queries"]
    assert [q["name"] for q in listed] == sorted(saved_queries())
    for query in listed:
        assert {"name", "title", "description", "parameters"} <= set(query)
        for parameter in query["parameters"]:
            assert {"name", "type", "required", "default", "example", "values"} <= set(parameter)
    deals = next(q for q in listed if q["name"] == "deals")
    outcome = next(p for p in deals["parameters"] if p["name"] == "outcome")
    assert (outcome["type"], outcome["required"], outcome["default"]) == ("enum", False, None)
    assert outcome["values"][0] == "dg:Completed"


def test_a_query_answers_sparql_json_by_default_with_the_real_prices(endpoint):
    rows = bindings(get(endpoint, "/queries/deal-prices", params={"acquirer": "france telecom"}))
    assert [(r["target"]["value"], r["price"]["value"], r["currency"]["value"]) for r in rows] == [
        (ALAPAGE, "50000000", "EUR"),
        ("https://w3id.org/dealgraph/id/org/marcopoly", "30000000", "EUR"),
    ]


@pytest.mark.parametrize(
    "how, media_type",
    [
        ({"params": {"format": "csv"}}, "text/csv"),
        ({"params": {"format": "tsv"}}, "text/tab-separated-values"),
        ({"params": {"format": "xml"}}, "application/sparql-results+xml"),
        ({"headers": {"Accept": "text/csv"}}, "text/csv"),
        ({"headers": {"Accept": "application/sparql-results+xml"}}, "application/sparql-results+xml"),
        ({"headers": {"Accept": "text/html"}}, "text/html"),
    ],
)
def test_the_format_is_chosen_by_parameter_or_accept_header(endpoint, how, media_type):
    params = {"acquirer": "Rue du Commerce", **how.get("params", {})}
    response = get(endpoint, "/queries/deals", params=params, headers=how.get("headers"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    body = response.text
    if media_type == "text/csv":
        table = list(csv.DictReader(io.StringIO(body)))
        # the sale of Clust and TopAchat was scheduled for February 2009, Alapage's came in July
        assert [row["target"] for row in table] == ["https://w3id.org/dealgraph/id/org/clust",
                                                    "https://w3id.org/dealgraph/id/org/topachat", ALAPAGE]  # fmt: skip
    elif media_type.endswith("xml"):
        assert len(ET.fromstring(body).findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 3
    elif media_type == "text/tab-separated-values":
        assert body.splitlines()[0].startswith("?deal\t")
        assert len(body.splitlines()) == 4


def test_pages_follow_a_stable_order_with_link_headers(endpoint):
    whole = bindings(get(endpoint, "/queries/deals", params={"per_page": 1000}))
    pages, url = [], endpoint.url + "/queries/deals?per_page=4"
    while url:
        response = requests.get(url, timeout=30)
        pages.append(bindings(response))
        links = requests.utils.parse_header_links(response.headers["Link"])
        next_link = [link["url"] for link in links if link["rel"] == "next"]
        url = endpoint.url + next_link[0] if next_link else None
    assert [len(p) for p in pages] == [4, 4, 3]
    assert [row for page in pages for row in page] == whole
    second = get(endpoint, "/queries/deals", params={"per_page": 4, "page": 2})
    rels = {link["rel"] for link in requests.utils.parse_header_links(second.headers["Link"])}
    assert rels == {"first", "prev", "next"}


def test_an_etag_answers_if_none_match_with_304_and_changes_with_the_parameters(endpoint):
    first = get(endpoint, "/queries/deals", params={"target": "Alapage"})
    etag = first.headers["ETag"]
    again = get(endpoint, "/queries/deals", params={"target": "Alapage"}, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    other = get(endpoint, "/queries/deals", params={"target": "TopAchat"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    as_csv = get(endpoint, "/queries/deals", params={"target": "Alapage", "format": "csv"})
    assert as_csv.headers["ETag"] != etag


def test_unknown_parameters_are_ignored(endpoint):
    plain = get(endpoint, "/queries/deals", params={"target": "Alapage"})
    extra = get(endpoint, "/queries/deals", params={"target": "Alapage", "colour": "blue", "_target": "x"})
    assert extra.content == plain.content


def test_several_values_of_a_parameter_are_alternatives(endpoint):
    rows = bindings(get(endpoint, "/queries/deals", params=[("acquirer", "Carrefour"), ("acquirer", "Q3446822")]))
    assert sorted({r["acquirer"]["value"] for r in rows}) == [
        "https://w3id.org/dealgraph/id/org/carrefour",
        "https://w3id.org/dealgraph/id/org/rue-du-commerce",
    ]


@pytest.mark.parametrize(
    "params, parameter, value",
    [
        ({"from": "1999-02-30"}, "from", "1999-02-30"),
        ({"min_total": "lots"}, "min_total", "lots"),
        ({"outcome": "dg:Sold"}, "outcome", "dg:Sold"),
        ({"acquirer": "Nobody Inc"}, "acquirer", "Nobody Inc"),
        ({"page": "0"}, "page", "0"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter_value_and_type(endpoint, params, parameter, value):
    path = "/queries/acquirer-ranking" if "min_total" in params else "/queries/deals"
    response = get(endpoint, path, params=params)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["status"], error["parameter"], error["value"]) == (400, parameter, value)
    assert error["expected"] and error["title"] and error["detail"]


def test_an_ambiguous_organization_is_a_400_listing_the_candidates(endpoint):
    error = get(endpoint, "/queries/subsidiaries", params={"organization": "Orange"}).json()["error"]
    assert [c["iri"] for c in error["candidates"]] == [FT, "https://w3id.org/dealgraph/id/org/wanadoo"]


def test_an_unknown_query_is_a_404_in_the_error_shape(endpoint):
    response = get(endpoint, "/queries/no-such-query")
    assert response.status_code == 404 and response.json()["error"]["status"] == 404


def test_the_html_page_has_the_description_a_labelled_form_the_results_and_the_sparql(endpoint):
    response = get(endpoint, "/queries/deals", params={"format": "html", "acquirer": "France Télécom"})
    page = response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Every deal over control of a business" in page
    for name in ("acquirer", "target", "seller", "outcome", "from", "to"):
        assert f'<label for="param-{name}">' in page and f'id="param-{name}" name="{name}"' in page
    assert '<option value="dg:Completed">' in page
    assert page.count("<tr>") == 1 + 3  # header and three deals
    assert "Marcopoly" in page and "&lt;https://w3id.org/dealgraph/id/org/france-telecom&gt;" in page
    editor = page.split('href="/#query=', 1)[1].split('"', 1)[0]
    assert "VALUES ?_acquirer" in unquote(editor.replace("&amp;", "&"))


def test_the_openapi_document_is_valid_openapi_3_1_generated_from_the_query_files(endpoint):
    document = get(endpoint, "/openapi.json").json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/queries"} | {f"/queries/{name}" for name in saved_queries()}
    deals = {p["name"]: p for p in document["paths"]["/queries/deals"]["get"]["parameters"]}
    assert deals["acquirer"]["schema"] == {"type": "array", "items": {"type": "string", "minLength": 1,
                                                                       "maxLength": 2000}}  # fmt: skip
    assert deals["outcome"]["schema"]["items"]["enum"][:2] == ["dg:Completed", "dg:Pending"]
    assert deals["from"]["schema"]["format"] == "date" and deals["from"]["example"] == "2006-01-01"
    ranking = {p["name"]: p for p in document["paths"]["/queries/acquirer-ranking"]["get"]["parameters"]}
    assert ranking["min_deals"]["schema"]["type"] == "integer" and ranking["min_deals"]["example"] == 2
    ok = document["paths"]["/queries/deals"]["get"]["responses"]["200"]["content"]
    assert ok["application/sparql-results+json"]["schema"] == {"$ref": "#/components/schemas/SparqlResults"}


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_response_contradicting_the_schema(endpoint, tmp_path):
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{endpoint.url}/openapi.json",
         "--checks", f"{checks},response_headers_conformance", "--max-examples", "10",
         "--generation-deterministic", "--phases", "examples,coverage,fuzzing", "--no-color"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "No issues found" in done.stdout
    cases = next(line for line in done.stdout.splitlines() if " generated, " in line)
    print(f"schemathesis: {cases.strip()}")  # e.g. "2242 generated, 2242 passed"
