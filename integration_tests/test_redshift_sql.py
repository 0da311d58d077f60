"""Every model compiled with the Redshift macros parses as Redshift SQL.

dbt-redshift cannot connect to PostgreSQL, so the project is compiled by
dbt-postgres against a real PostgreSQL 15 holding the sample's source tables,
with the redshift__ macros put where dbt-postgres looks (see
postgres_support.redshift_project_copy): the SQL is exactly what dbt-redshift
would render. What this covers: the Redshift SQL of every model renders and is
Redshift syntax as sqlglot knows it, and uses Redshift's own functions. What it
does not: that Redshift runs it and gives the same rows (no Redshift runs here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from postgres_support import (
    DbtOnPostgres,
    Postgres,
    postgres_fixture,  # noqa: F401 (the postgres fixture)
    redshift_project_copy,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redshift_models(
    postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    root = tmp_path_factory.mktemp("redshift-compile")
    project = redshift_project_copy(root / "project")
    runner = DbtOnPostgres(project, root / "work", postgres)
    runner.dbt(
        "compile", "--select", "resource_type:model", "--indirect-selection", "empty"
    )
    return runner.compiled_models()


def test_every_model_compiles_with_the_redshift_macros(
    redshift_models: dict[str, str],
) -> None:
    assert {
        "hackle_events",
        "hackle_events_rejected",
        "hackle_daily_summary",
        "hackle_source_status",
        "int_events__validated",
        "stg_snowplow__properties",
        "stg_generic__properties",
        "stg_segment__properties",
        "stg_amplitude__properties",
    } <= set(redshift_models)


def test_every_compiled_model_parses_as_redshift(
    redshift_models: dict[str, str],
) -> None:
    failures = {}
    for name, sql in redshift_models.items():
        try:
            sqlglot.parse_one(sql, read="redshift")
        except sqlglot.errors.ParseError as exc:
            failures[name] = str(exc)[:300]
    assert failures == {}


def test_the_models_use_redshift_functions(redshift_models: dict[str, str]) -> None:
    events = redshift_models["hackle_events"].lower()
    assert "json_parse(" in events
    assert "listagg(" in events
    assert "jsonb" not in events

    validated = redshift_models["int_events__validated"].lower()
    assert "split_part(" in validated  # the exact metric decimal
    assert "try_cast" not in validated

    amplitude = redshift_models["stg_amplitude__properties"].lower()
    assert "unpivot" in amplitude
    assert "json_typeof(" in amplitude
    assert "lateral" not in amplitude

    # PostgreSQL cuts names at 63 characters, so the sample's longest Snowplow
    # context columns are not found there; its self-describing events are.
    snowplow_properties = redshift_models["stg_snowplow__properties"].lower()
    assert "json_extract_array_element_text(" in snowplow_properties
    snowplow_events = redshift_models["stg_snowplow__events"].lower()
    assert "regexp_substr(" in snowplow_events
    assert "cast(null as varchar(max))" in snowplow_events


def test_time_zones_go_through_convert_timezone(
    postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("redshift-seoul")
    project = redshift_project_copy(root / "project")
    runner = DbtOnPostgres(project, root / "work", postgres)
    runner.dbt(
        "compile",
        "--select",
        "int_events__validated",
        "--indirect-selection",
        "empty",
        vars={"partition_timezone": "Asia/Seoul"},
    )
    validated = runner.compiled_models()["int_events__validated"].lower()
    assert "convert_timezone('utc', 'asia/seoul'" in validated
    assert "at time zone" not in validated
    sqlglot.parse_one(validated, read="redshift")
