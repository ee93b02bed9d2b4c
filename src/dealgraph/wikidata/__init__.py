"""Wikidata: confirmed links, the offline snapshot, the candidate linker and reconciliation.

* :mod:`.links` — ``owl:sameAs``/``skos:exactMatch`` links and their evidence.
* :mod:`.snapshot` — the ``…/graph/wikidata`` snapshot in Wikidata's own terms.
* :mod:`.names` — one name normalisation for the linker and the reconciliation service.
* :mod:`.linker` — candidates for unlinked organizations and the review file.
* :mod:`.reconcile` — the W3C Reconciliation Service API v0.2 over the organizations.
* :mod:`.cli` — ``dealgraph wikidata snapshot`` and ``dealgraph link``.
"""
