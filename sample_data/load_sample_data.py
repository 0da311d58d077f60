"""Load the bundled sample events into an embedded DuckDB file.

Creates the tables that the default vars in dbt_project.yml point at, one loader
per source kind (``sample_data/<kind>/load.py``, a function ``load(con) -> rows``).
Existing tables are replaced, so the script can run before every demo or test
build. ``--counts`` prints the rows loaded per source kind as JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
from collections.abc import Callable
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent
SOURCE_KINDS = ("snowplow", "generic", "ga4", "segment", "amplitude")


def _loader(kind: str) -> Callable[[duckdb.DuckDBPyConnection], int]:
    path = SAMPLE_DIR / kind / "load.py"
    spec = importlib.util.spec_from_file_location(f"sample_{kind}_load", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no sample loader at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load


def load(database: Path) -> dict[str, int]:
    """Replace every sample source table in ``database``; return rows per kind."""
    counts = {}
    with duckdb.connect(str(database)) as con:
        for kind in SOURCE_KINDS:
            if (SAMPLE_DIR / kind / "load.py").exists():
                counts[kind] = _loader(kind)(con)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="DuckDB file to load into")
    parser.add_argument(
        "--counts", action="store_true", help="print rows per source kind as JSON"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counts = load(args.database)
    if args.counts:
        print(json.dumps(counts))
    logger.info(
        "loaded %s into %s",
        ", ".join(f"{rows} {kind} rows" for kind, rows in counts.items()),
        args.database,
    )


if __name__ == "__main__":
    main()
