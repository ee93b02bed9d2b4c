"""A short run of the load test (bench/load.py) against a real server: readers, a runaway
query and a writer at once; no unexpected 5xx, no dropped connection, the runaway stopped
at its deadline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import start_dealgraph

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load.py"
DEADLINE = 2.0


def test_a_short_mixed_load_gets_no_5xx_and_drops_no_connection(tmp_path):
    env = {"DEALGRAPH_UPDATE_TOKEN": "load", "DEALGRAPH_QUERY_TIMEOUT": str(DEADLINE), "DEALGRAPH_QUERY_WORKERS": "3"}
    server = start_dealgraph(tmp_path / "serve.log", "--store", str(tmp_path / "store"), env=env)
    try:
        result = subprocess.run(
            [sys.executable, str(BENCH), "--url", server.url, "--token", "load", "--clients", "6", "--seconds", "5",
             "--deadline", str(DEADLINE), "--json"],
            capture_output=True, text=True, timeout=120, check=True,
        )
    finally:
        server.stop()
    summary = json.loads(result.stdout)
    assert summary["unexpected_5xx"] == 0 and summary["dropped_connections"] == 0, summary
    kinds = summary["kinds"]
    assert set(kinds["saved query"]["statuses"]) == {"200"} and set(kinds["sparql query"]["statuses"]) == {"200"}
    assert set(kinds["write"]["statuses"]) == {"200"}
    runaway = kinds["runaway query"]
    assert runaway["statuses"] == {"503": runaway["requests"]}
    assert runaway["max_ms"] < (DEADLINE + 3) * 1000
