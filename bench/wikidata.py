"""Benchmark: the candidate linker's precision and recall, the snapshot's size and build time,
and what the snapshot costs ``dealgraph serve`` at start-up.

**The gold set, and how it is made.** Crunchbase's acquisitions (December 2015) carry no
Wikidata identifiers, so a gold pair cannot be read off either file. A Crunchbase
acquisition "A bought B" is counted as *checkable* when the saved Wikidata results
(46 k businesses in 100 countries) hold an ownership edge "b owned by a" whose two
ends are named like A and B: loosely (each Crunchbase name and Wikidata label share
their first word after folding case and accents, and rapidfuzz's token_set_ratio of
the two is at least 85) — looser than the linker, so the linker's own normalisation is
tested, not restated. Two independent facts then agree (the names, and the fact that
one owns the other), which is what makes the pair trustworthy; the gold identifier of
A is a, of B is b. Names with several gold identifiers are dropped.

The linker then sees each gold name with its Crunchbase country (and, for a target,
the acquisition year as "first seen") — never the ownership edges — and proposes
candidates from all 46 k items. Reported: precision and recall of its *confident*
proposals (the ones `dealgraph link` marks and reconciliation calls match=true), and
the top-1 and top-3 recall of its candidates.

Run ``python bench/wikidata.py`` (needs ``../shared/datasets``); results go to
``bench/RESULTS-wikidata.md``. Not run in CI.
"""

from __future__ import annotations

import csv
import gzip
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz

from dealgraph import Settings, build
from dealgraph.config import shipped_data, shipped_ontology, shipped_shapes
from dealgraph.load import load
from dealgraph.reason import reason
from dealgraph.store import OxigraphStore
from dealgraph.validate import require_valid, union_graph
from dealgraph.wikidata import snapshot
from dealgraph.wikidata.linker import CandidateIndex, Item, Organization
from dealgraph.wikidata.names import fold

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DUMP = SHARED / "wikidata-companies"
CRUNCHBASE = SHARED / "deals" / "crunchbase-2015" / "acquisitions.csv"

#: ISO 3166 alpha-3 codes (Crunchbase) → Wikidata country items (the dump's file names).
COUNTRIES = {
    "USA": "Q30", "GBR": "Q145", "FRA": "Q142", "DEU": "Q183", "CAN": "Q16", "CHN": "Q148", "JPN": "Q17",
    "IND": "Q668", "ISR": "Q801", "ESP": "Q29", "ITA": "Q38", "NLD": "Q55", "SWE": "Q34", "CHE": "Q39",
    "AUS": "Q408", "IRL": "Q27", "KOR": "Q884", "BRA": "Q155", "RUS": "Q159", "FIN": "Q33", "DNK": "Q35",
    "NOR": "Q20", "BEL": "Q31", "AUT": "Q40", "SGP": "Q334", "TWN": "Q865", "MEX": "Q96", "ARG": "Q414",
    "POL": "Q36", "NZL": "Q664", "ZAF": "Q258", "TUR": "Q43", "PRT": "Q45", "CZE": "Q213", "HUN": "Q28",
    "GRC": "Q41", "LUX": "Q32", "UKR": "Q212", "ARE": "Q878", "CHL": "Q298", "COL": "Q739", "IDN": "Q252",
    "MYS": "Q833", "THA": "Q869", "PHL": "Q928", "VNM": "Q881", "EGY": "Q79", "NGA": "Q1033", "KEN": "Q114",
    "SAU": "Q851", "ROU": "Q218", "BGR": "Q219", "EST": "Q191", "LTU": "Q37", "LVA": "Q211", "ISL": "Q189",
    "PER": "Q419", "PAK": "Q843",
}


def _first(name: str) -> str:
    parts = fold(name).split()
    return parts[0] if parts else ""


