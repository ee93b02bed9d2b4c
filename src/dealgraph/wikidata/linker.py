"""The candidate linker: Wikidata items that may be an unlinked organization, with a score and why.

It proposes and never decides. ``dealgraph link`` writes the candidates to a review
file (TSV) in which a person marks each row ``accept`` or ``reject``; only accepted
rows become links (:mod:`.links`), as ``skos:exactMatch`` with their evidence.

A candidate is found by name — every name of the organization (label, other names,
in any language) against every name of the item (labels in any language,
``schema:name``, ``skos:altLabel``, official name P1448), compared by
:func:`.names.similarity` (case, accents, punctuation, legal forms folded away) —
and then weighed by supporting evidence: the same country (P17), an inception (P571)
in the organization's founding year, and no inception after the organization is
first seen doing a deal. The score is the name similarity plus or minus that
evidence, 0–100; ``features`` keeps each part so a reviewer sees why.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process
from rdflib import URIRef

from .links import AcceptedLink, qid_of
from .names import key, similarity

#: A candidate at or above this score, clearly ahead of the next one, is "confident":
#: the reconciliation service says match=true, the review file pre-sorts it first.
CONFIDENT = 90.0
#: How far ahead of the runner-up a confident candidate must be.
MARGIN = 5.0
#: Candidates below this score are not proposed at all.
PROPOSE_FROM = 70.0

COUNTRY_MATCH, COUNTRY_MISMATCH = 3.0, -15.0
#: An item already linked to another organization is rarely a second one's (a brand, a former name).
ALREADY_LINKED = -30.0
FOUNDED_MATCH, BORN_AFTER_SEEN = 3.0, -20.0


@dataclass(frozen=True)
class Organization:
    """What the linker knows about one organization: names and the dates and country that support a match."""

    iri: str
    label: str
    names: tuple[str, ...]
    country: str | None = None
    founded: int | None = None
    first_seen: int | None = None


@dataclass(frozen=True)
class Item:
    """A Wikidata item of the snapshot: its names, countries and inception years."""

    qid: str
    label: str
    names: tuple[str, ...]
    countries: frozenset[str] = frozenset()
    inceptions: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Candidate:
    organization: Organization
    item: Item
    score: float
    features: dict = field(default_factory=dict)
    confident: bool = False

    def features_text(self) -> str:
        return ";".join(f"{k}={v}" for k, v in self.features.items())


def _clip(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


def weigh(organization: Organization, item: Item, taken: frozenset[str] = frozenset()) -> Candidate:
    """The score of *item* as *organization* and the features behind it.

    *taken* are the items already linked to some organization.
    """
    pairs = [(similarity(a, b), a, b) for a in organization.names for b in item.names]
    name_score, _, matched = max(pairs) if pairs else (0.0, "", "")
    features: dict = {"name": round(name_score, 1), "matched_name": matched}
    score = name_score
    if organization.country and item.countries:
        same = organization.country in item.countries
        features["country"] = same
        score += COUNTRY_MATCH if same else COUNTRY_MISMATCH
    if item.inceptions:
        if organization.founded is not None:
            same_year = organization.founded in item.inceptions
            features["founded_year"] = same_year
            score += FOUNDED_MATCH if same_year else 0.0
        if organization.first_seen is not None:
            born_after = min(item.inceptions) > organization.first_seen
            features["inception_after_first_deal"] = born_after
            score += BORN_AFTER_SEEN if born_after else 0.0
    if item.qid in taken:
        features["already_linked"] = True
        score += ALREADY_LINKED
    return Candidate(organization, item, _clip(score), features)


class CandidateIndex:
    """The snapshot's items, searchable by normalised name."""

    def __init__(self, items: Iterable[Item], taken: Iterable[str] = ()):
        self.items = {item.qid: item for item in items}
        self.taken = frozenset(taken)
        self._by_key: dict[str, set[str]] = {}
        for item in self.items.values():
            for name in item.names:
                self._by_key.setdefault(key(name), set()).add(item.qid)
        self._keys = list(self._by_key)

    def __len__(self) -> int:
        return len(self.items)

    def _nearby(self, name: str, limit: int) -> set[str]:
        wanted = key(name)
        found = set(self._by_key.get(wanted, ()))
        for other, _, _ in process.extract(wanted, self._keys, scorer=fuzz.ratio, score_cutoff=75, limit=limit):
            found |= self._by_key[other]
        return found

    def candidates(self, organization: Organization, limit: int = 3) -> list[Candidate]:
        """The best *limit* candidates for *organization*, best first; the first may be confident."""
        qids: set[str] = set()
        for name in organization.names:
            qids |= self._nearby(name, limit=10)
        weighed = sorted(
            (weigh(organization, self.items[q], self.taken) for q in qids),
            key=lambda c: (-c.score, int(c.item.qid[1:])),
        )
        weighed = [c for c in weighed if c.score >= PROPOSE_FROM][:limit]
        if weighed:
            runner_up = weighed[1].score if len(weighed) > 1 else 0.0
            best = weighed[0]
            if best.score >= CONFIDENT and best.score - runner_up >= MARGIN:
                weighed[0] = Candidate(best.organization, best.item, best.score, best.features, confident=True)
        return weighed


