"""A local BigQuery stand-in for the tests: bqemulator on 127.0.0.1.

bqemulator needs DuckDB 1.5 while this project runs DuckDB 2, so it lives in a
virtual environment of its own under ``build/bqemulator/``, created on first use.
Its DuckDB needs the spatial extension, which is installed from the
``duckdb-extension-spatial`` package instead of being downloaded.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
EMULATOR_HOME = REPO / "build" / "bqemulator"
EMULATOR_PACKAGES = (
    "duckdb==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "numpy",
    "bqemulator==1.4.0",
)
PROJECT = "hackle-local"
START_TIMEOUT_S = 60.0

_INSTALL_SPATIAL = """
import os, duckdb, duckdb_extension_spatial
folder = os.path.dirname(duckdb_extension_spatial.__file__)
path = os.path.join(folder, "extensions", "v" + duckdb.__version__,
                    "spatial.duckdb_extension")
duckdb.connect().execute("INSTALL '" + path + "'")
"""


class EmulatorUnavailable(RuntimeError):
    """bqemulator could not be installed or started here."""


def _venv_python() -> Path:
    return EMULATOR_HOME / "venv" / "bin" / "python"


def emulator_python() -> Path:
    """The Python of bqemulator's own virtual environment, made on first use."""
    python = _venv_python()
    stamp = EMULATOR_HOME / ".installed"
    if python.exists() and stamp.exists():
        return python
    EMULATOR_HOME.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(python.parent.parent)],
        [str(python), "-m", "pip", "install", "--quiet", *EMULATOR_PACKAGES],
        [str(python), "-c", _INSTALL_SPATIAL],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise EmulatorUnavailable(
                f"installing bqemulator failed at {' '.join(step[:4])}: "
                f"{done.stderr.strip()[-2000:]}"
            )
    stamp.touch()
    return python


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Emulator:
    rest_port: int
    grpc_port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def client(self) -> Any:
        """A google-cloud-bigquery client talking to the emulator only."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )


@contextmanager
def running_emulator(log_path: Path) -> Iterator[Emulator]:
    """Start bqemulator on free ports of 127.0.0.1 and stop it afterwards."""
    python = emulator_python()
    emulator = Emulator(_free_port(), _free_port())
    command = [
        str(python.parent / "bqemulator"),
        "start",
        "--rest-host",
        "127.0.0.1",
        "--rest-port",
        str(emulator.rest_port),
        "--grpc-host",
        "127.0.0.1",
        "--grpc-port",
        str(emulator.grpc_port),
        "--project",
        PROJECT,
        "--log-level",
        "warning",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
    try:
        _wait_ready(emulator, process, log_path)
        yield emulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_ready(emulator: Emulator, process: subprocess.Popen[Any], log: Path) -> None:
    url = f"{emulator.endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorUnavailable(
                f"bqemulator exited with {process.returncode}: "
                f"{log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise EmulatorUnavailable(f"bqemulator did not answer within {START_TIMEOUT_S} s")


def schema_field(name: str, data_type: pa.DataType, mode: str = "NULLABLE") -> Any:
    """The BigQuery column that holds what an Arrow column of the sample holds."""
    from google.cloud.bigquery import SchemaField

    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return schema_field(name, data_type.value_type, "REPEATED")
    if pa.types.is_struct(data_type):
        children = [
            schema_field(data_type.field(i).name, data_type.field(i).type)
            for i in range(data_type.num_fields)
        ]
        return SchemaField(name, "RECORD", mode=mode, fields=children)
    if pa.types.is_boolean(data_type):
        kind = "BOOL"
    elif pa.types.is_integer(data_type):
        kind = "INT64"
    elif pa.types.is_floating(data_type):
        kind = "FLOAT64"
    elif pa.types.is_decimal(data_type):
        kind = "NUMERIC" if data_type.scale <= 9 else "BIGNUMERIC"
    elif pa.types.is_timestamp(data_type):
        # Warehouse loaders of every source kind write BigQuery TIMESTAMPs.
        kind = "TIMESTAMP"
    elif pa.types.is_date(data_type):
        kind = "DATE"
    else:
        kind = "STRING"
    return SchemaField(name, kind, mode=mode)


def copy_sample_schemas(duckdb_path: Path, client: Any) -> list[str]:
    """Create every sample source table, without rows, as a BigQuery table.

    Returns the tables created as ``dataset.table``.
    """
    from google.cloud import bigquery

    created = []
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('main', 'information_schema') "
            "order by 1, 2"
        ).fetchall()
        for schema, _ in tables:
            client.create_dataset(f"{PROJECT}.{schema}", exists_ok=True)
        for schema, name in tables:
            arrow_schema = con.sql(f'select * from "{schema}"."{name}" limit 0').arrow()
            if isinstance(arrow_schema, pa.RecordBatchReader):
                arrow_schema = arrow_schema.schema
            else:
                arrow_schema = arrow_schema.schema
            fields = [schema_field(f.name, f.type) for f in arrow_schema]
            client.create_table(bigquery.Table(f"{PROJECT}.{schema}.{name}", fields))
            created.append(f"{schema}.{name}")
    finally:
        con.close()
    return created
