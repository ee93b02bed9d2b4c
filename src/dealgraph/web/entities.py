"""``GET /id/<path>``: the description of ``https://w3id.org/dealgraph/id/<path>``.

One IRI, several representations (content negotiation on ``Accept``, or
``?format=``): an HTML page for browsers — an organization's names, deals,
ownership and events; a deal's parties, terms, sources and inferred consequences;
a table of all statements for anything else — and, for machines, the triples with
the resource as subject (in every graph, inferred included) with the blank nodes
they point to (evidence, amounts), in Turtle, JSON-LD, N-Triples or RDF/XML.
An IRI with no triples is a 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..vocab import DG, ID
from . import facts, formats
from .errors import ApiError
from .i18n import language, words
from .lookup import ask, checked_iri, construct, values
from .pictures import alt_text

bp = Blueprint("entities", __name__, template_folder="templates")

#: The representations of a resource, HTML first: a browser (or ``*/*``) gets the page.
OFFERED = formats.RESOURCE_FORMATS
_BY_NAME = {f.name: f for f in OFFERED}
_EXTENSIONS = {"turtle": "ttl", "jsonld": "jsonld", "ntriples": "nt", "rdfxml": "rdf"}


def describe_query(iri) -> str:
    """The triples that describe *iri*: its own, and those of the blank nodes it points to."""
    return (
        f"CONSTRUCT {{ ?this ?p ?o . ?o ?p2 ?o2 }} WHERE {{ {values('this', [iri])} "
        "?this ?p ?o OPTIONAL { FILTER(isBlank(?o)) ?o ?p2 ?o2 } }"
    )


def _alternates(path: str) -> str:
    return ", ".join(f'</id/{path}?format={f.name}>; rel="alternate"; type="{f.media_type}"' for f in OFFERED)


@bp.route("/id/<path:path>")
def describe(path: str) -> Response:
    """The resource's page or its triples, by ``Accept``."""
    iri = checked_iri(str(ID) + path)
    if iri is None or not ask(f"ASK {{ {values('this', [iri])} ?this ?p ?o }}"):
        raise ApiError(404, "Not Found", f"nothing is known about <{ID}{path}>")
    chosen = formats.requested(OFFERED, "a resource is described in")
    if chosen.name == "html":
        body = _page(iri, path)
    else:
        body = construct(describe_query(iri), chosen.name)
    response = Response(body, 200, content_type=chosen.content_type)
    response.vary.update(("Accept", "Accept-Language"))
    response.headers["Link"] = _alternates(path)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page(iri, path: str) -> str:
    lang = language()
    kinds = facts.types(iri)
    names = facts.labels({iri}, lang)
    context = {
        "t": words(lang),
        "lang": lang,
        "iri": str(iri),
        "path": path,
        "title": names.get(str(iri), path),
        "types": [facts.link(t, facts.labels(kinds, lang)) for t in sorted(kinds)],
        "formats": [(f.name, f.media_type, _EXTENSIONS[f.name]) for f in OFFERED if f.name != "html"],
        "statements": facts.statements(iri, lang),
        "referenced_by": facts.referenced_by(iri, lang),
        "why": facts.why(iri, lang),
        "short": facts.short,
        "Money": facts.Money,
    }
    if DG.Organization in kinds:
        context["org"] = facts.organization(iri, lang)
        context["timeline_alt"] = alt_text("timeline", iri, lang)
        context["ownership_alt"] = alt_text("ownership", iri, lang)
        return render_template("pages/organization.html", **context)
    if DG.Deal in kinds:
        context["deal"] = facts.deal(iri, lang)
        return render_template("pages/deal.html", **context)
    return render_template("pages/resource.html", **context)