# ---------------------------------------------------------------- reading the dataset

def linked_items(store) -> set[str]:
    """The Wikidata items some organization is already linked to."""
    rows = store.query(
        "SELECT DISTINCT ?item WHERE { ?org owl:sameAs|skos:exactMatch ?item FILTER(STRSTARTS(STR(?org), STR(id:))) }"
    ).rows()
    return {q for r in rows if (q := qid_of(r["item"]))}


ORGANIZATIONS_QUERY = """
SELECT ?org ?label ?name ?linked ?founded ?seen WHERE {
  ?org a dg:Organization .
  FILTER(STRSTARTS(STR(?org), STR(id:)))
  OPTIONAL { ?org rdfs:label ?label FILTER(LANG(?label) = "") }
  { ?org rdfs:label|skos:altLabel|schema:name ?name }
  UNION { ?org owl:sameAs|skos:exactMatch ?linked FILTER(STRSTARTS(STR(?linked), STR(wd:))) }
  UNION { ?founding a dg:Founding ; dg:organization ?org ; dg:dateEarliest ?founded }
  UNION {
    ?deal dg:acquirer|dg:target|dg:seller|dg:competingBidder ?org ; dg:dateEarliest ?seen .
  }
}
"""

ITEMS_QUERY = """
SELECT ?item ?name ?country ?inception WHERE {
  GRAPH ?g {
    { ?item rdfs:label|schema:name|skos:altLabel|wdt:P1448 ?name }
    UNION { ?item wdt:P17 ?country }
    UNION { ?item wdt:P571 ?inception }
  }
  FILTER(?g = <https://w3id.org/dealgraph/graph/wikidata>)
  FILTER(STRSTARTS(STR(?item), STR(wd:)))
}
"""


def unlinked_organizations(store) -> list[Organization]:
    """Every organization below ``id:`` with no Wikidata link yet, with its names and dates."""
    found: dict[str, dict] = {}
    for row in store.query(ORGANIZATIONS_QUERY).rows():
        entry = found.setdefault(str(row["org"]), {"label": "", "names": set(), "linked": False, "dates": {}})
        if "label" in row:
            entry["label"] = str(row["label"])
        if "name" in row:
            entry["names"].add(str(row["name"]))
        if "linked" in row:
            entry["linked"] = True
        for field_name in ("founded", "seen"):
            if field_name in row:
                year = int(str(row[field_name])[:4])
                entry["dates"][field_name] = min(year, entry["dates"].get(field_name, year))
    return [
        Organization(
            iri=iri,
            label=entry["label"] or min(entry["names"], default=iri),
            names=tuple(sorted(entry["names"])),
            founded=entry["dates"].get("founded"),
            first_seen=entry["dates"].get("seen"),
        )
        for iri, entry in sorted(found.items())
        if not entry["linked"] and entry["names"]
    ]