def gold_set(entities, edges) -> dict[tuple[str, str | None, int | None], str]:
    """(Crunchbase name, country, first-seen year) → the Wikidata item both facts agree on."""
    labels = {q: e.label for q, e in entities.items() if e.label}
    edges_by_words: dict[tuple[str, str], list] = defaultdict(list)
    for edge in edges:
        if edge.owned in labels and edge.owner in labels:
            edges_by_words[(_first(labels[edge.owner]), _first(labels[edge.owned]))].append(edge)
    found: dict[tuple, set[str]] = defaultdict(set)
    with CRUNCHBASE.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            acquirer, target = row["acquirer_name"], row["company_name"]
            year = int(row["acquired_at"][:4]) if row["acquired_at"][:4].isdigit() else None
            for edge in edges_by_words.get((_first(acquirer), _first(target)), ()):
                if (
                    fuzz.token_set_ratio(fold(acquirer), fold(labels[edge.owner])) >= 85
                    and fuzz.token_set_ratio(fold(target), fold(labels[edge.owned])) >= 85
                ):
                    found[(acquirer, COUNTRIES.get(row["acquirer_country_code"]), None)].add(edge.owner)
                    found[(target, COUNTRIES.get(row["company_country_code"]), year)].add(edge.owned)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def measure_linker() -> dict:
    entities = snapshot.read_entities(DUMP, progress=lambda m: None)
    edges = snapshot.read_edges(DUMP)
    gold = gold_set(entities, edges)
    items = [
        Item(q, e.label, (e.label,), frozenset(e.countries), frozenset(int(d[:4]) for d in e.inceptions))
        for q, e in entities.items()
        if e.label
    ]
    started = time.perf_counter()
    index = CandidateIndex(items)
    proposed = correct = top1 = top3 = 0
    for (name, country, seen), qid in gold.items():
        org = Organization(iri=name, label=name, names=(name,), country=country, first_seen=seen)
        candidates = index.candidates(org, limit=3)
        qids = [c.item.qid for c in candidates]
        top1 += bool(qids) and qids[0] == qid
        top3 += qid in qids
        if candidates and candidates[0].confident:
            proposed += 1
            correct += candidates[0].item.qid == qid
    seconds = time.perf_counter() - started
    n = len(gold)
    return {
        "gold names": n,
        "items searched": len(items),
        "confident proposals": proposed,
        "correct confident proposals": correct,
        "precision (confident)": correct / proposed if proposed else 0.0,
        "recall (confident)": correct / n if n else 0.0,
        "top-1 recall (any score)": top1 / n if n else 0.0,
        "top-3 recall (any score)": top3 / n if n else 0.0,
        "seconds": seconds,
    }


def measure_snapshot() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "wikidata.nt.gz"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "dealgraph", "wikidata", "snapshot", "--offline", "--from", str(DUMP),
             "--output", str(output)],
            capture_output=True, text=True, check=True,
        )
        seconds = time.perf_counter() - started
        triples = gzip.decompress(output.read_bytes()).count(b"\n")
        return {"command seconds": seconds, "bytes gzipped": output.stat().st_size, "triples": triples,
                "report": done.stdout.strip().replace(str(folder), "<temporary folder>")}


def _start_up(paths: list[Path]) -> dict:
    started = time.perf_counter()
    dataset = load(paths, ontology_files=[shipped_ontology()])
    loaded = time.perf_counter()
    require_valid(union_graph(dataset), shipped_shapes())
    validated = time.perf_counter()
    store = OxigraphStore()
    store.add_quads(dataset.quads((None, None, None, None)))
    report = reason(store)
    done = time.perf_counter()
    return {"load": loaded - started, "validate": validated - loaded, "reason": done - validated,
            "total": done - started, "triples": len(store), "inferred": report.inferred}


def measure_start_up() -> dict:
    data = [p for p in shipped_data() if p.is_dir()][0]
    with tempfile.TemporaryDirectory() as folder:
        without = Path(folder)
        for path in data.glob("*.ttl"):
            (without / path.name).write_bytes(path.read_bytes())
        best = lambda paths: min((_start_up(paths) for _ in range(3)), key=lambda r: r["total"])  # noqa: E731
        ontology = shipped_ontology()
        return {"with snapshot": best([ontology, data]), "without snapshot": best([ontology, without])}


def main() -> None:
    linker = measure_linker()
    snap = measure_snapshot()
    start = measure_start_up()
    served = build(Settings(), progress=lambda m: None)
    lines = [
        "# Wikidata: linker precision/recall, snapshot size and build time, start-up cost",
        "",
        f"Measured by `python bench/wikidata.py` on {platform.platform()}, Python {platform.python_version()}.",
        "See the module docstring for how the gold set is made.",
        "",
        "## Candidate linker on Crunchbase names checkable against Wikidata",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for k, v in linker.items():
        lines.append(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
    lines += [
        "",
        "## Snapshot (`dealgraph wikidata snapshot --offline`)",
        "",
        f"- {snap['triples']} triples, {snap['bytes gzipped'] / 1024:.0f} KiB gzipped",
        f"- command wall time (Python start, reading 100 entity files, writing): {snap['command seconds']:.2f} s",
        f"- report: `{snap['report']}`",
        "",
        "## What the snapshot adds to start-up (load + SHACL + reasoning, best of 3)",
        "",
        "| data | quads after reasoning | load s | validate s | reason s | total s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in start.items():
        lines.append(f"| {name} | {r['triples']} | {r['load']:.2f} | {r['validate']:.2f} | {r['reason']:.2f} "
                     f"| {r['total']:.2f} |")
    lines += ["", f"`build(Settings())` (what `dealgraph serve` runs first): {served.seconds:.2f} s.", ""]
    (ROOT / "bench" / "RESULTS-wikidata.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
