"""Pictures of the graph, drawn on the server with matplotlib (Agg): SVG or PNG.

* ``/pictures/timeline.svg`` and ``/pictures/timeline/<id path>.svg`` — the deals
  (acquisitions, sales, attempted sales) and integrations of the whole dataset or of
  one organization along time; the marker says the kind, its colour the outcome,
  a bar the precision of the date (a whole year for ``1999``).
* ``/pictures/ownership.svg`` and ``/pictures/ownership/<id path>.svg`` — who owned
  (inferred ``dg:Ownership`` periods), operated or held a stake in whom, as layers
  from the top holders down, for the whole dataset or two steps around one
  organization.

``.png`` instead of ``.svg`` gives the same picture as a bitmap. Labels follow the
request's language (:mod:`.i18n`). :func:`alt_text` says in words what a picture
shows, for the pages' ``alt`` attributes.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask import Blueprint, Response
from rdflib import URIRef

from ..vocab import DG, ID
from . import facts
from .dataset import served
from .errors import ApiError
from .i18n import language, term
from .lookup import checked_iri, select, values

if TYPE_CHECKING:
    from matplotlib.figure import Figure

bp = Blueprint("pictures", __name__)

KINDS = ("timeline", "ownership")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}

#: Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
OUTCOME_COLOURS = {
    "Completed": "#009E73",
    "Pending": "#E69F00",
    "Rumoured": "#CC79A7",
    "SeekingBuyer": "#0072B2",
    "Withdrawn": "#999999",
    "Failed": "#D55E00",
    "": "#444444",
}
KIND_MARKERS = {"Acquisition": "o", "Divestiture": "s", "AttemptedSale": "D", "Integration": "^", "Merger": "v"}

_TITLES = {
    ("timeline", "en"): "Deals of {name}",
    ("timeline", "fr"): "Opérations de {name}",
    ("ownership", "en"): "Ownership and control around {name}",
    ("ownership", "fr"): "Propriété et contrôle autour de {name}",
    ("timeline", "en", None): "Deals in the dataset",
    ("timeline", "fr", None): "Opérations du jeu de données",
    ("ownership", "en", None): "Ownership and control in the dataset",
    ("ownership", "fr", None): "Propriété et contrôle dans le jeu de données",
}
_EDGE_WORDS = {
    "owns": {"en": "owned", "fr": "possédé"},
    "operates": {"en": "operates", "fr": "exploite"},
    "stake": {"en": "stake", "fr": "participation"},
    "after": {"en": "after", "fr": "après"},
    "undated": {"en": "{n} undated fact(s) not shown.", "fr": "{n} fait(s) non daté(s) non affiché(s)."},
    "empty": {"en": "Nothing to draw.", "fr": "Rien à dessiner."},
    "today": {"en": "now", "fr": "auj."},
}

_render_lock = threading.Lock()
_cache: dict[tuple, bytes] = {}


# ------------------------------------------------------------------ data


@dataclass
class Moment:
    """A deal or integration on the timeline, with the day bounds of its date."""

    iri: str
    label: str
    kind: str
    outcome: str
    date: str | None
    earliest: date | None
    latest: date | None
    after: bool = False
    price: facts.Money | None = None


def _year(day: date) -> float:
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _day(node) -> date | None:
    try:
        return date.fromisoformat(str(node)[:10])
    except ValueError:
        return None


def timeline(org: URIRef | None, lang: str) -> list[Moment]:
    """Deals and integrations (of *org*, or all), dated ones in order, then undated ones."""
    focus = values("org", [org]) if org is not None else ""
    deal_role = "?fact dg:acquirer|dg:target|dg:seller|dg:competingBidder ?org ." if org is not None else ""
    event_role = "?fact dg:organization|dg:integrated|dg:into ?org ." if org is not None else ""
    rows = select(
        f"""SELECT DISTINCT ?fact ?integration ?merger ?acquirer ?seller ?outcome ?date ?earliest ?latest
                   ?scheduled ?afterEarliest ?amount ?currency WHERE {{
          {focus}
          {{ ?fact a dg:Deal . {deal_role} }} UNION {{ ?fact a dg:Integration . {event_role} }}
          FILTER(STRSTARTS(STR(?fact), STR(id:)))
          BIND(EXISTS {{ ?fact a dg:Integration }} AS ?integration)
          BIND(EXISTS {{ ?fact a dg:Merger }} AS ?merger)
          BIND(EXISTS {{ ?fact dg:acquirer ?a }} AS ?acquirer)
          BIND(EXISTS {{ ?fact dg:seller ?s }} AS ?seller)
          OPTIONAL {{ ?fact dg:outcome ?outcome }}
          OPTIONAL {{ ?fact dg:date ?date }}
          OPTIONAL {{ ?fact dg:dateEarliest ?earliest }} OPTIONAL {{ ?fact dg:dateLatest ?latest }}
          OPTIONAL {{ ?fact dg:scheduledDate ?scheduled }}
          OPTIONAL {{ ?fact dg:after/dg:dateEarliest ?afterEarliest }}
          OPTIONAL {{ ?fact dg:price [ schema:value ?amount ; schema:currency ?currency ] }}
        }}"""
    )
    names = facts.labels({r["fact"] for r in rows}, lang)
    moments: dict[str, Moment] = {}
    for row in rows:
        iri = str(row["fact"])
        if iri in moments:
            continue
        outcome = facts.local_name(row.get("outcome")) if "outcome" in row else ""
        if str(row["merger"]) == "true":
            kind = "Merger"
        elif str(row["integration"]) == "true":
            kind = "Integration"
        elif str(row["seller"]) == "true" and outcome != "Completed":
            kind = "AttemptedSale"
        elif str(row["acquirer"]) == "true":
            kind = "Acquisition"
        else:
            kind = "Divestiture"
        earliest, latest, after = _day(row.get("earliest")), _day(row.get("latest")), False
        shown_date = str(row["date"]) if "date" in row else None
        if earliest is None and "scheduled" in row:
            earliest = latest = _day(row["scheduled"])
            shown_date = str(row["scheduled"])
        if earliest is None and "afterEarliest" in row:
            earliest = latest = _day(row["afterEarliest"])
            after = True
        moments[iri] = Moment(
            iri,
            names.get(iri, facts.short(iri)),
            kind,
            outcome,
            shown_date,
            earliest,
            latest,
            after,
            facts.money(row.get("amount"), row.get("currency")),
        )
    return sorted(moments.values(), key=lambda m: (m.earliest is None, m.earliest or date.max, m.after, m.label))


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    #: ``owns``, ``operates`` or ``stake``.
    kind: str
    #: The ownership period, or the stake's percentage.
    text: str = ""

    def words(self, lang: str) -> str:
        return f"{_EDGE_WORDS[self.kind][lang]} {self.text}".strip()


#: Ownership, operation and stake edges; with ``{values}`` (a ``VALUES ?n`` block), only
#: those that touch one of its nodes, at either end. One query per kind, each starting
#: from the block: Oxigraph does not carry a block into the branches of a UNION (at 1 M
#: triples, one node: 2.2 s as one query, 0.03 s as three).
_EDGES = (
    """SELECT DISTINCT ?kind ?a ?b ?start ?end WHERE {{ {values}
      {{ ?p dg:owner ?n }} UNION {{ ?p dg:owned ?n }}
      ?p a dg:Ownership ; dg:owner ?a ; dg:owned ?b BIND("owns" AS ?kind)
      OPTIONAL {{ ?p dg:startDate ?start }} OPTIONAL {{ ?p dg:endDate ?end }} }}""",
    """SELECT DISTINCT ?kind ?a ?b WHERE {{ {values}
      {{ ?n dg:operates ?b BIND(?n AS ?a) }} UNION {{ ?a dg:operates ?n BIND(?n AS ?b) }}
      BIND("operates" AS ?kind) }}""",
    """SELECT DISTINCT ?kind ?a ?b ?pct WHERE {{ {values}
      {{ ?s dg:holder ?n }} UNION {{ ?s dg:held ?n }}
      ?s a dg:Stake ; dg:holder ?a ; dg:held ?b BIND("stake" AS ?kind) OPTIONAL {{ ?s dg:percentage ?pct }} }}""",
)
#: Beyond this many organizations around one, its picture stops at its own edges (a
#: large acquirer's second step reaches thousands: unreadable, and slow to ask for).
_CROWDED = 60


def ownership(org: URIRef | None, lang: str) -> tuple[dict[str, str], list[Edge]]:
    """Organizations (IRI → label) and the ownership, operation and stake edges between them.

    Around *org*: the organizations at most two edges away from it, either way, and the
    edges between them, asked for step by step from *org* (reading every edge of the
    dataset took 12 s at 1 M triples); one step only when the first reaches more than
    :data:`_CROWDED`.
    """
    if org is None:
        found = _edges_touching(None)
    else:
        found = _edges_touching({str(org)})
        near = {str(org)} | _ends(found)
        if len(near) <= _CROWDED:
            near |= _ends(_edges_touching(near))
            found = [e for e in _edges_touching(near) if e.source in near and e.target in near]
    nodes = _ends(found) | ({str(org)} if org is not None else set())
    names = facts.labels({URIRef(n) for n in nodes}, lang)
    return {n: names.get(n, facts.short(n)) for n in nodes}, found


def _edges_touching(nodes: set[str] | None) -> list[Edge]:
    """The edges with an end in *nodes* (all of them for ``None``), organizations only."""
    block = "" if nodes is None else values("n", [URIRef(n) for n in nodes])
    rows = [row for query in _EDGES for row in select(query.format(values=block))]
    inside = str(ID)
    return _edges([row for row in rows if str(row["a"]).startswith(inside) and str(row["b"]).startswith(inside)])


def _ends(edges: list[Edge]) -> set[str]:
    return {n for e in edges for n in (e.source, e.target)}


def _edges(rows: list[dict]) -> list[Edge]:
    """One edge per (source, target, kind); of an organization owned twice, the period with the most said."""
    edges: dict[tuple[str, str, str], Edge] = {}
    for row in rows:
        kind = str(row["kind"])
        text = ""
        if kind == "owns":
            text = f"{row.get('start', '?')} – {row.get('end', '')}".strip()
        elif kind == "stake" and "pct" in row:
            text = f"{row['pct']}\u00a0%"
        key = (str(row["a"]), str(row["b"]), kind)
        if key not in edges or (kind == "owns" and len(text) > len(edges[key].text)):
            edges[key] = Edge(*key, text)
    return list(edges.values())


# ------------------------------------------------------------------ drawing


def _figure(width: float, height: float) -> Figure:
    # matplotlib is imported on the first picture, not when the server starts (≈0.5 s).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained", dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _legend_line(**style):
    from matplotlib.lines import Line2D

    return Line2D([], [], **style)


def _title(kind: str, lang: str, name: str | None) -> str:
    if name is None:
        return _TITLES[(kind, lang, None)]
    return _TITLES[(kind, lang)].format(name=name)


def draw_timeline(moments: list[Moment], title: str, lang: str) -> Figure:
    dated = [m for m in moments if m.earliest is not None]
    figure = _figure(11, 1.9 + 0.42 * max(len(dated), 1))
    ax = figure.add_subplot()
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    if not dated:
        ax.text(0.5, 0.5, _EDGE_WORDS["empty"][lang], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure
    for row, moment in enumerate(dated):
        y = len(dated) - 1 - row
        start, end = _year(moment.earliest), _year(moment.latest or moment.earliest) + 1 / 365.25
        colour = OUTCOME_COLOURS.get(moment.outcome, OUTCOME_COLOURS[""])
        if end - start > 0.05:
            ax.plot([start, end], [y, y], color=colour, linewidth=7, alpha=0.3, solid_capstyle="butt")
        middle = (start + end) / 2
        ax.plot(
            middle,
            y,
            marker=KIND_MARKERS[moment.kind],
            markersize=10,
            color=colour,
            markerfacecolor="white" if moment.after else colour,
            markeredgecolor=colour if moment.after else "black",
            markeredgewidth=1.5 if moment.after else 0.6,
            linestyle="none",
        )
        when = moment.date or f"{_EDGE_WORDS['after'][lang]} {moment.earliest.year}"
        parts = [when, term(moment.kind, lang)]
        if moment.outcome:
            parts.append(term(moment.outcome, lang))
        if moment.price is not None:
            parts.append(moment.price.text(lang))
        ax.annotate(" · ".join(parts), (end, y), xytext=(10, 0), textcoords="offset points", va="center", fontsize=8.5)
    first = min(_year(m.earliest) for m in dated)
    last = max(_year(m.latest or m.earliest) for m in dated)
    ax.set_xlim(int(first) - 0.5, int(last) + max(5.5, (last - first + 1) * 0.55))
    ax.set_ylim(-0.7, len(dated) - 0.3)
    ax.set_yticks(range(len(dated) - 1, -1, -1))
    ax.set_yticklabels([textwrap.shorten(m.label, 62, placeholder="…") for m in dated], fontsize=9)
    ax.set_xticks(range(int(first), int(last) + 1, 1 if last - first < 14 else 2))
    ax.tick_params(axis="x", labelsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    kinds = [k for k in KIND_MARKERS if any(m.kind == k for m in dated)]
    outcomes = [o for o in OUTCOME_COLOURS if o and any(m.outcome == o for m in dated)]
    handles = [
        _legend_line(marker=KIND_MARKERS[k], color="#555555", linestyle="none", label=term(k, lang)) for k in kinds
    ] + [_legend_line(marker="s", color=OUTCOME_COLOURS[o], linestyle="none", label=term(o, lang)) for o in outcomes]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), fontsize=8.5, frameon=False)
    undated = len(moments) - len(dated)
    if undated:
        figure.text(0.01, 0.005, _EDGE_WORDS["undated"][lang].format(n=undated), fontsize=8, color="#555555")
    return figure


def _layers(nodes: dict[str, str], edges: list[Edge]) -> dict[str, int]:
    """Each node's layer: the longest chain of holders above it (cycles broken)."""
    parents: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        parents[e.target].add(e.source)
    depth: dict[str, int] = {}

    def visit(node: str, path: frozenset[str]) -> int:
        if node in depth:
            return depth[node]
        above = [visit(p, path | {node}) + 1 for p in parents[node] if p not in path and p != node]
        depth[node] = max(above, default=0)
        return depth[node]

    for node in sorted(nodes):
        visit(node, frozenset())
    return depth


