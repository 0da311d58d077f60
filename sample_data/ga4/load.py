"""Load the generated GA4 sample into the dataset ``analytics_demo``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb

SCHEMA = "analytics_demo"
GENERATOR = Path(__file__).resolve().parent / "generate.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_ga4_generate", GENERATOR)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no GA4 sample generator at {GENERATOR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _create(con: duckdb.DuckDBPyConnection, name: str, rows: object) -> None:
    con.register("generated_rows", rows)
    con.execute(f"create table {SCHEMA}.{name} as select * from generated_rows")
    con.unregister("generated_rows")


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the dataset's tables; return the rows the default vars read.

    Those are the rows of the daily tables: without ``ga4_use_intraday`` the
    intraday tables are not read, and the tables that only look like shards never
    are.
    """
    generate = _generator()
    con.execute(f"drop schema if exists {SCHEMA} cascade")
    con.execute(f"create schema {SCHEMA}")
    read = 0
    for name, rows in sorted(generate.shards().items()):
        _create(con, name, generate.shard_table(rows))
        if name.removeprefix("events_").isdigit():
            read += len(rows)
    _create(con, "pseudonymous_users_20240605", generate.pseudonymous_users_table())
    return read
