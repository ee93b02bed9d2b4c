"""The benchmark's deal graphs have Crunchbase's shape, and the same seed makes the same bytes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from dealgraph.owl2rl import reachable

spec = importlib.util.spec_from_file_location("generate", Path(__file__).parent.parent / "bench" / "generate.py")
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)

EDGE = re.compile(r"^<[^>]*/deal/gen/(\d+)> <[^>]*#(acquirer|target)> <[^>]*/org/gen/(\d+)> \.$")


def acquisitions(lines: list[str]) -> list[tuple[int, int]]:
    ends: dict[str, dict[str, int]] = {}
    for line in lines:
        if found := EDGE.match(line):
            ends.setdefault(found[1], {})[found[2]] = int(found[3])
    return [(deal["acquirer"], deal["target"]) for deal in ends.values()]


def test_a_generated_graph_is_the_same_for_the_same_seed_and_different_for_another():
    assert generate.generate(5000, seed=3) == generate.generate(5000, seed=3)
    assert generate.generate(5000, seed=3) != generate.generate(5000, seed=4)


def test_few_targets_acquire_so_control_chains_stay_short_as_in_crunchbase():
    pairs = acquisitions(generate.generate(200_000))
    acquirers, targets = {a for a, _ in pairs}, {t for _, t in pairs}
    share = len(acquirers & targets) / len(targets)
    assert 0.03 < share < 0.15  # Crunchbase 2015: 1,332 of 18,510 targets (7 %)
    successors: dict[int, set[int]] = {}
    for acquirer, target in pairs:
        successors.setdefault(acquirer, set()).add(target)
    closure = sum(map(len, reachable(successors).values()))
    edges = sum(map(len, successors.values()))
    assert 1.0 <= closure / edges < 2.0  # Crunchbase 2015: 1.19 dg:controls pairs per acquisition
