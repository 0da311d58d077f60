"""A real PostgreSQL 15 on 127.0.0.1, started per test session, for the Redshift
side of the project.

No Redshift runs here, and dbt-redshift cannot connect to PostgreSQL. PostgreSQL
is the closest real database: dbt-postgres builds the project on it with the
postgres__ macros, and compiles it with the redshift__ macros put in their place
(:func:`redshift_project_copy`), against the same source tables, so that every
introspective macro (column lists, table listings) sees real answers.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATABASE = "hackle"
USER = "hackle"

# Source kinds a Redshift warehouse can hold; GA4 exports only to BigQuery.
REDSHIFT_SOURCES = ["snowplow", "generic", "segment", "amplitude"]
SAMPLE_SCHEMAS = ("atomic", "demo_app", "demo_segment", "demo_amplitude")


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs, newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(found[0]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Postgres:
    """A PostgreSQL server in a temporary data folder."""

    bin: Path
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def _as_owner(self, command: list[str]) -> list[str]:
        # PostgreSQL refuses to run as root; the Debian package's user runs it.
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def start(self, timeout: float = 60.0) -> None:
        data = self.folder / "data"
        subprocess.run(
            self._as_owner(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            self._as_owner(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.folder),
                    "-c",
                    "fsync=off",
                    "-c",
                    "TimeZone=Asia/Seoul",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("PostgreSQL exited at start")
            try:
                con = self.connect("postgres")
            except Exception:
                time.sleep(0.2)
                continue
            # CREATE DATABASE cannot run inside a transaction.
            con.autocommit = True
            try:
                with con.cursor() as cursor:
                    cursor.execute(f"create database {DATABASE}")
            finally:
                con.close()
            return
        raise RuntimeError(f"PostgreSQL did not accept connections on {self.port}")

    def connect(self, database: str = DATABASE) -> Any:
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname=database
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as con, con.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())


def start_postgres(bin_folder: Path) -> Postgres:
    folder = Path(tempfile.mkdtemp(prefix="hackle-postgres-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = Postgres(bin_folder, folder, _free_port())
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    return server


def _postgres_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return "numeric" + upper[len("DECIMAL") :]
    return {
        "VARCHAR": "text",
        "JSON": "text",
        "DOUBLE": "double precision",
        "FLOAT": "real",
        "BIGINT": "bigint",
        "INTEGER": "integer",
        "BOOLEAN": "boolean",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP WITH TIME ZONE": "timestamptz",
        "DATE": "date",
    }[upper]


def copy_sample(sample: Path, server: Postgres) -> dict[str, int]:
    """Copy the sample's Redshift-shaped source tables from DuckDB; rows per table."""
    counts = {}
    with duckdb.connect(str(sample), read_only=True) as source, server.connect() as pg:
        tables = source.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SAMPLE_SCHEMAS} order by 1, 2"
        ).fetchall()
        with pg.cursor() as cursor:
            for schema, table in tables:
                columns = source.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
                cursor.execute(f'create schema if not exists "{schema}"')
                definition = ", ".join(
                    f'"{name}" {_postgres_type(kind)}' for name, kind in columns
                )
                cursor.execute(f'create table "{schema}"."{table}" ({definition})')
                rows = source.execute(f'select * from "{schema}"."{table}"').fetchall()
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f'insert into "{schema}"."{table}" values ({marks})', rows
                )
                counts[f"{schema}.{table}"] = len(rows)
    return counts


def redshift_project_copy(folder: Path) -> Path:
    """The dbt project with the redshift__ macros renamed to postgres__, so that
    dbt-postgres renders exactly what dbt-redshift would (redshift__, then the
    postgres__ macros Redshift shares, then default__)."""
    folder.mkdir(parents=True)
    for name in ("dbt_project.yml",):
        shutil.copy(REPO / name, folder / name)
    for name in ("macros", "models", "seeds", "tests"):
        shutil.copytree(REPO / name, folder / name)
    adapters = folder / "macros" / "adapters"
    shared = (adapters / "postgres.sql").read_text(encoding="utf-8")
    own = (adapters / "redshift.sql").read_text(encoding="utf-8")
    redshift_names = {
        line.split("redshift__", 1)[1].split("(", 1)[0]
        for line in own.splitlines()
        if line.startswith("{% macro redshift__")
    }
    # Keep the postgres__ macros Redshift falls back to; drop those it overrides.
    kept = []
    for block in shared.split("{% macro ")[1:]:
        name = block.split("(", 1)[0]
        if not (name.startswith("postgres__") and name[10:] in redshift_names):
            kept.append("{% macro " + block)
    (adapters / "postgres.sql").write_text("\n".join(kept), encoding="utf-8")
    (adapters / "redshift.sql").write_text(
        own.replace("redshift__", "postgres__"), encoding="utf-8"
    )
    return folder


@dataclass
class DbtOnPostgres:
    """How to run dbt-postgres on a project folder against a server."""

    project: Path
    workdir: Path
    server: Postgres

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        profile = {
            "hackle_export": {
                "target": "postgres",
                "outputs": {
                    "postgres": {
                        "type": "postgres",
                        "host": "127.0.0.1",
                        "port": self.server.port,
                        "user": USER,
                        "password": "",
                        "dbname": DATABASE,
                        "schema": "hackle",
                        "threads": 2,
                    }
                },
            }
        }
        (self.workdir / "profiles.yml").write_text(
            yaml.safe_dump(profile), encoding="utf-8"
        )

    def dbt(
        self, *args: str, vars: Mapping[str, Any] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["DBT_TARGET_PATH"] = str(self.workdir / "target")
        env["DBT_LOG_PATH"] = str(self.workdir / "logs")
        env["DBT_USE_COLORS"] = "false"
        env.pop("DBT_PROFILES_DIR", None)
        all_vars = {"sources": REDSHIFT_SOURCES, **(vars or {})}
        command = [
            str(BIN / "dbt"),
            *args,
            "--project-dir",
            str(self.project),
            "--profiles-dir",
            str(self.workdir),
            "--vars",
            json.dumps(all_vars),
        ]
        result = subprocess.run(
            command, cwd=self.project, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n"
                f"{result.stderr[-3000:]}"
            )
        return result

    def compiled_models(self) -> dict[str, str]:
        root = self.workdir / "target" / "compiled" / "hackle_export" / "models"
        return {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*.sql"))
        }


@pytest.fixture(scope="session", name="postgres")
def postgres_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """PostgreSQL with the sample's Redshift-shaped source tables, per session."""
    folder = postgres_bin()
    if folder is None:
        pytest.skip(
            "PostgreSQL's server programs are not installed "
            "(apt-get install postgresql)"
        )
    sample = tmp_path_factory.mktemp("postgres-sample") / "sample.duckdb"
    subprocess.run(
        [sys.executable, str(REPO / "sample_data" / "load_sample_data.py"), sample],
        check=True,
        capture_output=True,
    )
    server = start_postgres(folder)
    try:
        copy_sample(sample, server)
        yield server
    finally:
        server.stop()
