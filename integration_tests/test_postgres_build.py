"""The whole project built for real on PostgreSQL 15 with the postgres__ macros.

The closest real stand-in for Redshift that runs here: the same dbt-postgres
materializations dbt-redshift builds on, the `hackle_replace_days` incremental
strategy, enforced contracts (maps as jsonb, DECIMAL(24,6)) and every data test
of the contract, on the sample's Snowplow, generic, Segment and Amplitude tables.
Unit tests are left out: their fixtures are written for DuckDB's map literals.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from postgres_support import (
    REPO,
    DbtOnPostgres,
    Postgres,
    postgres_fixture,  # noqa: F401 (the postgres fixture)
)

COMPLETE = {"sources_complete_until": "2030-01-01 00:00:00"}


def project_copy(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(REPO / "dbt_project.yml", folder / "dbt_project.yml")
    for name in ("macros", "models", "seeds", "tests"):
        shutil.copytree(REPO / name, folder / name)
    return folder


SUMMARY = (
    "select dt, source_rows, exported_rows, rejected_rows, duplicates_removed "
    "from hackle.hackle_daily_summary order by dt"
)


def build(postgres: Postgres, folder: Path) -> DbtOnPostgres:
    runner = DbtOnPostgres(project_copy(folder / "project"), folder, postgres)
    runner.dbt(
        "build", "--full-refresh", "--exclude-resource-type", "unit_test", vars=COMPLETE
    )
    return runner


def test_project_builds_on_postgres_with_every_contract_test(
    postgres: Postgres, tmp_path: Path
) -> None:
    build(postgres, tmp_path)

    summary = postgres.query(SUMMARY)
    events = postgres.query("select count(*) from hackle.hackle_events")[0][0]
    assert events == sum(row[2] for row in summary) > 0
    types = postgres.query(
        "select column_name, data_type, numeric_precision, numeric_scale "
        "from information_schema.columns where table_schema = 'hackle' "
        "and table_name = 'hackle_events' order by ordinal_position"
    )
    assert [(name, kind) for name, kind, _, _ in types] == [
        ("ts", "timestamp without time zone"),
        ("event_key", "character varying"),
        ("identifiers", "jsonb"),
        ("insert_id", "character varying"),
        ("metric_value", "numeric"),
        ("user_properties", "jsonb"),
        ("event_properties", "jsonb"),
        ("platform_properties", "jsonb"),
    ]
    assert types[4][2:] == (24, 6)


def test_incremental_run_replaces_the_rebuilt_days_on_postgres(
    postgres: Postgres, tmp_path: Path
) -> None:
    runner = build(postgres, tmp_path)
    first = postgres.query(SUMMARY)
    events = postgres.query("select count(*) from hackle.hackle_events")[0][0]

    runner.dbt("build", "--exclude-resource-type", "unit_test", vars=COMPLETE)

    assert postgres.query(SUMMARY) == first
    assert postgres.query("select count(*) from hackle.hackle_events")[0][0] == events
