"""Warehouse readers, one module per warehouse, chosen by the dbt target's type."""

from __future__ import annotations

import logging
from pathlib import Path

from hackle_export.errors import ConfigError
from hackle_export.profiles import Target
from hackle_export.readers.base import WarehouseReader

logger = logging.getLogger(__name__)


def open_reader(target: Target, cwd: Path | None = None) -> WarehouseReader:
    """Open a reader for ``target``, by the warehouse it names."""
    if target.type == "duckdb":
        # Imported here so that a missing warehouse client only matters when used.
        from hackle_export.readers.duckdb_reader import DuckDBReader

        return DuckDBReader.from_target(target, cwd=cwd)
    if target.type == "bigquery":
        from hackle_export.readers.bigquery_reader import BigQueryReader

        return BigQueryReader.from_target(target)
    if target.type == "redshift":
        from hackle_export.readers.redshift_reader import RedshiftReader

        return RedshiftReader.from_target(target)
    raise ConfigError(
        f"target {target.name!r} is of type {target.type}, which the exporter "
        "does not support; use a duckdb, bigquery or redshift target"
    )