def snapshot_items(store) -> list[Item]:
    """The items of the Wikidata snapshot graph, as the linker compares them."""
    found: dict[str, dict] = {}
    for row in store.query(ITEMS_QUERY).rows():
        qid = qid_of(row["item"])
        if qid is None:
            continue
        entry = found.setdefault(qid, {"names": set(), "label": "", "countries": set(), "inceptions": set()})
        if "name" in row:
            entry["names"].add(str(row["name"]))
            if getattr(row["name"], "language", None) == "en" and not entry["label"]:
                entry["label"] = str(row["name"])
        if "country" in row and (country := qid_of(row["country"])):
            entry["countries"].add(country)
        if "inception" in row:
            entry["inceptions"].add(int(str(row["inception"])[:4]))
    return [
        Item(
            qid,
            e["label"] or min(e["names"]),
            tuple(sorted(e["names"])),
            frozenset(e["countries"]),
            frozenset(e["inceptions"]),
        )
        for qid, e in sorted(found.items())
        if e["names"]
    ]


# ---------------------------------------------------------------- the review file

REVIEW_COLUMNS = (
    "decision",
    "organization",
    "organization_label",
    "wikidata",
    "wikidata_label",
    "score",
    "confident",
    "features",
    "reviewer",
)
DECISIONS = ("", "accept", "reject")


def write_review(path: Path, candidates: Iterable[Candidate], previous: dict[tuple[str, str], dict] | None = None):
    """The review file: one row per candidate, a person fills ``decision`` (accept/reject) and ``reviewer``.

    Decisions already made in *previous* (a former review file) are kept.
    """
    previous = previous or {}
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=REVIEW_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for c in candidates:
            kept = previous.get((c.organization.iri, c.item.qid), {})
            writer.writerow(
                {
                    "decision": kept.get("decision", ""),
                    "organization": c.organization.iri,
                    "organization_label": c.organization.label,
                    "wikidata": c.item.qid,
                    "wikidata_label": c.item.label,
                    "score": f"{c.score:.1f}",
                    "confident": "yes" if c.confident else "no",
                    "features": c.features_text(),
                    "reviewer": kept.get("reviewer", ""),
                }
            )


class ReviewError(ValueError):
    """A review file that cannot be applied; names the file and line."""


def read_review(path: Path) -> Iterator[tuple[int, dict]]:
    """The rows of a review file with their line numbers, checked."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream, delimiter="\t")
        missing = set(REVIEW_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ReviewError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, start=2):
            decision = (row.get("decision") or "").strip().lower()
            if decision not in DECISIONS:
                raise ReviewError(f"{path}:{number}: decision must be accept, reject or empty, not {decision!r}")
            yield number, {**row, "decision": decision}


def accepted(path: Path, day: date | None = None) -> list[AcceptedLink]:
    """The rows a person accepted, as links to write; an organization accepted twice is an error."""
    links: dict[str, AcceptedLink] = {}
    for number, row in read_review(path):
        if row["decision"] != "accept":
            continue
        organization, qid = row["organization"].strip(), row["wikidata"].strip()
        if not qid.startswith("Q") or not qid[1:].isdigit():
            raise ReviewError(f"{path}:{number}: {qid!r} is not a Wikidata Q-id")
        if organization in links and links[organization].qid != qid:
            raise ReviewError(f"{path}:{number}: {organization} is accepted as two different items")
        reviewer = (row.get("reviewer") or "").strip()
        if not reviewer:
            raise ReviewError(f"{path}:{number}: an accepted row needs the reviewer's name")
        links[organization] = AcceptedLink(
            URIRef(organization), qid, float(row["score"] or 0), row["features"], reviewer, day or date.today()
        )
    return list(links.values())
