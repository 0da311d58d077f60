"""Read the dbt project's relations from Redshift, a day at a time through UNLOAD.

Small queries (status, summary, counts) go over the connection. A day's events
are unloaded by Redshift itself, in parallel, as Parquet into a staging prefix of
their own, outside every ``dt=`` folder, then streamed from there file by file
and batch by batch, and the staging files are removed afterwards, also when
anything fails. UNLOAD writes SUPER as JSON text, timestamps without a zone
(INT96 or INT64) and decimals as decimals; :func:`to_event_batch` turns each
batch back into the shapes the conform step expects. A day without rows makes
UNLOAD write no file at all: that day streams no batch.

Settings: the connection comes from the dbt target (host, port, dbname, user,
password, or ``method: iam`` with cluster_id, region and iam_profile). The
staging prefix and the IAM role Redshift unloads with come from
``HACKLE_UNLOAD_STAGING`` (``s3://bucket/some/prefix/``) and
``HACKLE_UNLOAD_IAM_ROLE`` (the role's ARN). ``AWS_ENDPOINT_URL`` points the
exporter's own S3 reads at another endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from hackle_export.errors import ConfigError, ContractViolation, ExportError
from hackle_export.profiles import Target
from hackle_export.readers.base import (
    EVENTS,
    MartQueries,
)
from hackle_export.schema import (
    COLUMNS,
    MAP_COLUMNS,
    MAP_TYPE,
    stream_schema,
)

logger = logging.getLogger(__name__)

STAGING_ENV = "HACKLE_UNLOAD_STAGING"
IAM_ROLE_ENV = "HACKLE_UNLOAD_IAM_ROLE"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
DEFAULT_SCHEMA = "public"

# What a batch holds once the staged Parquet types are undone.
STAGED_TS_TYPE = pa.timestamp("us")
EVENT_SCHEMA = stream_schema(STAGED_TS_TYPE)

FIX = "fix hackle_events and run dbt build again"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _timestamp_literal(value: datetime) -> str:
    return f"cast('{value.strftime('%Y-%m-%d %H:%M:%S.%f')}' as timestamp)"


@dataclass(frozen=True)
class StagingPlace:
    """An S3 prefix to unload into, and the role Redshift writes it with."""

    bucket: str
    prefix: str
    iam_role: str

    @classmethod
    def parse(cls, url: str, iam_role: str) -> StagingPlace:
        if not url.strip():
            raise ConfigError(
                f"{STAGING_ENV} is not set; set it to an S3 prefix outside every dt= "
                "folder that Redshift may UNLOAD into, e.g. s3://bucket/_staging/"
            )
        parts = urlsplit(url)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise ConfigError(
                f"{STAGING_ENV} is {url!r}, not an s3://bucket/prefix/ URL; set it "
                "to an S3 prefix Redshift may write to"
            )
        prefix = parts.path.strip("/")
        if any(segment.startswith("dt=") for segment in prefix.split("/")):
            raise ConfigError(
                f"{STAGING_ENV} {url} lies inside a dt= folder, where only "
                "published days may live; give a prefix outside every dt= folder, "
                "e.g. s3://bucket/_staging/"
            )
        if not iam_role.strip():
            raise ConfigError(
                f"{IAM_ROLE_ENV} is not set; set it to the ARN of an IAM role that "
                "Redshift may assume to write to the staging prefix"
            )
        return cls(parts.netloc, prefix, iam_role.strip())

    def run_folder(self, day: date) -> str:
        """A fresh bucket/path for one unload of ``day``, never reused."""
        name = f"hackle-{day.isoformat()}-{uuid.uuid4().hex}"
        return "/".join(part for part in (self.bucket, self.prefix, name) if part)


def staging_filesystem(env: Mapping[str, str]) -> pafs.S3FileSystem:
    """An S3 filesystem with the default credential chain, honouring
    ``AWS_ENDPOINT_URL`` (for a local S3-compatible server)."""
    options: dict[str, Any] = {}
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    endpoint = env.get(ENDPOINT_ENV)
    if endpoint:
        parts = urlsplit(endpoint)
        options["endpoint_override"] = parts.netloc or parts.path
        options["scheme"] = parts.scheme or "https"
    return pafs.S3FileSystem(**options)


def unload_statement(
    schema: str,
    start_utc: datetime,
    end_utc: datetime,
    place: StagingPlace,
    folder: str,
) -> str:
    """The UNLOAD of one day's events to ``s3://<folder>/``."""
    query = (
        f"select {', '.join(COLUMNS)} from {_quote(schema)}.{_quote(EVENTS)} "
        f"where ts >= {_timestamp_literal(start_utc)} "
        f"and ts < {_timestamp_literal(end_utc)} "
        "order by ts, insert_id"
    )
    return (
        f"unload ({_literal(query)}) to {_literal('s3://' + folder + '/')} "
        f"iam_role {_literal(place.iam_role)} format as parquet"
    )


