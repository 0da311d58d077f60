"""The models compiled for BigQuery, parsed as BigQuery SQL.

dbt compiles against a real connection: the source checks, the GA4 shard listing
and the column look-ups ask the warehouse. Here they ask bqemulator on
127.0.0.1, holding every sample source table with its BigQuery column types (and
no rows). Every compiled model and data test is then parsed with sqlglot's
BigQuery dialect. What this covers: the BigQuery variants of the dispatch macros
render, the SQL is syntactically BigQuery, and the shards are chosen by
`_TABLE_SUFFIX`. What it does not: BigQuery's type checks and results, which only
BigQuery itself gives.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from bigquery_emulator import (
    PROJECT,
    Emulator,
    EmulatorUnavailable,
    copy_sample_schemas,
    running_emulator,
)
from dbt_support import BIN, REPO, load_sample, new_project

DATASET = "hackle_export"
PROFILES_YML = """
hackle_export:
  target: bigquery
  outputs:
    bigquery:
      type: bigquery
      method: oauth-secrets
      token: local-emulator
      project: {project}
      dataset: {dataset}
      api_endpoint: {endpoint}
      threads: 1
"""


@dataclass(frozen=True)
class Compiled:
    root: Path

    def model(self, name: str) -> str:
        [path] = self.root.glob(f"models/**/{name}.sql")
        return path.read_text()

    def files(self, folder: str) -> list[Path]:
        return sorted((self.root / folder).rglob("*.sql"))


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    workdir = tmp_path_factory.mktemp("bigquery")
    project = new_project(workdir / "sample")
    load_sample(project)
    try:
        with running_emulator(workdir / "bqemulator.log") as running:
            copy_sample_schemas(project.database, running.client())
            yield running
    except EmulatorUnavailable as exc:
        pytest.fail(f"the BigQuery emulator is needed and could not run: {exc}")


def compile_for_bigquery(
    emulator: Emulator, workdir: Path, vars: dict[str, Any] | None = None
) -> Compiled:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "profiles.yml").write_text(
        PROFILES_YML.format(
            project=PROJECT, dataset=DATASET, endpoint=emulator.endpoint
        )
    )
    env = dict(os.environ)
    env.update(
        DBT_TARGET_PATH=str(workdir / "target"),
        DBT_LOG_PATH=str(workdir / "logs"),
        DBT_USE_COLORS="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env.pop("DBT_PROFILES_DIR", None)
    command = [
        str(BIN / "dbt"),
        "compile",
        "--select",
        "resource_type:model",
        "resource_type:test",
        "--profiles-dir",
        str(workdir),
        "--target",
        "bigquery",
    ]
    if vars:
        command += ["--vars", json.dumps(vars)]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"dbt compile failed:\n{result.stdout}\n{result.stderr}"
    )
    return Compiled(workdir / "target" / "compiled" / "hackle_export")


@pytest.fixture(scope="session")
def compiled(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    return compile_for_bigquery(emulator, tmp_path_factory.mktemp("compile"))


def test_every_model_compiles_and_parses_as_bigquery(compiled: Compiled) -> None:
    models = compiled.files("models")
    names = {path.stem for path in models}
    for expected in (
        "hackle_events",
        "hackle_events_rejected",
        "hackle_daily_summary",
        "hackle_source_status",
        "stg_ga4__shard_rows",
        "stg_snowplow__properties",
        "stg_segment__properties",
        "stg_amplitude__properties",
        "stg_generic__properties",
    ):
        assert expected in names
    for path in models + compiled.files("tests"):
        try:
            sqlglot.parse(path.read_text(), read="bigquery")
        except sqlglot.errors.ParseError as exc:
            pytest.fail(f"{path.name} is not BigQuery SQL: {exc}")


def test_maps_are_lists_of_key_value_records(compiled: Compiled) -> None:
    events = compiled.model("hackle_events")

    assert "array_agg(\n        struct(" in events
    assert "array<struct<key string, value string>>[]" in events
    assert "cast(\n        coalesce(round(" in events
    assert "as numeric(24, 6)" in events


def test_bigquery_functions_replace_duckdb_ones(compiled: Compiled) -> None:
    validated = compiled.model("int_events__validated")
    snowplow = compiled.model("stg_snowplow__events")
    amplitude = compiled.model("stg_amplitude__properties")

    assert "safe_cast(trim(" in validated
    assert "bignumeric(38, 18)" in validated
    assert "timestamp_add(" in validated
    assert "timestamp_trunc(" in validated
    assert "regexp_extract(useragent, r'(?i)android/([0-9][0-9.]*)')" in snowplow
    assert "json_keys(json_object_value, 1)" in amplitude
    for name in (
        "int_events__validated",
        "stg_snowplow__events",
        "stg_amplitude__properties",
    ):
        sql = compiled.model(name)
        for duckdb_only in (
            "regexp_full_match",
            "try_cast",
            "json_each",
            "list_filter",
        ):
            assert duckdb_only not in sql, f"{name} uses {duckdb_only}"


def shard_suffixes(sql: str) -> list[str]:
    match = re.search(r"_table_suffix in \(([^)]*)\)", sql)
    assert match, sql
    return re.findall(r"'([^']*)'", match.group(1))


def test_ga4_reads_the_daily_shards_through_the_wildcard(compiled: Compiled) -> None:
    shard_rows = compiled.model("stg_ga4__shard_rows")

    assert f"`{PROJECT}`.`analytics_demo`.`events_*`" in shard_rows
    # Not events_fresh_..., not events_20240101_backup, no intraday table.
    assert shard_suffixes(shard_rows) == [
        "20240603",
        "20240604",
        "20240605",
        "20240606",
    ]


def test_ga4_intraday_shards_join_only_for_dates_without_a_daily_one(
    emulator: Emulator, tmp_path: Path
) -> None:
    compiled = compile_for_bigquery(emulator, tmp_path, {"ga4_use_intraday": True})

    assert shard_suffixes(compiled.model("stg_ga4__shard_rows")) == [
        "20240603",
        "20240604",
        "20240605",
        "20240606",
        "intraday_20240607",
    ]