def draw_ownership(nodes: dict[str, str], edges: list[Edge], title: str, focus: str | None, lang: str) -> Figure:
    layer = _layers(nodes, edges)
    rows: dict[int, list[str]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: nodes[n].casefold()):
        rows[layer[node]].append(node)
    position: dict[str, tuple[float, float]] = {}
    for level in sorted(rows):
        members = rows[level]
        if level:
            members.sort(key=lambda n: _barycentre(n, edges, position))
        for index, node in enumerate(members):
            position[node] = (index - (len(members) - 1) / 2, -level)
    widest = max((len(r) for r in rows.values()), default=1)
    figure = _figure(max(7.0, 1.8 * widest), 1.2 + 1.4 * max(len(rows), 1))
    ax = figure.add_subplot()
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    ax.set_axis_off()
    if not nodes:
        ax.text(0.5, 0.5, _EDGE_WORDS["empty"][lang], ha="center", va="center", transform=ax.transAxes)
        return figure
    styles = {"owns": ("-", "#0072B2", 1.8), "operates": ("--", "#555555", 1.2), "stake": (":", "#D55E00", 1.4)}
    for edge in edges:
        style, colour, width = styles[edge.kind]
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        ax.annotate(
            "",
            xy=(x2, y2 + 0.18),
            xytext=(x1, y1 - 0.18),
            arrowprops={
                "arrowstyle": "-|>",
                "linestyle": style,
                "color": colour,
                "linewidth": width,
                "shrinkA": 2,
                "shrinkB": 2,
                "connectionstyle": "arc3,rad=0.06",
            },
        )
        if edge.kind != "operates":
            shown = edge.text if edge.kind == "owns" else edge.words(lang)
            ax.text(
                x1 + (x2 - x1) * 0.6,
                y1 + (y2 - y1) * 0.6,
                shown,
                fontsize=9,
                ha="center",
                va="center",
                color=colour,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            )
    for node, (x, y) in position.items():
        ax.text(
            x,
            y,
            textwrap.fill(nodes[node], 16),
            ha="center",
            va="center",
            fontsize=10.5,
            fontweight="bold" if node == focus else "normal",
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": "#fff3c4" if node == focus else "#eef4fb",
                "edgecolor": "#333333" if node == focus else "#7a9cc6",
            },
        )
    half = max((len(r) for r in rows.values()), default=1) / 2
    ax.set_xlim(-half - 0.2, half + 0.2)
    ax.set_ylim(-max(rows) - 0.5, 0.5)
    handles = [
        _legend_line(linestyle=styles[k][0], color=styles[k][1], linewidth=styles[k][2], label=_EDGE_WORDS[k][lang])
        for k in ("owns", "operates", "stake")
        if any(e.kind == k for e in edges)
    ]
    if handles:
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    return figure


