"""The adapters built with the core, when they are: SQLite storage, CSV and
the Maven dataset (the example script runs end to end)."""

import os
import subprocess
import sys

import pytest

import nudge
from conftest import BENCH_NOW, at, only_forgotten, seed_forgotten

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MAVEN = os.path.join(ROOT, "examples", "data", "maven")

needs_sqlite = pytest.mark.skipif(not nudge.HAS_SQLITE, reason="built without nudge::sqlite")
needs_csv = pytest.mark.skipif(not nudge.HAS_CSV, reason="built without nudge::csv")


@needs_sqlite
def test_sqlite_storage_runs_the_engine_and_persists(tmp_path):
    path = str(tmp_path / "crm.db")
    store = nudge.SqliteStorage(path)
    seed_forgotten(store, at(2026, 1, 1))
    engine = nudge.Engine(only_forgotten())
    result = engine.apply(engine.plan(store, BENCH_NOW), store)
    assert result.applied == 2
    del store
    again = nudge.SqliteStorage(path)
    assert again.path == path
    assert again.find_client(10).has_label("forgotten")
    assert len(again.tasks_of(10, True)) == 1
    assert len(engine.plan(again, BENCH_NOW)) == 0


@needs_sqlite
def test_sqlite_storage_bulk_load_and_errors():
    store = nudge.SqliteStorage(":memory:")
    store.bulk_load(managers=[(1, "Head")], clients=[(10, "Acme", 1, "smb", "B2B", at(2026, 1, 1))])
    assert store.find_client(10).name == "Acme"
    with pytest.raises(nudge.NotFound, match=r"^clients\[0\]: client 11: owner: unknown manager 7$"):
        store.bulk_load(clients=[(11, "B", 7, "smb", "B2B", at(2026, 1, 1))])


@needs_csv
def test_csv_maven_import_and_stale_deals():
    store = nudge.MemoryStorage()
    report = nudge.csv.import_maven(store, MAVEN)
    assert report.deals == 8800 and report.agents == 35
    assert "deal_without_account" in [q.id for q in report.quirks]
    assert str(report).strip()
    config = nudge.EngineConfig()
    config.dead_deal = [nudge.DeadDealConfig(max_age=nudge.Period.days(120))]
    plan = nudge.Engine(config).plan(store, nudge.parse_instant("2017-12-31"))
    assert len(plan.findings) > 0 and {f.rule for f in plan.findings} == {"dead_deal"}
    assert sum(r.open_deals for r in plan.forecast) == report.deals_by_stage.get("engaging", 0) + \
        report.deals_by_stage.get("prospecting", 0)


@needs_csv
def test_csv_import_errors_list_the_issues(tmp_path):
    (tmp_path / "managers.csv").write_text("id,name\nnot-a-number,Head\n")
    store = nudge.MemoryStorage()
    with pytest.raises(nudge.csv.CsvImportError) as e:
        nudge.csv.import_directory(store, str(tmp_path))
    assert isinstance(e.value, nudge.InvalidArgument)
    assert e.value.issues and e.value.issues[0][0] == "managers.csv"
    assert store.find_manager(1) is None


@needs_csv
def test_example_maven_pipeline_prints_stale_deals_and_forecast():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "maven_pipeline.py"),
                          "--limit", "3"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert "Stale deals at 2017-12-31:" in out.stdout
    assert "Forecast: weighted open pipeline per agent" in out.stdout
    assert "total" in out.stdout
