"""The pages' words in English and French, and picking a language for a request.

The language follows ``Accept-Language`` (``?lang=en|fr`` wins, so a link can
pin one); English when the client names neither. Data labels follow the same
choice: a literal tagged with the language, else the untagged name as the source
writes it, else English, else any.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from rdflib import Literal
from rdflib.term import Node

LANGUAGES = ("en", "fr")

_WORDS: dict[str, dict[str, str]] = {
    "tagline": {
        "en": "A knowledge graph of corporate deals — who bought whom, when, for how much — with its sources and "
              "inferences.",
        "fr": "Un graphe de connaissances des opérations sur entreprises — qui a racheté qui, quand, pour combien — "
        "avec ses sources et ses inférences.",
    },
    "skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "home": {"en": "Home", "fr": "Accueil"},
    "nav": {"en": "Site", "fr": "Site"},
    "editor": {"en": "Query editor", "fr": "Éditeur de requêtes"},
    "editor_help": {
        "en": "Write SPARQL and press the run button (or Ctrl+Enter). The default graph is the union of all graphs.",
        "fr": "Écrivez du SPARQL et lancez la requête (ou Ctrl+Entrée). Le graphe par défaut est l'union de tous les "
              "graphes.",
    },
    "editor_missing": {
        "en": "The interactive editor (YASGUI) is not installed with this copy of dealgraph. To get it, run "
        "<code>npm ci &amp;&amp; npm run build</code> in the repository before <code>pip install .</code>. "
        "Meanwhile this form sends your query to the endpoint.",
        "fr": "L'éditeur interactif (YASGUI) n'est pas installé avec cette copie de dealgraph. Pour l'obtenir, lancez "
        "<code>npm ci &amp;&amp; npm run build</code> dans le dépôt avant <code>pip install .</code>. "
        "En attendant, ce formulaire envoie votre requête au point d'accès.",
    },
    "query_text": {"en": "SPARQL query", "fr": "Requête SPARQL"},
    "run": {"en": "Run", "fr": "Exécuter"},
    "saved_queries": {"en": "Saved queries", "fr": "Requêtes enregistrées"},
    "saved_help": {
        "en": "Ready-made questions, grouped by theme. Fill in a form and run it, or open the query's page.",
        "fr": "Des questions prêtes à l'emploi, par thème. Remplissez un formulaire et lancez-le, ou ouvrez la page "
              "de la requête.",
    },
    "open_page": {"en": "Open the query's page", "fr": "Ouvrir la page de la requête"},
    "dataset": {"en": "The dataset", "fr": "Le jeu de données"},
    "graphs": {"en": "Graphs", "fr": "Graphes"},
    "graph": {"en": "Graph", "fr": "Graphe"},
    "triples": {"en": "Triples", "fr": "Triplets"},
    "total": {"en": "Total", "fr": "Total"},
    "sources": {"en": "Sources", "fr": "Sources"},
    "pictures": {"en": "Pictures", "fr": "Images"},
    "timeline": {"en": "Timeline of deals", "fr": "Chronologie des opérations"},
    "ownership_graph": {"en": "Ownership and control", "fr": "Propriété et contrôle"},
    "download": {"en": "Download", "fr": "Télécharger"},
    "organizations": {"en": "Organizations", "fr": "Organisations"},
    "deals": {"en": "Deals", "fr": "Opérations"},
    "names": {"en": "Names", "fr": "Noms"},
    "description": {"en": "Description", "fr": "Description"},
    "wikidata": {"en": "Wikidata", "fr": "Wikidata"},
    "as_acquirer": {"en": "Deals as acquirer", "fr": "Opérations comme acquéreur"},
    "as_target": {"en": "Deals as target", "fr": "Opérations comme cible"},
    "as_seller": {"en": "Deals as seller", "fr": "Opérations comme vendeur"},
    "as_competingBidder": {"en": "Deals as competing bidder", "fr": "Opérations comme enchérisseur concurrent"},
    "deal": {"en": "Deal", "fr": "Opération"},
    "date": {"en": "Date", "fr": "Date"},
    "price": {"en": "Price", "fr": "Prix"},
    "outcome": {"en": "Outcome", "fr": "Issue"},
    "source": {"en": "Source", "fr": "Source"},
    "owned": {"en": "What it owned", "fr": "Ce qu'elle a possédé"},
    "owned_by": {"en": "Who owned it", "fr": "Qui l'a possédée"},
    "owner": {"en": "Owner", "fr": "Propriétaire"},
    "owned_thing": {"en": "Owned", "fr": "Possédé"},
    "from": {"en": "From", "fr": "Du"},
    "to": {"en": "To", "fr": "Au"},
    "still_owned": {"en": "still owned, as far as the sources say", "fr": "toujours possédé, selon les sources"},
    "operates": {"en": "Operates", "fr": "Exploite"},
    "operated_by": {"en": "Operated by", "fr": "Exploité par"},
    "events": {"en": "Events", "fr": "Événements"},
    "none": {"en": "None in the sources.", "fr": "Aucune selon les sources."},
    "parties": {"en": "Parties", "fr": "Parties"},
    "acquirer": {"en": "Acquirer", "fr": "Acquéreur"},
    "target": {"en": "Target", "fr": "Cible"},
    "seller": {"en": "Seller", "fr": "Vendeur"},
    "competingBidder": {"en": "Competing bidder", "fr": "Enchérisseur concurrent"},
    "terms": {"en": "Terms", "fr": "Conditions"},
    "scheduled": {"en": "Scheduled for", "fr": "Prévue pour le"},
    "after": {"en": "After", "fr": "Après"},
    "no_date": {"en": "no date in the sources", "fr": "pas de date dans les sources"},
    "no_price": {"en": "no price in the sources", "fr": "pas de prix dans les sources"},
    "evidence": {"en": "Evidence", "fr": "Preuves"},
    "stated": {"en": "stated", "fr": "affirmé"},
    "hedged": {"en": "only reported", "fr": "seulement rapporté"},
    "reported_by": {"en": "reported by", "fr": "rapporté par"},
    "claims": {"en": "Disputed by other sources", "fr": "Contesté par d'autres sources"},
    "claim_says": {"en": "claims", "fr": "affirme"},
    "consequences": {"en": "Inferred consequences", "fr": "Conséquences inférées"},
    "consequences_help": {
        "en": "Derived by dealgraph's rules, not stated by any source; each with the rule and the premises it used.",
        "fr": "Déduites par les règles de dealgraph, non affirmées par une source ; chacune avec la règle et ses "
              "prémisses.",
    },
    "inferred": {"en": "inferred", "fr": "inféré"},
    "why_inferred": {"en": "How its inferred statements were derived", "fr": "D'où viennent ses énoncés inférés"},
    "derived_from": {"en": "Derived from", "fr": "Déduit de"},
    "rule": {"en": "Rule", "fr": "Règle"},
    "premises": {"en": "Premises", "fr": "Prémisses"},
    "statements": {"en": "All statements", "fr": "Tous les énoncés"},
    "property": {"en": "Property", "fr": "Propriété"},
    "value": {"en": "Value", "fr": "Valeur"},
    "referenced_by": {"en": "Referenced by", "fr": "Cité par"},
    "other_formats": {"en": "This description as", "fr": "Cette description en"},
    "type": {"en": "Type", "fr": "Type"},
    "ontology": {"en": "Ontology", "fr": "Ontologie"},
    "classes": {"en": "Classes", "fr": "Classes"},
    "object_properties": {"en": "Object properties", "fr": "Propriétés d'objet"},
    "datatype_properties": {"en": "Datatype properties", "fr": "Propriétés de données"},
    "annotation_properties": {"en": "Annotation properties", "fr": "Propriétés d'annotation"},
    "individuals": {"en": "Named individuals", "fr": "Individus nommés"},
    "subclass_of": {"en": "Subclass of", "fr": "Sous-classe de"},
    "subproperty_of": {"en": "Subproperty of", "fr": "Sous-propriété de"},
    "domain": {"en": "Domain", "fr": "Domaine"},
    "range": {"en": "Range", "fr": "Portée"},
    "inverse_of": {"en": "Inverse of", "fr": "Inverse de"},
    "characteristics": {"en": "Characteristics", "fr": "Caractéristiques"},
    "member_of": {"en": "Instance of", "fr": "Instance de"},
    "contents": {"en": "Contents", "fr": "Sommaire"},
    "language": {"en": "Language", "fr": "Langue"},
    "endpoint": {"en": "SPARQL endpoint", "fr": "Point d'accès SPARQL"},
    "example_query": {
        "en": "Which companies did France Télécom buy, when, for how much, and with what outcome?",
        "fr": "Quelles entreprises France Télécom a-t-elle achetées, quand, pour combien, et avec quelle issue ?",
    },
    "kind": {"en": "Kind", "fr": "Nature"},
}

#: Outcomes, certainties and kinds of facts, by the local name of their IRI.
_TERMS: dict[str, dict[str, str]] = {
    "Completed": {"en": "completed", "fr": "réalisée"},
    "Pending": {"en": "pending", "fr": "en cours"},
    "Rumoured": {"en": "rumoured", "fr": "rumeur"},
    "SeekingBuyer": {"en": "seeking a buyer", "fr": "à la recherche d'un acheteur"},
    "Withdrawn": {"en": "withdrawn", "fr": "retirée"},
    "Failed": {"en": "failed", "fr": "échouée"},
    "Acquisition": {"en": "acquisition", "fr": "acquisition"},
    "Divestiture": {"en": "sale", "fr": "cession"},
    "AttemptedSale": {"en": "attempted sale", "fr": "tentative de cession"},
    "Integration": {"en": "integration", "fr": "intégration"},
    "Merger": {"en": "merger", "fr": "fusion"},
    "Deal": {"en": "deal", "fr": "opération"},
    "Event": {"en": "event", "fr": "événement"},
}


def language() -> str:
    """``en`` or ``fr`` for this request: ``?lang=``, else ``Accept-Language``, else English."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def word(key: str, lang: str) -> str:
    """The page text *key* in *lang*."""
    return _WORDS[key][lang]


def words(lang: str) -> dict[str, str]:
    """Every page text in *lang*, for templates (``t.run``)."""
    return {key: texts[lang] for key, texts in _WORDS.items()}


def term(local_name: str, lang: str) -> str:
    """An outcome or a kind of fact (``Completed``, ``Acquisition`` …) in words."""
    return _TERMS.get(local_name, {}).get(lang, local_name)


def pick_literal(literals: Iterable[Node], lang: str) -> str | None:
    """The literal to show in *lang*: tagged *lang*, else untagged, else English, else the first."""
    found = [x for x in literals if isinstance(x, Literal)]
    for test in (
        lambda x: (x.language or "").lower().startswith(lang),
        lambda x: not x.language,
        lambda x: (x.language or "").lower().startswith("en"),
        lambda x: True,
    ):
        match = next((x for x in found if test(x)), None)
        if match is not None:
            return str(match)
    return None
