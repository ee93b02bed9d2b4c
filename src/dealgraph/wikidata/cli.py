"""``dealgraph wikidata snapshot`` and ``dealgraph link``: the Wikidata commands.

Progress goes to standard error; the snapshot's counts and the linker's candidates
are the only thing on standard output.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..config import Settings, shipped_data, shipped_ontology, shipped_path
from ..load import LoadError, load
from ..pipeline import build, log_to_stderr
from ..vocab import WIKIDATA_GRAPH
from . import linker, snapshot
from .links import accepted_links_turtle, linked_qids

#: Where the workplace keeps the Wikidata CSVs, beside a source checkout.
_WORKPLACE_DUMP = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "wikidata-companies"


def _default_output() -> Path:
    return shipped_path("data") / "wikidata.nt.gz"


@click.group()
def wikidata() -> None:
    """The offline Wikidata snapshot."""


@wikidata.command("snapshot")
@click.option(
    "--from",
    "dump",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The wikidata-companies folder (entities/, ownership_edges/, france-businesses-detailed.csv).",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: data/wikidata.nt.gz.")
@click.option("--country", "countries", multiple=True, default=("Q142",), show_default=True,
              help="Keep the businesses of this country (a Wikidata Q-id; repeatable).")
@click.option("--endpoint", help="A live SPARQL endpoint to refresh the linked items from (default: the setting).")
@click.option("--offline", is_flag=True, help="Do not call the configured endpoint.")
def snapshot_command(dump: Path | None, output: Path | None, countries: tuple[str, ...], endpoint: str | None,
                     offline: bool) -> None:
    """Rebuild the Wikidata snapshot from the saved SPARQL results (and a live endpoint, if configured)."""
    settings = Settings.from_env()
    dump = dump or settings.wikidata_dump or _WORKPLACE_DUMP
    if not (dump / "entities").is_dir():
        raise click.ClickException(f"{dump} has no entities/ folder; give the wikidata-companies folder with --from")
    output = output or _default_output()
    endpoint = None if offline else (endpoint or settings.wikidata_endpoint)
    started = time.perf_counter()
    try:
        data = load(shipped_data(), ontology_files=[shipped_ontology()])
    except LoadError as error:
        raise click.ClickException(str(error)) from None
    linked = linked_qids((s, p, o) for s, p, o, g in data.quads((None, None, None, None)) if g != WIKIDATA_GRAPH)
    log_to_stderr(f"wikidata snapshot: {len(linked)} linked items ({', '.join(sorted(linked))})")
    built = snapshot.from_files(dump, countries, linked, progress=log_to_stderr)
    if endpoint:
        try:
            built = snapshot.refresh(built, endpoint, linked, progress=log_to_stderr)
        except snapshot.EndpointError as error:
            log_to_stderr(f"wikidata snapshot: {error}; keeping the snapshot built from files")
    size = built.write(output)
    report = snapshot.summary(built) | {"seconds": round(time.perf_counter() - started, 2), "bytes": size,
                                        "output": str(output)}
    log_to_stderr(f"wikidata snapshot: wrote {report['triples']} triples ({size / 1024:.0f} KiB) to {output}")
    click.echo(json.dumps(report))


@click.command("link")
@click.option("--review", type=click.Path(dir_okay=False, path_type=Path), default=Path("link-review.tsv"),
              show_default=True, help="The review file to write (or, with --apply, to read).")
@click.option("--apply", "apply_", is_flag=True, help="Write the rows marked 'accept' in the review file as links.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="With --apply: the Turtle file accepted links go to (default: data/links.ttl).")
@click.option("--limit", default=3, show_default=True, help="Candidates per organization.")
@click.option("--data", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="An RDF file or folder to use instead of the shipped data (repeatable).")
def link(review: Path, apply_: bool, output: Path | None, limit: int, data: tuple[Path, ...]) -> None:
    """Propose Wikidata candidates for unlinked organizations, for a person to accept or reject.

    Without --apply: writes the review file (decisions already in it are kept). With
    --apply: writes the accepted rows as skos:exactMatch links with their evidence.
    Nothing is linked without a person's decision.
    """
    if apply_:
        _apply(review, output or shipped_path("data") / "links.ttl")
        return
    store = build(Settings.from_env(data=data), progress=log_to_stderr).store
    organizations = linker.unlinked_organizations(store)
    index = linker.CandidateIndex(linker.snapshot_items(store), taken=linker.linked_items(store))
    log_to_stderr(f"link: {len(organizations)} unlinked organizations, {len(index)} Wikidata items in the snapshot")
    previous = {(r["organization"], r["wikidata"]): r for _, r in linker.read_review(review)} if review.exists() else {}
    found = [c for org in organizations for c in index.candidates(org, limit=limit)]
    linker.write_review(review, found, previous)
    for c in found:
        mark = "*" if c.confident else " "
        click.echo(f"{mark} {c.organization.label}\t{c.item.qid}\t{c.item.label}\t{c.score:.1f}\t{c.features_text()}")
    log_to_stderr(f"link: {len(found)} candidates written to {review}; mark 'accept' or 'reject', then --apply")


def _apply(review: Path, output: Path) -> None:
    if not review.exists():
        raise click.ClickException(f"{review} does not exist; run `dealgraph link` first")
    try:
        links = linker.accepted(review)
    except linker.ReviewError as error:
        raise click.ClickException(str(error)) from None
    existing = load([output]).quads((None, None, None, None)) if output.exists() else []
    present = {(str(s), str(o)) for s, _, o, _ in existing}
    new = [lk for lk in links if (str(lk.organization), f"http://www.wikidata.org/entity/{lk.qid}") not in present]
    if not new:
        click.echo(f"no new accepted links in {review}")
        return
    text = accepted_links_turtle(new)
    if output.exists():
        text = output.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text.split("\n\n", 1)[1]
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(new)} accepted link(s) to {output}")
    print("restart `dealgraph serve` (or run `dealgraph validate`) to use them", file=sys.stderr)
