"""``dealgraph queries``, run as users run it: a real process, real output and exit status."""

import json
import subprocess
import sys


def dealgraph(*args):
    return subprocess.run([sys.executable, "-m", "dealgraph", *args], capture_output=True, text=True, timeout=300)


def test_queries_list_names_each_query_with_its_parameters():
    done = dealgraph("queries", "list")
    assert done.returncode == 0, done.stderr
    assert "deals: Deals by acquirer, target, seller, outcome and period" in done.stdout
    assert "    acquirer (organization, repeatable)  e.g. France Télécom" in done.stdout


def test_queries_run_binds_typed_parameters_and_prints_sparql_json():
    done = dealgraph("queries", "run", "deal-prices", "--param", "min_price=40000000 EUR", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert [(r["target"]["value"], r["price"]["value"]) for r in rows] == [
        ("https://w3id.org/dealgraph/id/org/alapage", "50000000")
    ]


def test_queries_run_prints_a_table_and_takes_repeated_parameters():
    done = dealgraph("queries", "run", "deals", "-p", "acquirer=Carrefour", "-p", "acquirer=Altarea Cogedim")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("(2 rows)")


def test_queries_run_refuses_a_bad_value_with_the_parameter_and_type():
    done = dealgraph("queries", "run", "deals", "--param", "from=yesterday")
    assert done.returncode == 1
    assert "parameter 'from': 'yesterday' is not valid; expected a date as YYYY-MM-DD" in done.stderr
    assert "Traceback" not in done.stderr


def test_queries_check_passes_on_the_shipped_queries():
    done = dealgraph("queries", "check")
    assert done.returncode == 0, done.stdout
    assert "FAIL" not in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].endswith("saved queries are fine")
