"""Read the dbt project's relations from BigQuery.

A day of ``hackle_events`` is one query filtered on ``ts``, the column the table is
partitioned by, so BigQuery scans only that day's partitions; its rows arrive as
Arrow record batches through the BigQuery Storage API when the client library for
it is installed, else through the REST API's pages. BigQuery has no MAP type, so
maps arrive as lists of key/value records; they become Arrow maps over the same
buffers. The connection comes from the dbt target: ``project`` (or ``database``),
``dataset`` (or ``schema``), ``location`` and ``method``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

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
    METRIC_TYPE,
    STRING_COLUMNS,
    TS_TYPE,
    stream_schema,
)

logger = logging.getLogger(__name__)

FIX = "fix hackle_events and run dbt build again"
# The Storage API marks a JSON column with this extension name in the field's
# metadata when no extension type is registered for it.
JSON_EXTENSION_NAMES = frozenset({"google:sqlType:json", "arrow.json", "dbjson"})
EXTENSION_NAME_KEY = b"ARROW:extension:name"

# The types every batch has after conversion; the conformer then marks the
# columns required.
CONVERTED_SCHEMA = stream_schema()

SERVICE_ACCOUNT_METHODS = ("service-account", "service_account")
KNOWN_METHODS = (
    "oauth",
    "oauth-secrets",
    "service-account-json",
    *SERVICE_ACCOUNT_METHODS,
)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


# ---- conversion of BigQuery's Arrow shapes to the contract's ----------------


def _is_json(field: pa.Field) -> bool:
    data_type = field.type
    if isinstance(data_type, pa.BaseExtensionType):
        return data_type.extension_name in JSON_EXTENSION_NAMES
    metadata = field.metadata or {}
    name = metadata.get(EXTENSION_NAME_KEY, b"").decode("utf-8", "replace")
    return name in JSON_EXTENSION_NAMES


def _storage(column: pa.Array) -> pa.Array:
    # An extension array is a label on its storage array: unwrapping copies nothing.
    if isinstance(column, pa.ExtensionArray):
        return column.storage
    return column


def timestamp_ms(column: pa.Array) -> pa.Array:
    """BigQuery's microsecond UTC ``ts`` in milliseconds, refusing lost digits."""
    if not pa.types.is_timestamp(column.type) or column.type.tz is None:
        raise ContractViolation(
            f"column ts has the Arrow type {column.type}, not a UTC timestamp (is it "
            f"a DATETIME?); declare it TIMESTAMP, {FIX}"
        )
    millis = column.cast(pa.timestamp("ms", tz=column.type.tz), safe=False)
    lossy = pc.fill_null(pc.not_equal(millis.cast(column.type), column), False)
    lossy_count = pc.sum(lossy).as_py() or 0
    if lossy_count:
        example = column[pc.index(lossy, True).as_py()]
        raise ContractViolation(
            f"column ts has digits below the millisecond in {_rows(lossy_count)} "
            f"(first: {example}); the contract needs ts truncated to milliseconds, "
            f"{FIX}"
        )
    return millis.cast(TS_TYPE)


def metric_decimal(column: pa.Array) -> pa.Array:
    """NUMERIC (decimal128(38, 9)) or BIGNUMERIC as decimal(24, 6), exactly."""
    if not pa.types.is_decimal(column.type):
        raise ContractViolation(
            f"column metric_value has the Arrow type {column.type}, not a decimal; "
            f"declare it NUMERIC(24, 6), {FIX}"
        )
    try:
        return column.cast(METRIC_TYPE, safe=True)
    except pa.ArrowInvalid as exc:
        raise ContractViolation(
            f"column metric_value holds values that decimal(24,6) cannot hold "
            f"exactly ({exc}); {FIX}"
        ) from exc


def _text_array(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type):
        return values
    return values.cast(pa.string())


def records_to_map(name: str, column: pa.Array) -> pa.MapArray:
    """A list of key/value records as a map over the same offsets and children."""
    data_type = column.type
    element = data_type.value_type if pa.types.is_list(data_type) else None
    if (
        element is None
        or not pa.types.is_struct(element)
        or element.get_field_index("key") < 0
        or element.get_field_index("value") < 0
    ):
        raise ContractViolation(
            f"column {name} has the Arrow type {data_type}, not a list of key/value "
            f"records; declare it ARRAY<STRUCT<key STRING, value STRING>>, {FIX}"
        )
    entries: pa.StructArray = column.values
    keys = entries.field("key")
    values = entries.field("value")
    if keys.null_count:
        raise ContractViolation(
            f"column {name} has {keys.null_count} map entries without a key; "
            f"map keys are required, {FIX}"
        )
    mask = column.is_null() if column.null_count else None
    try:
        return pa.MapArray.from_arrays(
            column.offsets,
            _text_array(keys),
            _text_array(values),
            type=MAP_TYPE,
            mask=mask,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ContractViolation(
            f"column {name} could not be read as a map ({exc}); {FIX}"
        ) from exc


def json_to_map(name: str, column: pa.Array) -> pa.MapArray:
    """JSON object text as a map, keys in order; every value must be a string."""
    texts = _storage(column).cast(pa.string())
    offsets = [0]
    keys: list[str] = []
    values: list[str | None] = []
    for text in texts.to_pylist():
        if text is None:
            offsets.append(offsets[-1])
            continue
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContractViolation(
                f"column {name} holds JSON that does not parse ({exc}); {FIX}"
            ) from exc
        if not isinstance(parsed, dict) or not all(
            value is None or isinstance(value, str) for value in parsed.values()
        ):
            raise ContractViolation(
                f"column {name} holds JSON that is not an object of strings "
                f"({text[:80]}); {FIX}"
            )
        for key in sorted(parsed):
            keys.append(key)
            values.append(parsed[key])
        offsets.append(len(keys))
    mask = texts.is_null() if texts.null_count else None
    return pa.MapArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.array(keys, pa.string()),
        pa.array(values, pa.string()),
        type=MAP_TYPE,
        mask=mask,
    )