def _parse_map(name: str, text: Any) -> list[tuple[str, str | None]] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ContractViolation(
            f"column {name} holds text that is not JSON ({str(text)[:80]!r}); the "
            f"contract needs an object of text values, {FIX}"
        ) from exc
    if not isinstance(value, dict):
        raise ContractViolation(
            f"column {name} holds {type(value).__name__} JSON ({str(text)[:80]!r}) "
            f"instead of an object; {FIX}"
        )
    entries: list[tuple[str, str | None]] = []
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise ContractViolation(
                f"column {name} holds the non-text value {item!r} under {key!r}; "
                f"the contract's map values are text, {FIX}"
            )
        entries.append((key, item))
    return entries


def _map_column(name: str, column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if pa.types.is_map(column.type):
        return column.cast(MAP_TYPE)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise ContractViolation(
            f"column {name} was unloaded as {column.type}, not as the JSON text of "
            f"a SUPER object; {FIX}"
        )
    return pa.array(
        [_parse_map(name, text) for text in column.to_pylist()], type=MAP_TYPE
    )


def _ts_column(column: pa.Array) -> pa.Array:
    if not pa.types.is_timestamp(column.type):
        raise ContractViolation(
            f"column ts was unloaded as {column.type}, not as a timestamp; {FIX}"
        )
    if column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(
            pa.timestamp(column.type.unit)
        )
    # INT96 reads as nanoseconds; Redshift keeps microseconds, so this is exact.
    try:
        return column.cast(STAGED_TS_TYPE, safe=True)
    except pa.ArrowInvalid as exc:
        raise ContractViolation(
            f"column ts holds digits below the microsecond ({exc}); {FIX}"
        ) from exc


def to_event_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A staged batch with its SUPER columns parsed into maps and ``ts`` naive UTC.

    Decimals and text pass unchanged: the conform step checks them.
    """
    names = [name.lower() for name in batch.schema.names]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise ContractViolation(
            f"the unloaded files lack the columns {', '.join(missing)}; {FIX}"
        )
    arrays: list[pa.Array] = []
    for name in COLUMNS:
        column = batch.column(names.index(name))
        if name == "ts":
            column = _ts_column(column)
        elif name in MAP_COLUMNS:
            column = _map_column(name, column)
        else:
            column = _plain_column(name, column)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=EVENT_SCHEMA)


def _plain_column(name: str, column: pa.Array) -> pa.Array:
    wanted = EVENT_SCHEMA.field(name).type
    if name == "metric_value":
        fits = pa.types.is_decimal(column.type)
    else:
        fits = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if not fits:
        raise ContractViolation(
            f"column {name} was unloaded as {column.type}, not as {wanted}; {FIX}"
        )
    try:
        return column.cast(wanted, safe=True)
    except pa.ArrowInvalid as exc:
        raise ContractViolation(
            f"column {name} holds values that {wanted} cannot hold exactly "
            f"({exc}); {FIX}"
        ) from exc


def staged_files(fs: pafs.FileSystem, folder: str) -> list[str]:
    """The data files UNLOAD wrote under ``folder``, in name order."""
    selector = pafs.FileSelector(folder, recursive=True, allow_not_found=True)
    files = []
    for info in fs.get_file_info(selector):
        base = info.base_name
        if info.type != pafs.FileType.File or base.startswith(("_", ".")):
            continue
        if base == "manifest":
            continue
        files.append(info.path)
    return sorted(files)


def _staged_batches(
    fs: pafs.FileSystem, files: Sequence[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    for path in files:
        with fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(batch_size=batch_rows):
                yield to_event_batch(batch)


def remove_staging(fs: pafs.FileSystem, folder: str) -> int:
    """Delete every object under ``folder``; return how many there were."""
    selector = pafs.FileSelector(folder, recursive=True, allow_not_found=True)
    paths = [
        info.path
        for info in fs.get_file_info(selector)
        if info.type == pafs.FileType.File
    ]
    for path in paths:
        fs.delete_file(path)
    return len(paths)


Connect = Callable[[Mapping[str, Any]], Any]


def connection_options(target: Target) -> dict[str, Any]:
    """redshift_connector.connect() arguments from a dbt-redshift target."""
    settings = target.settings
    method = str(settings.get("method") or "database").lower()
    options: dict[str, Any] = {
        "host": settings.get("host"),
        "port": int(settings.get("port") or 5439),
        "database": settings.get("dbname") or settings.get("database"),
    }
    if method == "iam":
        options.update(
            iam=True,
            db_user=settings.get("user"),
            cluster_identifier=settings.get("cluster_id"),
            region=settings.get("region"),
            profile=settings.get("iam_profile"),
        )
    else:
        options.update(user=settings.get("user"), password=settings.get("password"))
    missing = [key for key in ("host", "database") if not options.get(key)]
    if method != "iam" and not options.get("user"):
        missing.append("user")
    if missing:
        raise ConfigError(
            f"target {target.name!r} lacks {', '.join(missing)}; fill them in "
            "profiles.yml as for dbt-redshift"
        )
    return {key: value for key, value in options.items() if value is not None}


def _connect_redshift(options: Mapping[str, Any]) -> Any:
    # Imported here so that only Redshift users need the driver.
    try:
        import redshift_connector
    except ImportError as exc:
        raise ConfigError(
            "the Redshift driver is not installed; install it with "
            "pip install 'hackle-export[redshift]'"
        ) from exc
    return redshift_connector.connect(**options)


class RedshiftReader(MartQueries):
    """A :class:`~hackle_export.readers.base.WarehouseReader` over Redshift."""

    placeholder = "%s"

    def __init__(
        self,
        connection: Any,
        schema: str,
        place: StagingPlace,
        fs: pafs.FileSystem,
    ) -> None:
        self._con = connection
        self.schema = schema
        self.place = place
        self.fs = fs

    @classmethod
    def from_target(
        cls,
        target: Target,
        env: Mapping[str, str] | None = None,
        connect: Connect = _connect_redshift,
    ) -> RedshiftReader:
        """Connect with a dbt-redshift target; the credentials are never logged."""
        env = os.environ if env is None else env
        place = StagingPlace.parse(env.get(STAGING_ENV, ""), env.get(IAM_ROLE_ENV, ""))
        options = connection_options(target)
        try:
            connection = connect(options)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(
                f"could not connect to Redshift at {options.get('host')} for target "
                f"{target.name!r} ({type(exc).__name__}); check the host, the "
                "credentials and the network, then run again"
            ) from exc
        schema = str(target.settings.get("schema") or DEFAULT_SCHEMA)
        logger.debug(
            "connected to %s:%s/%s, schema %s; staging s3://%s/%s",
            options.get("host"),
            options.get("port"),
            options.get("database"),
            schema,
            place.bucket,
            place.prefix,
        )
        return cls(connection, schema, place, staging_filesystem(env))

    def _relation(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_quote(name)}"

    def _fetch(
        self, relation: str, sql: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        cursor = self._con.cursor()
        try:
            cursor.execute(sql, tuple(params) if params else None)
            rows = cursor.fetchall()
        except Exception as exc:
            self._rollback()
            if "does not exist" in str(exc):
                raise ConfigError(
                    f"Redshift has no relation {self.schema}.{relation} or it lacks "
                    "a column the exporter reads; run dbt build for this target "
                    "first"
                ) from exc
            raise
        finally:
            cursor.close()
        return [tuple(row) for row in rows or []]

    def _rollback(self) -> None:
        try:
            self._con.rollback()
        except Exception:
            logger.debug("rollback after a failed query failed too", exc_info=True)

    def _unload(self, statement: str, folder: str) -> None:
        cursor = self._con.cursor()
        try:
            cursor.execute(statement)
            self._con.commit()
        except Exception as exc:
            self._rollback()
            raise ExportError(
                f"Redshift could not UNLOAD the day into s3://{folder}/ ({exc}); "
                f"check that the role in {IAM_ROLE_ENV} may write to "
                f"{STAGING_ENV} and run again"
            ) from exc
        finally:
            cursor.close()

    @contextmanager
    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> Iterator[pa.RecordBatchReader]:
        day = start_utc.date()
        folder = self.place.run_folder(day)
        started = time.monotonic()
        try:
            self._unload(
                unload_statement(self.schema, start_utc, end_utc, self.place, folder),
                folder,
            )
            files = staged_files(self.fs, folder)
            logger.info(
                "unloaded %s to s3://%s/ as %d files in %.2f s",
                day,
                folder,
                len(files),
                time.monotonic() - started,
            )
            yield pa.RecordBatchReader.from_batches(
                EVENT_SCHEMA, _staged_batches(self.fs, files, batch_rows)
            )
        finally:
            try:
                removed = remove_staging(self.fs, folder)
            except OSError:
                logger.warning(
                    "could not remove the staging files under s3://%s/; delete them "
                    "by hand",
                    folder,
                    exc_info=True,
                )
            else:
                logger.info("removed %d staging files of %s", removed, day)

    def close(self) -> None:
        self._con.close()
