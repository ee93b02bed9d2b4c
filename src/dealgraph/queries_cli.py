"""``dealgraph queries``: list, run and check the saved queries from the command line."""

from __future__ import annotations

import sys

import click

from .saved_queries import ParameterError, SavedQuery, problems, run_saved_query, saved_queries
from .store import QueryError
from .table import render_table


def _build_store():
    from .cli import _build

    return _build(()).store


def _query(name: str) -> SavedQuery:
    found = saved_queries()
    if name not in found:
        raise click.UsageError(f"no saved query {name!r}; `dealgraph queries list` shows them")
    return found[name]


@click.group("queries")
def queries() -> None:
    """The saved queries in queries/: typed, documented, safe to call."""


@queries.command("list")
def list_queries() -> None:
    """Each saved query with its title and parameters."""
    for query in saved_queries().values():
        click.echo(f"{query.name}: {query.title}")
        for p in query.parameters:
            default = f" = {p.default}" if p.default is not None else ""
            more = ", repeatable" if p.multiple else ""
            click.echo(f"    {p.name} ({p.type}{', required' if p.required else ''}{more}){default}  e.g. {p.example}")


def _parse_params(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not name=value", param_hint="--param")
        given.setdefault(name.strip(), []).append(value)
    return given


@queries.command("run")
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A parameter value (repeatable).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "tsv", "xml"]),
    default="table",
    show_default=True,
)
def run(name: str, params: tuple[str, ...], output_format: str) -> None:
    """Run the saved query NAME with its parameters (unknown ones are ignored)."""
    query = _query(name)
    given = _parse_params(params)
    store = _build_store()
    try:
        result = run_saved_query(store, query, given)
    except ParameterError as error:
        raise click.ClickException(str(error)) from None
    except QueryError as error:
        raise click.ClickException(f"the query failed: {error}") from None
    if output_format == "table":
        click.echo(render_table(result.variables, result.rows()))
    else:
        sys.stdout.buffer.write(result.serialize(output_format))


@queries.command("check")
def check() -> None:
    """Every file parses, declares what it uses, uses what it declares, and runs on the shipped data."""
    from .saved_queries import QueryFileError

    try:
        found = saved_queries()
    except QueryFileError as error:
        raise click.ClickException(str(error)) from None
    store = _build_store()
    failed = 0
    for query in found.values():
        issues = problems(query, store)
        failed += bool(issues)
        click.echo(f"{'FAIL' if issues else 'ok  '} {query.name}")
        for issue in issues:
            click.echo(f"       {issue}")
    click.echo(f"{len(found) - failed} of {len(found)} saved queries are fine")
    if failed:
        sys.exit(1)