def to_contract_types(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch as BigQuery returns it, with the contract's Arrow types.

    Only the types change: maps are re-labelled without copying, ``ts`` and
    ``metric_value`` are cast where the cast is exact, and anything else is a
    contract violation.
    """
    if tuple(batch.schema.names) != COLUMNS:
        raise ContractViolation(
            f"hackle_events has the columns {', '.join(batch.schema.names)} but the "
            f"contract needs exactly {', '.join(COLUMNS)} in that order; {FIX}"
        )
    arrays: list[pa.Array] = []
    for index, name in enumerate(COLUMNS):
        field = batch.schema.field(index)
        column = batch.column(index)
        if name in MAP_COLUMNS:
            if _is_json(field):
                arrays.append(json_to_map(name, column))
            elif pa.types.is_map(column.type):
                arrays.append(column.cast(MAP_TYPE))
            else:
                arrays.append(records_to_map(name, _storage(column)))
            continue
        column = _storage(column)
        if name == "ts":
            arrays.append(timestamp_ms(column))
        elif name == "metric_value":
            arrays.append(metric_decimal(column))
        elif name in STRING_COLUMNS:
            if not (
                pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
            ):
                raise ContractViolation(
                    f"column {name} has the Arrow type {column.type}, not text; {FIX}"
                )
            arrays.append(_text_array(column))
    return pa.RecordBatch.from_arrays(arrays, schema=CONVERTED_SCHEMA)


def converted_reader(batches: Iterable[pa.RecordBatch]) -> pa.RecordBatchReader:
    """A reader that converts each batch as it is pulled, never the whole day."""
    return pa.RecordBatchReader.from_batches(
        CONVERTED_SCHEMA, (to_contract_types(batch) for batch in batches)
    )


# ---- the connection --------------------------------------------------------


def _credentials(target: Target) -> Any:
    """Credentials the way dbt-bigquery builds them for the target's method."""
    settings = target.settings
    method = str(settings.get("method") or "").strip().lower()
    scopes = settings.get("scopes") or (
        "https://www.googleapis.com/auth/bigquery",
        "https://www.googleapis.com/auth/cloud-platform",
    )
    if method == "oauth":
        import google.auth

        credentials, _ = google.auth.default(scopes=list(scopes))
        return credentials
    if method in SERVICE_ACCOUNT_METHODS:
        from google.oauth2 import service_account

        keyfile = settings.get("keyfile")
        if not keyfile:
            raise ConfigError(
                f"target {target.name!r} uses method {method} without keyfile:; set "
                "keyfile: to the service account's key file"
            )
        return service_account.Credentials.from_service_account_file(
            str(keyfile), scopes=list(scopes)
        )
    if method == "service-account-json":
        from google.oauth2 import service_account

        info = settings.get("keyfile_json")
        if not isinstance(info, Mapping):
            raise ConfigError(
                f"target {target.name!r} uses method service-account-json without "
                "keyfile_json:; set it to the key's fields"
            )
        return service_account.Credentials.from_service_account_info(
            dict(info), scopes=list(scopes)
        )
    if method == "oauth-secrets":
        from google.oauth2.credentials import Credentials

        return Credentials(
            token=settings.get("token"),
            refresh_token=settings.get("refresh_token"),
            client_id=settings.get("client_id"),
            client_secret=settings.get("client_secret"),
            token_uri=settings.get("token_uri"),
            scopes=list(scopes),
        )
    raise ConfigError(
        f"target {target.name!r} has method {method or 'missing'!r}, which the "
        f"exporter does not support; use one of {', '.join(KNOWN_METHODS)}"
    )


class BigQueryReader(MartQueries):
    """A :class:`~hackle_export.readers.base.WarehouseReader` over BigQuery."""

    def __init__(
        self,
        client: Any,
        project: str,
        dataset: str,
        location: str | None = None,
        storage_client: Any | None = None,
    ) -> None:
        self._client = client
        self._storage_client = storage_client
        self.project = project
        self.dataset = dataset
        self.location = location
        logger.debug(
            "reading %s.%s (location %s, Storage API %s)",
            project,
            dataset,
            location or "default",
            "on" if storage_client is not None else "off",
        )

    @classmethod
    def from_target(cls, target: Target) -> BigQueryReader:
        """Connect with the target's project, dataset, location and method."""
        settings = target.settings
        project = settings.get("project") or settings.get("database")
        dataset = settings.get("dataset") or settings.get("schema")
        if not project or not dataset:
            raise ConfigError(
                f"target {target.name!r} needs project: and dataset: (the dataset "
                "dbt builds into); add them to profiles.yml"
            )
        try:
            from google.api_core.client_options import ClientOptions
            from google.cloud import bigquery
        except ImportError as exc:
            raise ConfigError(
                "the BigQuery client is not installed; run pip install "
                "'hackle-export[bigquery]'"
            ) from exc

        endpoint = settings.get("api_endpoint")
        options = ClientOptions(api_endpoint=str(endpoint)) if endpoint else None
        client = bigquery.Client(
            project=str(settings.get("execution_project") or project),
            credentials=_credentials(target),
            location=settings.get("location"),
            client_options=options,
        )
        # A custom endpoint is a local stand-in without the Storage API's gRPC
        # endpoint at Google; read through its REST API.
        storage = None if endpoint else _storage_client(client)
        return cls(
            client, str(project), str(dataset), settings.get("location"), storage
        )

    def _relation(self, name: str) -> str:
        return f"`{self.project}`.`{self.dataset}`.`{name}`"

    def _job(self, relation: str, sql: str, params: Sequence[tuple[str, str, Any]]):
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter(name, kind, value)
                for name, kind, value in params
            ]
        )
        try:
            return self._client.query(sql, job_config=config, location=self.location)
        except exceptions.NotFound as exc:
            raise self._missing(relation) from exc
        except exceptions.BadRequest as exc:
            raise ContractViolation(
                f"{self.dataset}.{relation} could not be read ({exc.message}); "
                "update the dbt project and run dbt build again"
            ) from exc

    def _day_param(self, day: date) -> tuple[str, list[Any]]:
        return "@day", [("day", "DATE", day)]

    def _range_param(
        self, start_utc: datetime, end_utc: datetime
    ) -> tuple[str, list[Any]]:
        # The ts filter is on the partitioning column: only the day's partitions
        # are scanned.
        return "ts >= @start_utc and ts < @end_utc", _bounds(start_utc, end_utc)

    def _fetch(
        self,
        relation: str,
        sql: str,
        params: Sequence[tuple[str, str, Any]] = (),
    ) -> list[tuple[Any, ...]]:
        from google.api_core import exceptions

        job = self._job(relation, sql, params)
        try:
            return [tuple(row.values()) for row in job.result()]
        except exceptions.NotFound as exc:
            raise self._missing(relation) from exc
        except exceptions.BadRequest as exc:
            raise ContractViolation(
                f"{self.dataset}.{relation} could not be read ({exc.message}); "
                "update the dbt project and run dbt build again"
            ) from exc

    def _missing(self, relation: str) -> ConfigError:
        return ConfigError(
            f"{self.project}.{self.dataset} has no relation {relation}; run dbt "
            "build for this target first"
        )

    @contextmanager
    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> Iterator[pa.RecordBatchReader]:
        # The ts filter is on the partitioning column: only the day's partitions
        # are scanned.
        job = self._job(
            EVENTS,
            f"select * from {self._relation(EVENTS)} "
            "where ts >= @start_utc and ts < @end_utc order by ts, insert_id",
            _bounds(start_utc, end_utc),
        )
        rows = job.result(page_size=batch_rows)
        batches = rows.to_arrow_iterable(bqstorage_client=self._storage_client)
        yield converted_reader(_rebatched(batches, batch_rows))

    def close(self) -> None:
        if self._storage_client is not None:
            transport = getattr(self._storage_client, "_transport", None)
            if transport is not None:
                transport.close()
        self._client.close()


def _rebatched(
    batches: Iterable[pa.RecordBatch], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    # Storage API streams choose their own batch sizes; slices copy nothing.
    for batch in batches:
        for offset in range(0, batch.num_rows, batch_rows):
            yield batch.slice(offset, batch_rows)


def _bounds(start_utc: datetime, end_utc: datetime) -> list[tuple[str, str, Any]]:
    return [
        ("start_utc", "TIMESTAMP", start_utc.replace(tzinfo=UTC)),
        ("end_utc", "TIMESTAMP", end_utc.replace(tzinfo=UTC)),
    ]


def _storage_client(client: Any) -> Any | None:
    """A BigQuery Storage API client on the same credentials, when installed."""
    try:
        from google.cloud import bigquery_storage
    except ImportError:
        logger.info(
            "google-cloud-bigquery-storage is not installed; reading through the "
            "REST API, which is slower"
        )
        return None
    try:
        return bigquery_storage.BigQueryReadClient(credentials=client._credentials)
    except Exception as exc:  # the REST path still works without it
        raise ExportError(
            f"could not start the BigQuery Storage API client ({exc}); check the "
            "credentials of the target"
        ) from exc
