"""Each saved query answers its competency question with the real answer from the sources."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal, Namespace, URIRef

DG = Namespace("https://w3id.org/dealgraph/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ORG = Namespace("https://w3id.org/dealgraph/id/org/")
DEAL = Namespace("https://w3id.org/dealgraph/id/deal/")
CLAIM = Namespace("https://w3id.org/dealgraph/id/claim/")
EVENT = Namespace("https://w3id.org/dealgraph/id/event/")
ARTICLE = URIRef("https://w3id.org/dealgraph/id/source/jdn-2008-09-12")
WD = Namespace("http://www.wikidata.org/entity/")


def by(rows, key):
    """Rows indexed by one column (the column must be unique in *rows*)."""
    indexed = {row[key]: row for row in rows}
    assert len(indexed) == len(rows), f"{key} is not unique in {rows}"
    return indexed


def test_acquisitions_by_france_telecom(run_saved_query):
    rows = by(run_saved_query("acquisitions-by-acquirer", organization=ORG["france-telecom"]), "target")
    assert set(rows) == {ORG.alapage, ORG.marcopoly, ORG["topachat-clust"]}

    alapage = rows[ORG.alapage]
    assert alapage["deal"] == DEAL["alapage-1999"]
    assert alapage["date"] == Literal("1999-09", datatype=XSD.gYearMonth)
    assert alapage["price"].toPython() == Decimal("50000000")
    assert str(alapage["currency"]) == "EUR"
    assert alapage["outcome"] == DG.Completed
    assert alapage["competingBidder"] == ORG.amazon

    marcopoly = rows[ORG.marcopoly]
    assert marcopoly["price"].toPython() == Decimal("30000000")
    assert "date" not in marcopoly  # the article gives an order, not a date
    assert marcopoly["after"] == DEAL["alapage-1999"]
    assert marcopoly["outcome"] == DG.Completed

    topachat_clust = rows[ORG["topachat-clust"]]
    assert topachat_clust["date"] == Literal("2006", datatype=XSD.gYear)
    assert "price" not in topachat_clust
    assert topachat_clust["outcome"] == DG.Completed


def test_acquisitions_are_ordered_in_time_even_without_a_date(run_saved_query):
    rows = run_saved_query("acquisitions-by-acquirer")  # default: France Télécom
    assert [row["target"] for row in rows] == [ORG.alapage, ORG.marcopoly, ORG["topachat-clust"]]


def test_acquisitions_by_rue_du_commerce_include_pending_ones(run_saved_query):
    rows = run_saved_query("acquisitions-by-acquirer", organization="Rue du Commerce")
    outcomes = {row["target"]: row["outcome"] for row in rows}
    assert outcomes == {ORG.alapage: DG.Completed, ORG.topachat: DG.Pending, ORG.clust: DG.Pending}


def test_competing_bidder_for_alapage_is_amazon(run_saved_query):
    rows = run_saved_query("competing-bidders", target=ORG.alapage)
    assert [(row["deal"], row["acquirer"], row["competingBidder"]) for row in rows] == [
        (DEAL["alapage-1999"], ORG["france-telecom"], ORG.amazon)
    ]
    assert str(rows[0]["competingBidderLabel"]) == "Amazon"


def test_attempted_sales_of_2008(run_saved_query):
    rows = run_saved_query("attempted-sales", seller=ORG["france-telecom"], year=Literal("2008", datatype=XSD.gYear))
    assert {row["target"] for row in rows} == {ORG.alapage, ORG.topachat, ORG.clust}
    for row in rows:
        assert row["deal"] == DEAL["ecommerce-sale-2008"]
        assert row["outcome"] == DG.SeekingBuyer
        assert row["certainty"] == DG.Hedged
        assert row["reportedBy"] == ORG.challenges
        assert row["source"] == ARTICLE
        assert row["responseKind"] == DG.DeclinedToComment


def test_attempted_sales_default_to_france_telecom_in_2008(run_saved_query):
    rows = run_saved_query("attempted-sales")
    assert {row["target"] for row in rows} == {ORG.alapage, ORG.topachat, ORG.clust}


def test_the_2009_sale_of_alapage_is_a_completed_sale_in_2009(run_saved_query):
    rows = run_saved_query("attempted-sales", seller="France Télécom", year="2009")
    assert [(row["deal"], row["target"], row["outcome"]) for row in rows] == [
        (DEAL["alapage-2009"], ORG.alapage, DG.Completed)
    ]


def test_ecommerce_unit_results(run_saved_query):
    rows = by(run_saved_query("ecommerce-results", organization=ORG["france-telecom-ecommerce"]), "measure")
    assert set(rows) == {DG.revenue, DG.loss}
    assert rows[DG.revenue]["value"].toPython() == Decimal("124000000")
    assert rows[DG.loss]["value"].toPython() == Decimal("21000000")
    for row in rows.values():
        assert str(row["currency"]) == "EUR"
        assert row["certainty"] == DG.Hedged  # "aurait perdu"
        assert str(row["fiscalPeriod"]) == "dernier exercice"
        assert "aurait perdu 21 millions" in str(row["quote"])


def test_topachat_clust_revenue_is_approximate(run_saved_query):
    rows = run_saved_query("ecommerce-results", organization="TopAchat-Clust")
    assert len(rows) == 1
    assert rows[0]["measure"] == DG.revenue
    assert rows[0]["value"].toPython() == Decimal("40000000")
    assert rows[0]["approximate"].toPython() is True
    assert rows[0]["certainty"] == DG.Stated


def holdings(run_saved_query, organization, day):
    rows = run_saved_query("holdings-at-date", organization=organization, date=Literal(day, datatype=XSD.date))
    return {(row["held"], row.get("via")) for row in rows}


def test_holdings_of_france_telecom_on_the_article_date(run_saved_query):
    held = holdings(run_saved_query, ORG["france-telecom"], "2008-09-12")
    assert {
        (ORG.alapage, None),
        (ORG.marcopoly, None),
        (ORG["topachat-clust"], None),
        (ORG.topachat, ORG["topachat-clust"]),
        (ORG.clust, ORG["topachat-clust"]),
        (ORG.wanadoo, None),
        (ORG["france-telecom-ecommerce"], None),
    } <= held


def test_holdings_before_2006_exclude_topachat_clust(run_saved_query):
    held = {h for h, _ in holdings(run_saved_query, ORG["france-telecom"], "2005-06-30")}
    assert ORG.alapage in held
    assert not held & {ORG["topachat-clust"], ORG.topachat, ORG.clust}


def test_alapage_changes_owner_after_july_2009(run_saved_query):
    france_telecom = {h for h, _ in holdings(run_saved_query, ORG["france-telecom"], "2009-08-01")}
    rue_du_commerce = {h for h, _ in holdings(run_saved_query, ORG["rue-du-commerce"], "2009-08-01")}
    assert ORG.alapage not in france_telecom
    assert ORG.alapage in rue_du_commerce
    # the sale of TopAchat and Clust was suspended: France Télécom still holds them
    assert {ORG.topachat, ORG.clust} <= france_telecom
    assert ORG.alapage not in {h for h, _ in holdings(run_saved_query, ORG["rue-du-commerce"], "2009-01-01")}


def test_holdings_through_a_bought_group(run_saved_query):
    held = holdings(run_saved_query, "Altarea Cogedim", "2013-01-01")
    assert {(ORG["rue-du-commerce"], None), (ORG.alapage, ORG["rue-du-commerce"])} <= held


def test_fate_of_marcopoly(run_saved_query):
    rows = run_saved_query("fate-of-organization", organization=ORG.marcopoly)
    assert [(row["fact"], row["kind"]) for row in rows] == [
        (DEAL.marcopoly, DG.Acquisition),
        (CLAIM["marcopoly-bought-2005"], DG.Claim),
        (EVENT["marcopoly-into-alapage-2005"], DG.Integration),
    ]
    claim = rows[1]
    assert claim["claimedProperty"] == DG.date
    assert claim["claimedValue"] == Literal("2005", datatype=XSD.gYear)


def test_fate_of_alapage_ends_with_its_closure(run_saved_query):
    rows = run_saved_query("fate-of-organization", organization="Alapage")
    facts = [row["fact"] for row in rows]
    assert DEAL["ecommerce-sale-2008"] in facts
    assert facts.index(DEAL["alapage-2009"]) < facts.index(EVENT["alapage-closure-2012"])
    closure = next(row for row in rows if row["fact"] == EVENT["alapage-closure-2012"])
    assert closure["kind"] == DG.Closure
    assert closure["date"] == Literal("2012-03-27", datatype=XSD.date)


def test_reported_facts(run_saved_query):
    rows = run_saved_query("reported-facts")
    facts = {row["fact"] for row in rows}
    assert facts == {
        DEAL["ecommerce-sale-2008"],
        URIRef("https://w3id.org/dealgraph/id/result/france-telecom-ecommerce-last-fiscal-year"),
    }
    reporters = {row["reportedBy"] for row in rows if "reportedBy" in row}
    assert reporters == {ORG.challenges}
    assert all(row["source"] == ARTICLE and "quote" in row for row in rows)


def test_holding_periods_before_the_sale_attempt(run_saved_query):
    rows = by(run_saved_query("holding-periods", organization=ORG["france-telecom"]), "business")
    assert set(rows) == {ORG.alapage, ORG.topachat, ORG.clust}
    assert rows[ORG.alapage]["years"].toPython() == 9
    assert rows[ORG.alapage]["acquisition"] == DEAL["alapage-1999"]
    for site in (ORG.topachat, ORG.clust):
        assert rows[site]["years"].toPython() == 2
        assert rows[site]["acquired"] == ORG["topachat-clust"]
    assert {row["attempt"] for row in rows.values()} == {DEAL["ecommerce-sale-2008"]}


def test_wikidata_links(run_saved_query):
    rows = run_saved_query("wikidata-links")
    links = {(row["organization"], row["wikidata"]) for row in rows}
    assert links == {
        (ORG["france-telecom"], WD.Q1431486),
        (ORG.amazon, WD.Q3884),
        (ORG["rue-du-commerce"], WD.Q3446822),
        (ORG.carrefour, WD.Q3117359),
    }
    assert all("source" in row for row in rows)


def test_claims_show_the_asserted_value_beside_the_claimed_one(run_saved_query):
    rows = run_saved_query("claims")
    price = next(row for row in rows if row["claim"] == CLAIM["alapage-1999-price-frf"])
    assert (price["claimedAmount"].toPython(), str(price["claimedCurrency"])) == (Decimal("320000000"), "FRF")
    assert (price["assertedAmount"].toPython(), str(price["assertedCurrency"])) == (Decimal("50000000"), "EUR")
    april = next(row for row in rows if row["claim"] == CLAIM["topachat-clust-bought-2006-04"])
    assert april["assertedValue"] == Literal("2006", datatype=XSD.gYear)
    assert april["claimedValue"] == Literal("2006-04", datatype=XSD.gYearMonth)


def test_timeline_is_in_date_order(run_saved_query):
    rows = run_saved_query("timeline")
    dated = [str(row["date"])[:4] for row in rows if "date" in row]
    assert dated == sorted(dated)
    facts = [row["fact"] for row in rows]
    assert facts.index(DEAL["alapage-1999"]) < facts.index(DEAL.marcopoly) < facts.index(DEAL["topachat-clust-2006"])
