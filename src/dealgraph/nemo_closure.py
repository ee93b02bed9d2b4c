"""The OWL 2 RL closure by Nemo (``nmo_python``), file to file: an experiment beside :mod:`dealgraph.owl2rl`.

The rules are ``owl2rl.rls``. Nemo imports the triples and exports what the closure adds
as N-Triples itself; Python only streams text through two small codecs, because Nemo
0.10.1 does not round-trip RDF terms: it reads literals as values ("042"^^xsd:integer and
"42" become 42, exported as "42"^^xsd:int; "1.50" becomes "1.5"; language tags are
lower-cased; some literals, e.g. "  7 "^^xsd:int, scramble the rows of the table they are
in), and renames blank nodes. So every literal goes in as the IRI
``<urn:x-nemo:l:{percent-encoded N-Triples form}>`` and every blank node as
``<urn:x-nemo:b:{label}>``: Nemo then compares literals by identity, as OWL 2 RL's rules
do, and the export is decoded back, term for term.

Triples are never held as Python objects: inputs are parsed and written one triple at a
time (pyoxigraph), the output is decoded line by line.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

import pyoxigraph as ox

from .load import _format_of
from .owl2rl import InconsistencyError

RULES = Path(__file__).with_name("owl2rl.rls")
_LITERAL, _BLANK = "urn:x-nemo:l:", "urn:x-nemo:b:"
_ENCODED = re.compile(r"<urn:x-nemo:([lb]):([^>]*)>")
_NONE = "http://www.w3.org/2002/07/owl#Nothing"


def _term(term) -> str:
    if type(term) is ox.NamedNode:
        return f"<{term.value}>"
    if type(term) is ox.BlankNode:
        return f"<{_BLANK}{quote(term.value, safe='')}>"
    return f"<{_LITERAL}{quote(str(term), safe='')}>"


def encode(inputs: list[Path], target: Path) -> int:
    """Write the triples of *inputs* (any RDF format dealgraph reads; graphs dropped) to *target*, encoded."""
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        write = out.write
        for path in inputs:
            found = _format_of(Path(path))
            if found is None:
                raise ValueError(f"{path}: not an RDF file")
            fmt, compressed = found
            with (gzip.open if compressed else open)(path, "rb") as stream:
                for t in ox.parse(stream, format=fmt, base_iri=Path(path).resolve().as_uri()):
                    write(f"{_term(t.subject)} {_term(t.predicate)} {_term(t.object)} .\n")
                    count += 1
    return count


def _decoded(match: re.Match) -> str:
    kind, text = match.groups()
    return unquote(text) if kind == "l" else f"_:{unquote(text)}"


def decode(source: Path, target: Path) -> tuple[int, int]:
    """Decode Nemo's export; triples with a literal subject (not RDF) are left out. Returns (written, left out)."""
    written = dropped = 0
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            if line.startswith("<" + _LITERAL):
                dropped += 1
                continue
            out.write(_ENCODED.sub(_decoded, line) if "<urn:x-nemo:" in line else line)
            written += 1
    return written, dropped


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


def closure_files(inputs: list[Path], output: Path, workdir: Path | None = None) -> dict:
    """The OWL 2 RL entailments of *inputs* not among them, as N-Triples in *output*; InconsistencyError if any.

    Returns counts: input triples, triples written, literal-subject triples left out.
    """
    import nmo_python

    with tempfile.TemporaryDirectory(dir=workdir, prefix="nemo-") as tmp:
        tmp = Path(tmp)
        given = encode([Path(p) for p in inputs], tmp / "input.nt")
        program = (
            f'@import input :- ntriples{{resource="{tmp / "input.nt"}"}} .\n'
            '@export inferred :- ntriples{resource="inferred.nt"} .\n'
            '@export contradiction :- csv{resource="contradiction.csv"} .\n' + RULES.read_text(encoding="utf-8")
        )
        engine = nmo_python.NemoEngine(nmo_python.load_string(program))
        engine.reason()
        problems = _messages(engine.result("contradiction"))
        if problems:
            raise InconsistencyError(problems)
        engine.write_result("inferred", nmo_python.NemoOutputManager(str(tmp), overwrite=True))
        del engine
        exported = tmp / "inferred.nt"
        written, dropped = decode(exported, Path(output)) if exported.exists() else (0, 0)
        if not exported.exists():
            Path(output).write_text("")
    return {"given": given, "inferred": written, "literal_subjects": dropped}
