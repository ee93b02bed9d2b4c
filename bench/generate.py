"""A LUBM-style generator of deal graphs: ``python bench/generate.py 100000 out.nt.gz``.

Like LUBM's UBA, it builds a synthetic but realistic-shaped graph from a seed, so
that any size can be made again byte for byte: organizations in industries, and
completed acquisitions between them (dated, a third of them priced), each with its
evidence, in dealgraph's ontology. Acquirers are preferentially the larger
organizations, and a quarter of targets are bought again later. Its shape follows
Crunchbase's 2015 acquisitions (``../shared/datasets/deals/crunchbase-2015``): 9,478 of
26,656 organizations acquire, and 1,332 of the 18,510 targets (7 %) acquire too, so
that ``dg:controls`` chains exist but stay short (its transitive closure is 1.19 pairs
per acquisition there). Drawing targets from all organizations, as this generator
first did, made 56 % of targets acquirers: at a million triples the closure of
``dg:controls`` had 12.5 M pairs for 62 k acquisitions, which no real deal list has.
The size is the number of asserted triples, within a deal's worth.
"""

from __future__ import annotations

import argparse
import gzip
import random
from itertools import accumulate
from pathlib import Path

ID = "https://w3id.org/dealgraph/id/"
DG = "https://w3id.org/dealgraph/ontology#"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
INDUSTRIES = ["Software", "Retail", "Media", "Biotech", "Telecom", "Finance", "Energy", "Games"]
SYLLABLES = ["al", "pa", "ge", "to", "ri", "mex", "on", "ca", "stra", "vi", "nor", "dis", "ka", "lu", "zen", "ori"]
#: Shares of organizations that acquire, and of targets that are acquirers (Crunchbase 2015).
ACQUIRING, TARGETS_ACQUIRING = 9478 / 26656, 1332 / 18510
#: Triples per deal (with evidence) and per organization, averaged: used to size the graph.
PER_DEAL, PER_ORG = 13.3, 3


def _name(rng: random.Random, number: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize() + f" {number}"


def generate(triples: int, seed: int = 1) -> list[str]:
    """N-Triples lines of a deal graph of about *triples* triples."""
    rng = random.Random(seed)
    deals = int(triples / (PER_DEAL + PER_ORG * 0.9))
    organizations = max(int(deals * 0.9), 10)
    lines = []
    source = f"<{ID}source/generated>"
    lines.append(f"{source} <{RDF_TYPE}> <{SCHEMA}Dataset> .")
    lines.append(f'{source} <{LABEL}> "Generated deal graph (bench/generate.py, seed {seed})" .')
    for number in range(organizations):
        org = f"<{ID}org/gen/{number}>"
        lines.append(f"{org} <{RDF_TYPE}> <{DG}Organization> .")
        lines.append(f'{org} <{LABEL}> "{_name(rng, number)}" .')
        lines.append(f'{org} <{SCHEMA}industry> "{rng.choice(INDUSTRIES)}" .')
    acquirers = max(int(organizations * ACQUIRING), 2)  # organizations 0 … acquirers - 1
    weights = list(accumulate(1.0 / (1 + n) ** 0.6 for n in range(acquirers)))  # a few big acquirers, a long tail
    acquired: list[int] = []
    for number in range(deals):
        acquirer = rng.choices(range(acquirers), cum_weights=weights)[0]
        if acquired and rng.random() < 0.25:
            target = rng.choice(acquired)  # bought again
        elif rng.random() < TARGETS_ACQUIRING:
            target = rng.randrange(acquirers)  # an acquirer bought: chains of ownership
        else:
            target = rng.randrange(acquirers, organizations)
        if target == acquirer:
            target = (target + 1) % organizations
        acquired.append(target)
        deal = f"<{ID}deal/gen/{number}>"
        year, month, day = rng.randint(1990, 2015), rng.randint(1, 12), rng.randint(1, 28)
        lines += [
            f"{deal} <{RDF_TYPE}> <{DG}Acquisition> .",
            f'{deal} <{LABEL}> "Deal {number}" .',
            f"{deal} <{DG}acquirer> <{ID}org/gen/{acquirer}> .",
            f"{deal} <{DG}target> <{ID}org/gen/{target}> .",
            f"{deal} <{DG}outcome> <{DG}Completed> .",
            f'{deal} <{DG}date> "{year}-{month:02d}-{day:02d}"^^<{XSD}date> .',
            f"{deal} <{DG}evidence> <{ID}deal/gen/{number}/evidence> .",
            f"<{ID}deal/gen/{number}/evidence> <{RDF_TYPE}> <{DG}Evidence> .",
            f"<{ID}deal/gen/{number}/evidence> <{DG}source> {source} .",
            f"<{ID}deal/gen/{number}/evidence> <{DG}certainty> <{DG}Stated> .",
        ]
        if rng.random() < 0.33:
            price = f"<{ID}deal/gen/{number}/price>"
            lines += [
                f"{deal} <{DG}price> {price} .",
                f"{price} <{RDF_TYPE}> <{SCHEMA}MonetaryAmount> .",
                f'{price} <{SCHEMA}value> "{rng.randint(1, 5000) * 100000}"^^<{XSD}decimal> .',
                f'{price} <{SCHEMA}currency> "{rng.choice(["USD", "USD", "EUR", "GBP"])}" .',
            ]
    return lines


def write(triples: int, path: Path, seed: int = 1) -> int:
    """Write the graph to *path* (``.nt`` or ``.nt.gz``); returns its number of triples."""
    lines = generate(triples, seed)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{write(args.triples, args.output, args.seed)} triples → {args.output}")


if __name__ == "__main__":
    main()
