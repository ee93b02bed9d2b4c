"""Which outbound calls a query may make: ``SERVICE`` (and ``LOAD``) only to allowed endpoints.

Oxigraph evaluates ``SERVICE <url>`` itself, with its own HTTP client, and an update's
``LOAD <url>`` fetches too; left alone, any query could make the server call any URL
(an SSRF). So every query and update is checked before it reaches the engine: the
IRI after each ``SERVICE``/``LOAD`` keyword (``SILENT`` or not) must be one of
:attr:`dealgraph.config.Settings.allowed_services`, which is empty by default: no
outbound calls at all. A ``SERVICE ?variable`` is refused, since its target is not
known before evaluation, and so is anything the check cannot read for certain.

The check reads the query's tokens (:func:`dealgraph.sparql_tokens.tokens`: strings
and comments are skipped), resolving prefixed names with the query's own ``PREFIX``
declarations and dealgraph's default prefixes, and relative IRIs against ``BASE``.
A text whose strings or brackets do not close cannot be read for certain, so it is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urljoin

from .sparql_tokens import Token, UnreadableSparql, tokens
from .store import QueryError
from .vocab import PREFIXES

_OUTBOUND = ("SERVICE", "LOAD")


class ServiceNotAllowed(QueryError):
    """A query or update that would call an endpoint that is not allowed."""


def outbound_targets(sparql: str, base_iri: str | None = None) -> list[str]:
    """The endpoint IRIs a query or update would call, in order; raises ServiceNotAllowed when unreadable."""
    prefixes = dict(PREFIXES)
    base = base_iri
    found: list[str] = []
    seen = _significant_tokens(sparql)
    for index, token in enumerate(seen):
        word = token.keyword
        following = seen[index + 1 : index + 3]
        if word == "PREFIX" and len(following) == 2 and following[0].kind == "word" and following[1].kind == "iri":
            prefixes[following[0].text.rstrip(":")] = urljoin(base or "", following[1].text[1:-1])
        elif word == "BASE" and following and following[0].kind == "iri":
            base = urljoin(base or "", following[0].text[1:-1])
        elif word in _OUTBOUND:
            target = following[0] if following else None
            if target is not None and target.keyword == "SILENT":
                target = following[1] if len(following) > 1 else None
            found.append(_resolve(word, target, prefixes, base))
    return found


def _significant_tokens(sparql: str) -> list[Token]:
    """The tokens of *sparql* but its punctuation; ServiceNotAllowed when they cannot be read."""
    try:
        return [t for t in tokens(sparql) if t.text not in ("(", ")", ".", ";", ",")]
    except UnreadableSparql as error:
        raise ServiceNotAllowed(f"the endpoints it would call cannot be read: {error}") from None


def _resolve(keyword: str, token: Token | None, prefixes: dict[str, str], base: str | None) -> str:
    if token is None:
        raise ServiceNotAllowed(f"{keyword} without an endpoint IRI")
    if token.kind == "iri":
        return urljoin(base or "", token.text[1:-1])
    if token.kind == "word" and ":" in token.text:
        prefix, local = token.text.split(":", 1)
        if prefix in prefixes and "\\" not in local:
            return prefixes[prefix] + local
    if token.variable:
        raise ServiceNotAllowed(f"{keyword} {token.text}: an endpoint chosen by a variable is not allowed")
    raise ServiceNotAllowed(f"{keyword} {token.text}: the endpoint IRI cannot be read")


def check_outbound(sparql: str, allowed: Collection[str], base_iri: str | None = None) -> None:
    """Raise ServiceNotAllowed unless every SERVICE/LOAD endpoint of *sparql* is in *allowed*."""
    if "service" not in sparql.lower() and "load" not in sparql.lower():
        return
    for target in outbound_targets(sparql, base_iri):
        if not target.lower().startswith(("http://", "https://")):  # never file: or other schemes, even if listed
            raise ServiceNotAllowed(f"calls to {target} are not allowed: only http(s) endpoints can be allowed")
        if target not in allowed:
            shown = ", ".join(sorted(allowed)) or "none: the allow-list (DEALGRAPH_ALLOWED_SERVICES) is empty"
            raise ServiceNotAllowed(f"calls to {target} are not allowed; allowed endpoints: {shown}")
