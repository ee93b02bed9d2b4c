"""The ``dealgraph`` command: one click group, one command per job."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import persistence
from .config import Settings
from .load import LoadError
from .pipeline import Build, build, log_to_stderr
from .reason import InconsistencyError
from .store import GRAPH_FORMATS, QueryError
from .table import render_table
from .validate import ValidationError
from .vocab import DERIVED_GRAPHS
from .web.server import serve

_DATA_OPTION = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="An RDF file or folder to use instead of the shipped ontology and data (repeatable).",
)
_BAD_DATA = (LoadError, ValidationError, InconsistencyError)


def _build(data: tuple[Path, ...], **settings) -> Build:
    """Build the dataset, turning bad data into a clean error and exit status 1."""
    try:
        return build(Settings.from_env(data=data, **settings), progress=log_to_stderr)
    except _BAD_DATA as error:
        raise click.ClickException(str(error)) from None


@click.group()
@click.version_option(package_name="dealgraph")
def main() -> None:
    """dealgraph: a knowledge graph of corporate deals, served over SPARQL."""


@main.command()
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "tsv", "xml", *GRAPH_FORMATS]),
    default="table",
    show_default=True,
    help="Result format (graph formats for CONSTRUCT and DESCRIBE).",
)
@_DATA_OPTION
def query(query: str | None, query_file, output_format: str, data: tuple[Path, ...]) -> None:
    """Run a SPARQL query on the dataset, with inferences."""
    if (query is None) == (query_file is None):
        raise click.UsageError("give a QUERY or --file, not both and not neither")
    text = query if query is not None else query_file.read()
    store = _build(data).store
    try:
        result = store.query(text)
    except QueryError as error:
        raise click.ClickException(f"the query is not valid SPARQL: {error}") from None
    if output_format == "table":
        if result.kind == "ask":
            click.echo("true" if result.boolean else "false")
        elif result.kind == "select":
            click.echo(render_table(result.variables, result.rows()))
        else:
            sys.stdout.buffer.write(result.serialize("turtle"))
        return
    try:
        sys.stdout.buffer.write(result.serialize(output_format))
    except ValueError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["nquads", "trig", "turtle"]),
    default="nquads",
    show_default=True,
)
@click.option("--no-inferred", is_flag=True, help="Leave out what reasoning derived.")
@_DATA_OPTION
def export(output_format: str, no_inferred: bool, data: tuple[Path, ...]) -> None:
    """Write the whole dataset to standard output, for any other engine to load.

    Turtle has no graphs, so ``--format turtle`` writes the union of the graphs.
    """
    store = _build(data).store
    if not no_inferred and output_format != "turtle":
        store.dump(sys.stdout.buffer, output_format)
        return
    keep = "" if not no_inferred else "FILTER(?g NOT IN (" + ", ".join(g.n3() for g in DERIVED_GRAPHS) + "))"
    if output_format == "turtle":
        result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {keep} }}")
        sys.stdout.buffer.write(result.serialize("turtle"))
        return
    for graph in store.graph_names():
        if graph not in DERIVED_GRAPHS:
            store.dump(sys.stdout.buffer, output_format, graph=graph)


@main.command()
@_DATA_OPTION
def validate(data: tuple[Path, ...]) -> None:
    """Check the data: syntax, SHACL shapes and OWL 2 RL consistency."""
    result = _build(data)
    counts = result.store.graph_counts()
    click.echo(f"valid: {sum(counts.values())} triples in {len(counts)} graphs, consistent with the ontology")


@main.command()
@_DATA_OPTION
def infer(data: tuple[Path, ...]) -> None:
    """Build the inferred graph and report what it holds and how long it took."""
    result = _build(data)
    report = result.report
    click.echo(f"inferred {report.inferred} triples in {report.seconds:.2f} s over {report.rounds} rounds")
    click.echo(f"  OWL 2 RL: {report.owl_triples}")
    for rule, count in sorted(report.rule_triples.items()):
        click.echo(f"  rule {rule}: {count}")
    for graph, count in result.store.graph_counts().items():
        click.echo(f"  graph {graph or '(default)'}: {count} triples")


def _store_folder(store: Path | None) -> Path:
    folder = store or Settings.from_env().store
    if folder is None:
        raise click.UsageError("name the store with --store DIR (or DEALGRAPH_STORE)")
    return folder


_STORE_OPTION = click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The store folder of `dealgraph serve --store` (default: DEALGRAPH_STORE).",
)


@main.command()
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@_STORE_OPTION
def backup(target: Path, store: Path | None) -> None:
    """Copy the on-disk store into the new folder TARGET (works while the server runs)."""
    try:
        quads = persistence.backup(_store_folder(store), target)
    except (persistence.StoreError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {quads} quads to {target}", err=True)


@main.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_STORE_OPTION
@click.option("--force", is_flag=True, help="Replace a store that already holds a dataset.")
def restore(source: Path, store: Path | None, force: bool) -> None:
    """Make the on-disk store a copy of the backup in SOURCE (the server must be stopped)."""
    try:
        quads = persistence.restore(source, _store_folder(store), force=force)
    except (persistence.StoreError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {quads} quads from {source}", err=True)


@main.command()
@click.argument("subject")
@click.argument("predicate")
@click.argument("object_", metavar="OBJECT")
@_DATA_OPTION
def why(subject: str, predicate: str, object_: str, data: tuple[Path, ...]) -> None:
    """Why S P O holds: where it is asserted, or the rule and premises that derive it.

    Terms are <IRI>, prefix:name (dg:, id:, owl:, …) or "literal". Explanations are found
    by matching the rules (domain rules, then the OWL 2 RL table) against the dataset.
    """
    from .explain import parse_term, render
    from .explain import why as explain

    try:
        triple = tuple(parse_term(t) for t in (subject, predicate, object_))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    reasons = explain(_build(data).store, triple)
    click.echo(render(triple, reasons))
    if not reasons:
        sys.exit(1)


main.add_command(serve)

from .queries_cli import queries  # noqa: E402

main.add_command(queries)

from .wikidata.cli import link, wikidata  # noqa: E402

main.add_command(wikidata)
main.add_command(link)

from .importer import import_group  # noqa: E402

main.add_command(import_group)