def _barycentre(node: str, edges: list[Edge], position: dict[str, tuple[float, float]]) -> float:
    above = [position[e.source][0] for e in edges if e.target == node and e.source in position]
    return sum(above) / len(above) if above else 0.0


# ------------------------------------------------------------------ words


def alt_text(kind: str, org: URIRef | None, lang: str) -> str:
    """What the picture *kind* (about *org*, or the whole dataset) shows, in one paragraph."""
    name = facts.labels({org}, lang).get(str(org)) if org is not None else None
    title = _title(kind, lang, name)
    if kind == "timeline":
        moments = timeline(org, lang)
        items = []
        for m in moments:
            when = m.date or (f"{_EDGE_WORDS['after'][lang]} {m.earliest.year}" if m.earliest else "?")
            what = f"{when}: {m.label} ({term(m.kind, lang)}"
            what += f", {term(m.outcome, lang)}" if m.outcome else ""
            what += f", {m.price.text(lang)}" if m.price else ""
            items.append(what + ")")
        return f"{title}. " + ("; ".join(items) or _EDGE_WORDS["empty"][lang]) + "."
    nodes, edges = ownership(org, lang)
    items = [f"{nodes[e.source]} → {nodes[e.target]} ({e.words(lang)})" for e in edges]
    return f"{title}. " + ("; ".join(items) or _EDGE_WORDS["empty"][lang]) + "."


