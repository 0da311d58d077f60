"""Warehouse readers, one module per warehouse, chosen by the dbt target's type."""

from __future__ import annotations

import logging
from pathlib import Path

from hackle_export.errors import ConfigError
from hackle_export.profiles import Target
from hackle_export.readers.base import WarehouseReader

logger = logging.getLogger(__name__)

PLANNED_TYPES = ("bigquery", "redshift")


def open_reader(target: Target, cwd: Path | None = None) -> WarehouseReader:
    """Open a reader for ``target``; only DuckDB targets are implemented so far."""
    if target.type == "duckdb":
        # Imported here so that a missing warehouse client only matters when used.
        from hackle_export.readers.duckdb_reader import DuckDBReader

        return DuckDBReader.from_target(target, cwd=cwd)
    if target.type in PLANNED_TYPES:
        raise ConfigError(
            f"target {target.name!r} is of type {target.type}, which is not "
            "supported yet by the exporter; use a duckdb target for now"
        )
    raise ConfigError(
        f"target {target.name!r} is of type {target.type}, which the exporter "
        "does not support; use a duckdb target"
    )
