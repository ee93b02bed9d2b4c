"""/reconcile: the W3C Reconciliation Service API v0.2, checked against the spec's JSON schemas.

The schemas and their valid/invalid examples come from ``../shared/suites/reconciliation-0.2``
(skipped with the reason when absent); the service runs as a real ``dealgraph serve``.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import requests
from conftest import shared_path
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from dealgraph.wikidata.reconcile import BadQuery, check_batch

SUITE = ("suites", "reconciliation-0.2")
#: The manifest schema refers to Swagger 2.0's own schema for "authentication", which is
#: not stored here; examples that use it are left out rather than checked against a stub.
NEEDS_REMOTE_SCHEMA = {"authentication.json", "bad-authentication.json"}


def _schemas() -> dict[str, dict]:
    folder = shared_path(*SUITE, "schemas")
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}


def validator(name: str) -> jsonschema.Validator:
    """A validator for one of the spec's schemas, resolving its relative $refs to the others."""
    schemas = _schemas()
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in schemas.values() if "$id" in s
    )
    schema = schemas[name]
    return jsonschema.Draft7Validator(schema, registry=registry)


def examples(kind: str, validity: str) -> list[Path]:
    folder = shared_path(*SUITE, "examples", kind, validity)
    return sorted(p for p in folder.glob("*.json") if p.name not in NEEDS_REMOTE_SCHEMA)


@pytest.mark.parametrize(
    "kind, schema",
    [
        ("manifest", "manifest.json"),
        ("reconciliation-query-batch", "reconciliation-query-batch.json"),
        ("reconciliation-result-batch", "reconciliation-result-batch.json"),
    ],
)
def test_the_spec_examples_validate_as_the_spec_says(kind, schema):
    check = validator(schema)
    valid, invalid = examples(kind, "valid"), examples(kind, "invalid")
    assert valid and invalid
    for path in valid:
        check.validate(json.loads(path.read_text(encoding="utf-8")))
    for path in invalid:
        assert not check.is_valid(json.loads(path.read_text(encoding="utf-8"))), path.name


def test_the_service_reads_the_query_batches_the_spec_accepts_and_refuses_the_others():
    for path in examples("reconciliation-query-batch", "valid"):
        check_batch(json.loads(path.read_text(encoding="utf-8")))
    for path in examples("reconciliation-query-batch", "invalid"):
        with pytest.raises(BadQuery):
            check_batch(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def reconcile_url(endpoint) -> str:
    return endpoint.url + "/reconcile"


def test_the_manifest_follows_the_schema(reconcile_url):
    response = requests.get(reconcile_url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    manifest = response.json()
    validator("manifest.json").validate(manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://w3id.org/dealgraph/id/"
    assert manifest["schemaSpace"] == "https://w3id.org/dealgraph/ontology#"
    organization = {"id": "https://w3id.org/dealgraph/ontology#Organization", "name": "Organization"}
    assert manifest["defaultTypes"] == [organization]
    assert "{{id}}" in manifest["view"]["url"] and "{{id}}" in manifest["preview"]["url"]


CASES = {
    "q0": ("Alapage", "org/alapage", None),
    "q1": ("France Telecom", "org/france-telecom", "Q1431486"),
    "q2": ("Amazon.com", "org/amazon", "Q3884"),
    "q3": ("Rue-du-Commerce", "org/rue-du-commerce", "Q3446822"),
}


def _check_answers(results: dict) -> None:
    validator("reconciliation-result-batch.json").validate(results)
    for key, (_, expected, wikidata) in CASES.items():
        first = results[key]["result"][0]
        assert first["id"] == expected
        assert first["match"] is True
        assert first.get("wikidata") == wikidata
        assert all(not other["match"] for other in results[key]["result"][1:])
    assert not any(candidate["match"] for candidate in results["unknown"]["result"])


def _batch() -> dict:
    batch = {key: {"query": text} for key, (text, _, _) in CASES.items()}
    batch["unknown"] = {"query": "Zyxwv Quantum Holdings", "type": "https://w3id.org/dealgraph/ontology#Organization"}
    validator("reconciliation-query-batch.json").validate(batch)
    return batch


def test_a_batch_by_get_finds_the_right_organizations(reconcile_url):
    response = requests.get(reconcile_url, params={"queries": json.dumps(_batch())}, timeout=10)
    assert response.status_code == 200
    _check_answers(response.json())


def test_a_batch_by_post_finds_the_right_organizations(reconcile_url):
    response = requests.post(reconcile_url, data={"queries": json.dumps(_batch())}, timeout=10)
    assert response.status_code == 200
    _check_answers(response.json())


def test_an_ambiguous_name_gets_candidates_but_no_match(reconcile_url):
    """"Orange" is France Télécom's later name and Wanadoo's: both are candidates, neither a match."""
    batch = {"q0": {"query": "Orange", "limit": 3}}
    results = requests.get(reconcile_url, params={"queries": json.dumps(batch)}, timeout=10).json()
    ids = {c["id"] for c in results["q0"]["result"]}
    assert {"org/france-telecom", "org/wanadoo"} <= ids
    assert not any(c["match"] for c in results["q0"]["result"])


def test_property_constraints_and_types(reconcile_url):
    batch = {
        "byWikidata": {"properties": [{"pid": "wikidata", "v": "Q3884"}]},
        "nameAndWikidata": {"query": "Orange", "properties": [{"pid": "wikidata", "v": {"id": "Q1431486"}}]},
        "wrongType": {"query": "Alapage", "type": "https://schema.org/Person"},
    }
    results = requests.post(reconcile_url, data={"queries": json.dumps(batch)}, timeout=10).json()
    validator("reconciliation-result-batch.json").validate(results)
    assert results["byWikidata"]["result"][0]["id"] == "org/amazon"
    assert results["byWikidata"]["result"][0]["match"] is True
    assert results["nameAndWikidata"]["result"][0]["id"] == "org/france-telecom"
    assert results["wrongType"]["result"] == []


def test_a_batch_the_schema_refuses_is_a_400_in_the_common_error_shape(reconcile_url):
    bad = json.loads((examples("reconciliation-query-batch", "invalid")[-1]).read_text(encoding="utf-8"))
    response = requests.post(reconcile_url, data={"queries": json.dumps(bad)}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400
    response = requests.get(reconcile_url, params={"queries": "{not json"}, timeout=10)
    assert response.status_code == 400


def test_the_preview_shows_the_organization_and_its_wikidata_item(reconcile_url):
    response = requests.get(reconcile_url + "/preview", params={"id": "org/rue-du-commerce"}, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "Rue du Commerce" in response.text and "Q3446822" in response.text
    assert requests.get(reconcile_url + "/preview", params={"id": "org/nobody"}, timeout=10).status_code == 404
