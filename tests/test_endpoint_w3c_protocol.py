"""The W3C SPARQL 1.1 Protocol test suite (``../shared/suites/sparql11/protocol``), over HTTP.

Each test of the manifest is a list of HTTP requests with the status class, format and
boolean expected of each answer. The server is the small-dataset one, whose graphs
are the suite's ``data1.nt`` … ``data3.nt`` under the names the suite gives them.
Updates are not part of ``/sparql`` (it answers queries; updates have their own
endpoint), so the update tests that expect success are skipped, while those that
expect a refusal run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import requests
from conftest import SHARED
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection
from rdflib.query import Result

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

MANIFEST = SHARED / "suites" / "sparql11" / "protocol" / "manifest.ttl"
RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_FORMATS = {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"}


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]


def _request(manifest: Graph, node) -> ProtocolRequest:
    headers = {}
    header_list = manifest.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(manifest, header_list):
            headers[str(manifest.value(header, HT.fieldName))] = str(manifest.value(header, HT.fieldValue))
    body_node = manifest.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(manifest.value(body_node, CNT.chars)).encode(encoding)
    response = manifest.value(node, HT.resp)
    statuses = frozenset(str(s).rsplit("#", 1)[1] for s in manifest.objects(response, MF.expectedStatus))
    expected_boolean = manifest.value(response, MF.expectedBoolean)
    expected_format = manifest.value(response, MF.expectedFormat)
    return ProtocolRequest(
        method=str(manifest.value(node, HT.methodName)),
        path="/sparql" + str(manifest.value(node, HT.absolutePath)).removeprefix("/sparql/"),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(expected_format) if expected_format is not None else None,
        expected_boolean=expected_boolean.toPython() if expected_boolean is not None else None,
    )


def protocol_tests() -> list[ProtocolTest]:
    if not MANIFEST.exists():
        return []
    manifest = Graph().parse(MANIFEST, format="turtle")
    tests = []
    entries = manifest.value(next(manifest.subjects(RDF.type, MF.Manifest)), MF.entries)
    for test in Collection(manifest, entries):
        action = manifest.value(test, MF.action)
        requests_list = Collection(manifest, manifest.value(action, HT.requests))
        tests.append(
            ProtocolTest(
                name=str(test).rsplit("#", 1)[1],
                title=str(manifest.value(test, MF.name)),
                requests=tuple(_request(manifest, r) for r in requests_list),
            )
        )
    return tests


TESTS = protocol_tests()


def _status_class(status: int) -> str:
    return f"StatusCode{status // 100}xx"


def _check(response: requests.Response, expected: ProtocolRequest) -> None:
    assert _status_class(response.status_code) in expected.statuses, (response.status_code, response.text[:500])
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if expected.expected_format in ("boolean", "tabular"):
        assert media_type in RESULT_FORMATS, media_type
    if expected.expected_format == "RDF":
        assert media_type in RDF_FORMATS, media_type
        Graph().parse(data=response.text, format=media_type)
    if expected.expected_boolean is not None:
        result = Result.parse(io.BytesIO(response.content), format=RESULT_FORMATS[media_type])
        assert result.askAnswer is expected.expected_boolean


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(strict_endpoint, test: ProtocolTest):
    if test.name.startswith("update_"):
        pytest.skip("updates are answered by POST /update, not by the query endpoint /sparql")
    for request in test.requests:
        response = requests.request(
            request.method, strict_endpoint.url + request.path, headers=request.headers, data=request.body, timeout=30
        )
        _check(response, request)


def test_the_suite_is_here_and_complete():
    if not MANIFEST.exists():
        pytest.skip(f"{MANIFEST} is not here (the shared folder comes with the workplace, not the repository)")
    assert len(TESTS) == 34