# ------------------------------------------------------------------ HTTP


def render(kind: str, org: URIRef | None, extension: str, lang: str) -> bytes:
    """The picture as SVG or PNG bytes, cached per dataset version."""
    key = (kind, str(org), extension, lang, served().store.version)
    if key in _cache:
        return _cache[key]
    name = facts.labels({org}, lang).get(str(org), facts.short(str(org))) if org is not None else None
    title = _title(kind, lang, name)
    if kind == "timeline":
        figure = draw_timeline(timeline(org, lang), title, lang)
    else:
        nodes, edges = ownership(org, lang)
        figure = draw_ownership(nodes, edges, title, str(org) if org is not None else None, lang)
    output = io.BytesIO()
    from matplotlib import rc_context

    with _render_lock, rc_context({"svg.fonttype": "none", "svg.hashsalt": "dealgraph"}):
        metadata = {"Date": None} if extension == "svg" else {}
        figure.savefig(output, format=extension, dpi=110, metadata=metadata)
    _cache[key] = output.getvalue()
    return _cache[key]


def _respond(kind: str, org: URIRef | None, extension: str, stem: str) -> Response:
    if kind not in KINDS or extension not in MEDIA_TYPES:
        raise ApiError(404, "Not Found", f"pictures are {', '.join(KINDS)}, as .svg or .png")
    body = render(kind, org, extension, language())
    response = Response(body, 200, content_type=MEDIA_TYPES[extension])
    response.headers["Content-Disposition"] = f'inline; filename="dealgraph-{kind}-{stem}.{extension}"'
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/pictures/<kind>.<extension>")
def dataset_picture(kind: str, extension: str) -> Response:
    """A picture of the whole dataset."""
    return _respond(kind, None, extension, "dataset")


@bp.route("/pictures/<kind>/<path:path>.<extension>")
def resource_picture(kind: str, path: str, extension: str) -> Response:
    """A picture around the organization ``id:<path>``."""
    org = checked_iri(str(ID) + path)
    if org is None or not select(f"SELECT ?o WHERE {{ {values('o', [org])} ?o a {DG.Organization.n3()} }} LIMIT 1"):
        raise ApiError(404, "Not Found", f"<{ID}{path}> is not an organization of the dataset")
    return _respond(kind, org, extension, path.replace("/", "-"))
