"""Saved queries as a library: metadata, typed parameters, binding, and every shipped query's answer.

Queries run through ``dealgraph.saved_queries.run_saved_query`` — the same function the
CLI and the web API use — on the shipped dataset after reasoning.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from rdflib import XSD, Literal, Namespace, URIRef

from dealgraph.saved_queries import (
    ORGANIZATIONS_QUERY,
    PARAMETER_TYPES,
    Parameter,
    ParameterError,
    QueryFileError,
    organization_index,
    parse_saved_query,
    prepare,
    problems,
    run_saved_query,
    saved_queries,
    terms_for,
    with_values,
)
from dealgraph.store import QueryError
from dealgraph.vocab import DG

ORG = Namespace("https://w3id.org/dealgraph/id/org/")
DEAL = Namespace("https://w3id.org/dealgraph/id/deal/")
QUERIES = saved_queries()


@pytest.fixture(scope="module")
def organizations(knowledge_graph):
    return organization_index(knowledge_graph.store.query(ORGANIZATIONS_QUERY).rows())


@pytest.fixture(scope="module")
def run(knowledge_graph):
    def run(query_name: str, /, **given) -> list[dict]:
        return list(run_saved_query(knowledge_graph.store, QUERIES[query_name], given).rows())

    return run


def column(rows: list[dict], name: str) -> list:
    return [row.get(name) for row in rows]


# ------------------------------------------------------------------ the files


def test_at_least_fifteen_queries_are_shipped_and_every_one_passes_the_check(knowledge_graph):
    assert len(QUERIES) >= 15
    assert {name: problems(query, knowledge_graph.store) for name, query in QUERIES.items()} == {
        name: [] for name in QUERIES
    }


def test_metadata_is_read_from_the_comment_lines(tmp_path):
    path = tmp_path / "deals-of.rq"
    path.write_text(
        "#+ title: Deals of\n#+ description: First line,\n#+ description: second line.\n#+ tags: [a, b]\n"
        "#+ param: who | organization | required | Alapage | TopAchat | The party. | multiple\n"
        "#+ param: outcome | enum | optional | | dg:Completed | Status. | values=dg:Completed,dg:Pending\n"
        "SELECT ?d WHERE { ?d dg:target ?_who ; dg:outcome ?_outcome } ORDER BY ?d\n",
        encoding="utf-8",
    )
    query = parse_saved_query(path)
    assert (query.name, query.title, query.description, query.tags) == (
        "deals-of",
        "Deals of",
        "First line, second line.",
        ("a", "b"),
    )
    who, outcome = query.parameters
    assert (who.type, who.required, who.default, who.example, who.multiple) == (
        "organization",
        True,
        "Alapage",
        "TopAchat",
        True,
    )
    assert outcome.values == ("dg:Completed", "dg:Pending") and not outcome.multiple
    assert query.describe()["parameters"][1] == {
        "name": "outcome",
        "type": "enum",
        "required": False,
        "default": None,
        "example": "dg:Completed",
        "values": ["dg:Completed", "dg:Pending"],
        "multiple": False,
        "description": "Status.",
    }


@pytest.mark.parametrize(
    "line, message",
    [
        ("#+ param: x | colour | optional", "unknown parameter type"),
        ("#+ param: x | enum | optional | | a", "declares values"),
        ("#+ param: x | string | maybe", "'required' or 'optional'"),
        ("#+ param: 1x | string", "not a parameter name"),
        ("#+ summary: grlc's key", "unknown metadata key"),
    ],
)
def test_a_malformed_metadata_line_names_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.rq"
    path.write_text(f"#+ title: Bad\n{line}\nSELECT * WHERE {{}} ORDER BY ?x\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match=message) as raised:
        parse_saved_query(path)
    assert f"{path}:2" in str(raised.value)


def test_the_check_reports_undeclared_unused_and_unpaged_parameters(tmp_path):
    path = tmp_path / "sloppy.rq"
    path.write_text(
        "#+ title: Sloppy\n#+ description: d\n#+ param: used | string | optional | | x\n"
        "#+ param: unused | string | optional | | x\n"
        "SELECT ?s WHERE { ?s ?p ?_used ; ?q ?_undeclared { SELECT ?s WHERE { ?s ?p ?_used } } } LIMIT 5\n",
        encoding="utf-8",
    )
    found = problems(parse_saved_query(path))
    assert "uses ?_undeclared but declares no parameter for it" in found
    assert "declares parameter 'unused' but never uses ?_unused" in found
    assert "?_used is used inside a subquery, where parameters are not bound" in found
    assert "has no ORDER BY, so its pages would have no stable order" in found
    assert "has its own LIMIT or OFFSET; the server pages the results" in found


# ------------------------------------------------------------------ typed values


@pytest.mark.parametrize(
    "type_, raw, term",
    [
        ("iri", "id:org/alapage", ORG.alapage),
        ("iri", "<https://example.org/a#b>", URIRef("https://example.org/a#b")),
        ("string", "  keeps spaces ", Literal("  keeps spaces ")),
        ("langString", "France Telecom@EN", Literal("France Telecom", lang="en")),
        ("langString", "a@b@fr-CA", Literal("a@b", lang="fr-ca")),
        ("integer", "+42", Literal(42, datatype=XSD.integer)),
        ("decimal", "49.50", Literal(Decimal("49.50"), datatype=XSD.decimal)),
        ("date", "1999-09-15", Literal("1999-09-15", datatype=XSD.date)),
        ("gYearMonth", "1999-09", Literal("1999-09", datatype=XSD.gYearMonth)),
        ("gYear", "1999", Literal("1999", datatype=XSD.gYear)),
    ],
)
def test_a_valid_value_becomes_the_rdf_term_of_its_type(type_, raw, term):
    assert terms_for(Parameter("p", type_), raw) == {"_p": term}


@pytest.mark.parametrize(
    "raw, amount, currency",
    [("50000000 EUR", "50000000", "EUR"), ("eur 1.5", "1.5", "EUR"), ("30000000", "30000000", None)],
)
def test_money_binds_an_amount_and_a_currency(raw, amount, currency):
    terms = terms_for(Parameter("price", "money"), raw)
    assert terms["_price_amount"] == Literal(Decimal(amount), datatype=XSD.decimal)
    assert terms.get("_price_currency") == (Literal(currency) if currency else None)


def test_an_enum_value_is_the_declared_iri():
    outcome = Parameter("outcome", "enum", values=("dg:Completed", "dg:Pending"))
    assert terms_for(outcome, "dg:Completed") == {"_outcome": DG.Completed}
    assert terms_for(outcome, str(DG.Pending)) == {"_outcome": DG.Pending}
    assert terms_for(Parameter("status", "enum", values=("linked", "unlinked")), "linked") == {
        "_status": Literal("linked")
    }


@pytest.mark.parametrize(
    "type_, raw",
    [
        ("iri", "not an iri"),
        ("iri", "http://a/> } UNION { ?s ?p ?o"),
        ("iri", "relative/path"),
        ("langString", "no tag"),
        ("langString", "x@not a tag"),
        ("integer", "4.2"),
        ("integer", "1e3"),
        ("decimal", "1,5"),
        ("decimal", "NaN"),
        ("money", "EUR 5 USD"),
        ("money", "five euros"),
        ("date", "1999-02-30"),
        ("date", "15/09/1999"),
        ("gYearMonth", "1999-13"),
        ("gYear", "99"),
        ("enum", "dg:Rumoured"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_parameter_the_value_and_the_type(type_, raw):
    parameter = Parameter("p", type_, values=("dg:Completed",) if type_ == "enum" else ())
    with pytest.raises(ParameterError) as raised:
        terms_for(parameter, raw)
    error = raised.value
    assert (error.parameter, error.value, error.expected) == ("p", raw, parameter.expected)
    assert "'p'" in str(error) and repr(raw) in str(error)


def test_every_contract_type_has_a_description_and_is_known():
    assert set(PARAMETER_TYPES) == {
        "iri", "organization", "string", "langString", "integer", "decimal", "money", "date", "gYearMonth", "gYear",
        "enum",
    }  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    ["France Télécom", "FRANCE TELECOM", "france  télécom", "France Telecom", "FT", "Q1431486", "wd:Q1431486",
     "http://www.wikidata.org/entity/Q1431486", "id:org/france-telecom",
     "https://w3id.org/dealgraph/id/org/france-telecom"],
)  # fmt: skip
def test_an_organization_is_found_by_any_name_in_any_case_or_by_its_identifiers(organizations, raw):
    assert organizations.resolve(Parameter("org", "organization"), raw) == ORG["france-telecom"]


def test_an_ambiguous_organization_name_lists_the_candidates(organizations):
    with pytest.raises(ParameterError, match="ambiguous") as raised:
        organizations.resolve(Parameter("org", "organization"), "orange")
    assert raised.value.candidates == [
        {"iri": str(ORG["france-telecom"]), "label": "France Télécom"},
        {"iri": str(ORG.wanadoo), "label": "Wanadoo"},
    ]


@pytest.mark.parametrize("raw", ["Nobody Inc", "Q42", "id:deal/alapage-1999", "Patrice Magnard"])
def test_something_that_is_not_an_organization_of_the_graph_is_refused(organizations, raw):
    with pytest.raises(ParameterError):
        organizations.resolve(Parameter("org", "organization"), raw)


def test_several_values_bind_as_one_values_block_of_rdf_terms(organizations):
    bound = prepare(QUERIES["deals"], {"acquirer": ["France Télécom", "Rue du Commerce"]}, organizations)
    assert bound.bindings == {"_acquirer": [ORG["france-telecom"], ORG["rue-du-commerce"]]}
    assert (
        f"VALUES ?_acquirer {{ <{ORG['france-telecom']}> <{ORG['rue-du-commerce']}> }}" in bound.sparql()
    )


def test_a_single_valued_parameter_refuses_two_values(organizations):
    with pytest.raises(ParameterError, match="takes one value"):
        prepare(QUERIES["deals"], {"from": ["2000-01-01", "2001-01-01"]}, organizations)


def test_the_values_block_goes_first_in_the_outermost_where_group_whatever_the_comments_say():
    query = (
        'PREFIX x: <urn:x:WHERE#>\n# WHERE { in a comment\n'
        'SELECT ?s ("{" AS ?brace)\nWHERE {\n  ?s ?p ?_o\n} ORDER BY ?s'
    )
    bound = with_values(query, {"_o": [Literal('"} UNION { ?s ?p ?o }')]})
    assert bound.endswith('WHERE {\n  VALUES ?_o { "\\"} UNION { ?s ?p ?o }" }\n\n  ?s ?p ?_o\n} ORDER BY ?s')


#: ``<'x>{'`` after an operand in an expression is a comparison with a string, not an IRI and a brace.
COMPARING = (
    "SELECT ?s (?o<'x>{' AS ?low) WHERE {\n"
    "  ?s ?p ?o FILTER(?o<'x>{') ?s ?q ?_who FILTER(?o != '}')\n"
    "} ORDER BY ?s"
)


def test_a_less_than_in_an_expression_hides_no_parameter_brace_or_order_by(tmp_path):
    path = tmp_path / "comparing.rq"
    path.write_text("#+ title: Comparing\n#+ description: d\n#+ param: who | iri | optional | | id:org/alapage\n"
                    + COMPARING, encoding="utf-8")
    assert problems(parse_saved_query(path)) == []
    bound = with_values(COMPARING, {"_who": [URIRef("urn:x:who")]})
    assert bound == COMPARING.replace("WHERE {\n", "WHERE {\n  VALUES ?_who { <urn:x:who> }\n\n")
    ox.Store().query(bound)


def test_a_query_whose_string_never_closes_has_that_one_problem_and_does_not_run(tmp_path, knowledge_graph):
    path = tmp_path / "unclosed.rq"
    path.write_text("#+ title: Unclosed\n#+ description: d\n#+ param: who | iri | optional | | id:org/alapage\n"
                    "SELECT ?s ('never closed AS ?x) WHERE { ?s ?p ?_who } ORDER BY ?s", encoding="utf-8")
    query = parse_saved_query(path)
    assert problems(query) == ["cannot be read: error at 4:12: a string that is never closed"]
    with pytest.raises(QueryError):
        run_saved_query(knowledge_graph.store, query, {"who": "id:org/alapage"})


def test_a_missing_required_parameter_without_default_is_an_error(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("#+ param: who | iri | required | | id:org/alapage\nSELECT ?s WHERE { ?s ?p ?_who } ORDER BY ?s\n")
    with pytest.raises(ParameterError, match="is required"):
        prepare(parse_saved_query(path), {})


def test_empty_values_and_unknown_parameters_are_ignored(run):
    assert run("deals", acquirer="", colour="blue") == run("deals")


# ------------------------------------------------------------------ the shipped queries' answers


def test_deals_by_acquirer_france_telecom_bought_alapage_marcopoly_and_topachat_clust(run):
    rows = run("deals", acquirer="France Télécom")
    assert column(rows, "target") == [ORG.alapage, ORG.marcopoly, ORG["topachat-clust"]]
    assert column(rows, "date") == [
        Literal("1999-09", datatype=XSD.gYearMonth),
        None,
        Literal("2006", datatype=XSD.gYear),
    ]


def test_deals_by_target_seller_outcome_and_period(run):
    assert column(run("deals", target="Alapage"), "deal") == [DEAL["alapage-1999"], DEAL["ecommerce-sale-2008"],
                                                              DEAL["alapage-2009"]]  # fmt: skip
    sold = run("deals", seller="Q1431486", outcome="dg:Completed")
    assert [(r["deal"], r["acquirer"], r["target"]) for r in sold] == [
        (DEAL["alapage-2009"], ORG["rue-du-commerce"], ORG.alapage)
    ]
    in_period = run("deals", **{"from": "2006-01-01", "to": "2009-12-31"})
    assert sorted({r["deal"] for r in in_period}) == [
        DEAL["alapage-2009"], DEAL["ecommerce-sale-2008"], DEAL["topachat-clust-2006"]
    ]  # fmt: skip
    either = run("deals", acquirer=["Carrefour", "Altarea Cogedim"])
    assert column(either, "deal") == [DEAL["rue-du-commerce-2012"], DEAL["rue-du-commerce-2015"]]
    assert column(run("deals", outcome=["dg:SeekingBuyer"]), "target") == [ORG.alapage, ORG.clust, ORG.topachat]


def test_deal_prices_france_telecom_paid_50_million_for_alapage_and_30_million_for_marcopoly(run):
    rows = run("deal-prices")
    assert [(r["target"], r["price"], r["currency"]) for r in rows] == [
        (ORG.alapage, Literal(Decimal("50000000"), datatype=XSD.decimal), Literal("EUR")),
        (ORG.marcopoly, Literal(Decimal("30000000"), datatype=XSD.decimal), Literal("EUR")),
    ]
    assert column(run("deal-prices", min_price="40000000 EUR"), "target") == [ORG.alapage]
    assert run("deal-prices", min_price="1 USD") == []


def test_control_at_date_names_the_owner_and_the_chain(run):
    assert [(r["controller"], r["level"].toPython(), str(r["chain"])) for r in run("control-at-date")] == [
        (ORG["france-telecom"], 1, "France Télécom owns Alapage")
    ]
    chain = run("control-at-date", organization="TopAchat", date="2007-01-01")
    assert [str(r["chain"]) for r in chain] == [
        "TopAchat-Clust operates TopAchat",
        "France Télécom owns TopAchat-Clust operates TopAchat",
    ]
    later = run("control-at-date", organization="Alapage", date="2013-01-01")
    assert [str(r["chain"]) for r in later] == [
        "Rue du Commerce owns Alapage",
        "Altarea Cogedim owns Rue du Commerce owns Alapage",
    ]


def test_subsidiaries_of_france_telecom_include_those_held_through_topachat_clust(run):
    rows = run("subsidiaries")
    assert {(r["subsidiary"], r["parent"], str(r["relation"])) for r in rows} == {
        (ORG.alapage, ORG["france-telecom"], "owns"),
        (ORG.marcopoly, ORG["france-telecom"], "owns"),
        (ORG["topachat-clust"], ORG["france-telecom"], "owns"),
        (ORG.topachat, ORG["topachat-clust"], "operates"),
        (ORG.clust, ORG["topachat-clust"], "operates"),
        (ORG.wanadoo, ORG["france-telecom"], "operates"),
        (ORG.innovacom, ORG["france-telecom"], "operates"),
        (ORG["france-telecom-ecommerce"], ORG["france-telecom"], "operates"),
    }
    alapage = next(r for r in rows if r["subsidiary"] == ORG.alapage)
    assert (str(alapage["since"]), str(alapage["until"])) == ("1999-09", "2009-07")


def test_ownership_cycles_france_telecom_held_alapage_from_1999_to_2009(run):
    closed = run("ownership-cycles", closed="yes")
    assert [(r["owner"], r["owned"], r["sale"], r["buyer"], r["holdingDays"].toPython()) for r in closed] == [
        (ORG["france-telecom"], ORG.alapage, DEAL["alapage-2009"], ORG["rue-du-commerce"], 3591)
    ]
    assert column(run("ownership-cycles", owner="France Télécom", closed="no"), "owned") == [
        ORG.marcopoly, ORG["topachat-clust"]
    ]  # fmt: skip


def test_deal_rumours_the_2008_sale_is_hedged_and_attributed_to_challenges(run):
    rows = run("deal-rumours")
    assert {r["deal"] for r in rows} == {DEAL["ecommerce-sale-2008"]}
    assert {r.get("reportedBy") for r in rows} == {None, ORG.challenges}
    assert all(r["outcome"] == DG.SeekingBuyer for r in rows)
    stated = run("deal-rumours", certainty="dg:Stated", source="id:source/jdn-2008-09-12")
    assert {r["deal"] for r in stated} == {DEAL["alapage-1999"], DEAL.marcopoly, DEAL["topachat-clust-2006"]}


def test_disputed_facts_the_franc_price_the_marcopoly_date_and_alapages_founding_year(run):
    rows = run("disputed-facts")
    disputes = {(r["subject"].split("/id/")[1], r["property"], str(r["claimedValue"]), str(r.get("assertedValue", "")))
                for r in rows}  # fmt: skip
    assert disputes == {
        ("deal/alapage-1999", DG.price, "320000000 FRF", "50000000 EUR"),
        ("deal/marcopoly", DG.date, "2005", "after 1999-09"),
        ("deal/topachat-clust-2006", DG.date, "2006-04", "2006"),
        ("event/alapage-founding", DG.date, "1987", ""),
        ("event/alapage-founding", DG.date, "1988", ""),
    }
    assert {r["subject"] for r in run("disputed-facts", property="dg:price")} == {DEAL["alapage-1999"]}


def test_wikidata_coverage_four_organizations_are_linked(run):
    linked = run("wikidata-coverage", status="linked")
    assert [(r["organization"], r["wikidata"]) for r in linked] == [
        (ORG.amazon, URIRef("http://www.wikidata.org/entity/Q3884")),
        (ORG.carrefour, URIRef("http://www.wikidata.org/entity/Q3117359")),
        (ORG["france-telecom"], URIRef("http://www.wikidata.org/entity/Q1431486")),
        (ORG["rue-du-commerce"], URIRef("http://www.wikidata.org/entity/Q3446822")),
    ]
    unlinked = column(run("wikidata-coverage", status="unlinked"), "organization")
    assert ORG.alapage in unlinked and ORG.marcopoly in unlinked and ORG.amazon not in unlinked
    assert len(run("wikidata-coverage")) == len(linked) + len(unlinked)


def test_organization_timeline_of_alapage_from_its_name_to_its_end(run):
    rows = run("organization-timeline")
    assert [(r["fact"].split("/id/")[1], str(r["role"])) for r in rows] == [
        ("event/alapage-named-1993", "subject"),
        ("event/alapage-online-1996", "subject"),
        ("deal/alapage-1999", "target"),
        ("event/alapage-becomes-shopping-mall-2005", "subject"),
        ("event/marcopoly-into-alapage-2005", "receiving"),
        ("deal/ecommerce-sale-2008", "target"),
        ("deal/alapage-2009", "target"),
        ("event/alapage-closure-2012", "subject"),
        ("event/alapage-founding", "subject"),
    ]
    window = run("organization-timeline", organization="France Télécom", **{"from": "2005-01", "to": "2008-12"})
    assert [r["fact"].split("/id/")[1] for r in window] == [
        "event/diversification-resumed-2005",
        "event/marcopoly-into-alapage-2005",
        "deal/topachat-clust-2006",
        "goal/ecommerce-profitability-2006",
        "deal/ecommerce-sale-2008",
    ]


def test_organizations_by_name_finds_france_telecom_by_its_english_label(run):
    rows = run("organizations-by-name", name="France Telecom@en")
    assert {r["organization"] for r in rows} == {ORG["france-telecom"]}
    assert Literal("Orange") in column(rows, "otherName")
    assert run("organizations-by-name", name="France Telecom@fr") == []
    assert {r["organization"] for r in run("organizations-by-name", contains="TOP")} == {
        ORG.topachat, ORG["topachat-clust"]
    }  # fmt: skip


def test_acquirer_ranking_france_telecom_first_with_80_million_known(run):
    rows = run("acquirer-ranking")
    first = rows[0]
    assert (first["acquirer"], first["deals"].toPython(), first["pricedDeals"].toPython()) == (
        ORG["france-telecom"], 3, 2
    )  # fmt: skip
    assert first["totalPrice"].toPython() == Decimal("80000000")
    assert column(run("acquirer-ranking", min_deals="2"), "acquirer") == [ORG["france-telecom"], ORG["rue-du-commerce"]]
    assert column(run("acquirer-ranking", min_total="60000000"), "acquirer") == [ORG["france-telecom"]]
