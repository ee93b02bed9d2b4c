"""The OWL 2 RL closure by Nemo (``nmo_python``, Rust): the ``nemo`` engine, for large datasets.

The rules are ``owl2rl.rls`` (W3C OWL 2 Profiles, section 4.3), in Nemo's rule language.
Nemo reads the triples from a file and writes what the closure adds to one, so the
triples are never Python objects on the way: on the 1 M bench graph the engine's
process peaked at 306 MiB where ``reasonable`` (:mod:`dealgraph.owl2rl`) took 1,846 MiB,
in 37 s against 34 s (at 100 k: 3.9 s against 5.2 s). It keeps no state: a write that
needs reasoning derives everything again.

Nemo 0.10.1 does not round-trip RDF terms: it reads literals as values ("042"^^xsd:integer
and "42" become 42, exported as "42"^^xsd:int; "1.50" becomes "1.5"; language tags are
lower-cased; some literals, e.g. "  7 "^^xsd:int, scramble the rows of the table they are
in), and renames blank nodes. So every literal goes in as the IRI
``<urn:x-nemo:l:{percent-encoded N-Triples form}>`` and every blank node as
``<urn:x-nemo:b:{label}>``: Nemo then compares literals by identity, as OWL 2 RL's rules
do, and its output is decoded back, term for term.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pyoxigraph as ox

from .owl2rl import InconsistencyError

Triple = tuple  # (subject, predicate, object), pyoxigraph terms

RULES = Path(__file__).with_name("owl2rl.rls")
_LITERAL, _BLANK = "urn:x-nemo:l:", "urn:x-nemo:b:"
_ENCODED = re.compile(r"<urn:x-nemo:([lb]):([^>]*)>")


def _term(term) -> str:
    if type(term) is ox.NamedNode:
        return f"<{term.value}>"
    if type(term) is ox.BlankNode:
        return f"<{_BLANK}{quote(term.value, safe='')}>"
    return f"<{_LITERAL}{quote(str(term), safe='')}>"


def _write_encoded(triples: Iterable[Triple], target: Path) -> None:
    with open(target, "w", encoding="utf-8") as out:
        write = out.write
        for s, p, o in triples:
            write(f"{_term(s)} {_term(p)} {_term(o)} .\n")


def _decoded(match: re.Match) -> str:
    kind, text = match.groups()
    return unquote(text) if kind == "l" else f"_:{unquote(text)}"


def _decode(source: Path, target: Path) -> None:
    """Nemo's export, decoded term for term; triples with a literal subject (not RDF) left out."""
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            if not line.startswith("<" + _LITERAL):
                out.write(_ENCODED.sub(_decoded, line) if "<urn:x-nemo:" in line else line)


def _show(term: str) -> str:
    if term.startswith(_LITERAL):
        return unquote(term[len(_LITERAL) :])
    if term.startswith(_BLANK):
        return "_:" + unquote(term[len(_BLANK) :])
    return f"<{term}>"


_MESSAGES = {
    "eq-diff1": "{0} owl:sameAs {1}, but they are owl:differentFrom (eq-diff1)",
    "eq-diff2": "{0} owl:sameAs {1}, but they are all different (eq-diff2)",
    "eq-diff3": "{0} owl:sameAs {1}, but they are all different (eq-diff3)",
    "prp-irp": "{0} {1} itself, which is irreflexive (prp-irp)",
    "prp-asyp": "{0} {1} {2} and back, which is asymmetric (prp-asyp)",
    "prp-pdw": "{0} {1} {2}, and also by a property disjoint with it (prp-pdw)",
    "prp-adp": "{0} {1} {2}, and also by a property disjoint with it (prp-adp)",
    "prp-npa1": "{0} {1} {2}, a negative property assertion (prp-npa1)",
    "prp-npa2": "{0} {1} {2}, a negative property assertion (prp-npa2)",
    "cls-nothing2": "{0} is an instance of owl:Nothing (cls-nothing2)",
    "cls-com": "{0} is both {1} and its complement {2} (cls-com)",
    "cls-maxc1": "{0} has a {1}, but {2} allows none (cls-maxc1)",
    "cls-maxqc1": "{0} has a {1}, but {2} allows none (cls-maxqc1)",
    "cls-maxqc2": "{0} has a {1}, but {2} allows none (cls-maxqc2)",
    "cax-dw": "{0} is both {1} and {2}, which are disjoint (cax-dw)",
    "cax-adc": "{0} is both {1} and {2}, which are disjoint (cax-adc)",
}


def _messages(rows) -> list[str]:
    found = set()
    for rule, *terms in rows:
        rule = str(rule).strip('"')
        shown = [_show(str(t).strip("<>")) for t in terms]
        if rule in ("eq-diff1", "prp-asyp") and shown[0] > shown[-2 if rule == "eq-diff1" else -1]:
            shown = [shown[1], shown[0], *shown[2:]] if rule == "eq-diff1" else [shown[2], shown[1], shown[0]]
        found.add(_MESSAGES.get(rule, rule + ": {0} {1} {2}").format(*shown))
    return sorted(found)


def entailments(triples: Iterable[Triple]) -> Iterator[Triple]:
    """What the OWL 2 RL closure of *triples* (pyoxigraph terms) adds to them; InconsistencyError if a
    ``false`` rule fires. Trivial reflexive triples (``x owl:sameAs x``…) are left out."""
    import nmo_python  # only the engine's process needs it

    with tempfile.TemporaryDirectory(prefix="dealgraph-nemo-") as folder:
        folder = Path(folder)
        _write_encoded(triples, folder / "input.nt")
        program = (
            f'@import input :- ntriples{{resource="{folder / "input.nt"}"}} .\n'
            '@export inferred :- ntriples{resource="inferred.nt"} .\n'
            '@export contradiction :- csv{resource="contradiction.csv"} .\n' + RULES.read_text(encoding="utf-8")
        )
        engine = nmo_python.NemoEngine(nmo_python.load_string(program))
        engine.reason()
        problems = _messages(engine.result("contradiction"))
        if problems:
            raise InconsistencyError(problems)
        engine.write_result("inferred", nmo_python.NemoOutputManager(str(folder), overwrite=True))
        del engine
        exported = folder / "inferred.nt"
        if exported.exists():
            _decode(exported, folder / "decoded.nt")
            for triple in ox.parse(path=folder / "decoded.nt", format=ox.RdfFormat.N_TRIPLES):
                yield triple.subject, triple.predicate, triple.object
