"""S3 and GCS buckets as destinations, through ``pyarrow.fs``, as object stores.

Parquet parts and ``_SUCCESS`` are written and read back through pyarrow's own
S3 and GCS filesystems. Around them a small handler gives the exporter object-store
behaviour that stays inside the vendor's IAM policy example (``s3:GetObject``,
``s3:PutObject``, ``s3:DeleteObject`` on ``<bucket>/<prefix>/*`` and
``s3:ListBucket`` limited to ``<prefix>/*``):

- folders are never created: object stores have none, and pyarrow would write
  empty "folder" marker objects;
- on S3, listing and deleting go through boto3, because pyarrow's ``delete_file``
  writes a marker object for the parent folder after every delete, and because
  pyarrow answers "does this key exist" with a HEAD that a missing key turns into
  a denial under a prefix-limited policy; listing the folder asks the same question
  with ``s3:ListBucket`` on the prefix;
- the bucket itself is never read, listed, created or checked: a missing bucket
  shows up on the first request inside the prefix;
- every error the stores raise is turned into one sentence that names the denied
  action and key, a missing bucket, or refused credentials, and never carries a
  credential or the store's own text.

Credentials come from each cloud's standard chain and are never read by this
module: AWS environment variables, profile or role (found by botocore, and by the
AWS SDK inside pyarrow), and Google application default credentials or the key
file named by ``GOOGLE_APPLICATION_CREDENTIALS``. Endpoints follow the SDKs'
settings: ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for any S3-compatible
store, ``STORAGE_EMULATOR_HOST`` for a GCS emulator (which, as in Google's own
clients, is used without credentials).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from hackle_export.errors import ConfigError, ExportError, UsageError

logger = logging.getLogger(__name__)

# URL scheme -> store.
SCHEMES = {"s3": "s3", "gs": "gs", "gcs": "gs"}

# Rules of both clouds for bucket names: lowercase letters, digits, dots, dashes
# and (GCS) underscores, 3 to 63 characters (GCS allows longer dotted names).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")

# How long pyarrow's GCS client retries a transient error before giving up.
GCS_RETRY_LIMIT = timedelta(seconds=60)

# What a request by pyarrow's S3 client needs under the IAM policy.
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
}

_AWS_ERROR = re.compile(r"AWS Error ([A-Z_]+|\w+) during (\w+) operation")
_GCS_ERROR = re.compile(r"Status\(([A-Z_]+)")

_DENIED = {"ACCESS_DENIED", "AccessDenied", "AllAccessDisabled"}
_NO_BUCKET = {"NO_SUCH_BUCKET", "NoSuchBucket"}
_BAD_CREDENTIALS = {
    "INVALID_ACCESS_KEY_ID",
    "InvalidAccessKeyId",
    "SIGNATURE_DOES_NOT_MATCH",
    "SignatureDoesNotMatch",
    "INVALID_CLIENT_TOKEN_ID",
    "InvalidToken",
    "EXPIRED_TOKEN",
    "ExpiredToken",
}

AWS_CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile with "
    "AWS_PROFILE, or run with an IAM role"
)
GOOGLE_CREDENTIALS_HINT = (
    "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run "
    "'gcloud auth application-default login', or run with a service account"
)


@dataclass(frozen=True)
class BucketLocation:
    """A bucket and the prefix under which the ``dt=`` folders live."""

    store: str
    bucket: str
    prefix: str

    @property
    def root(self) -> str:
        """The destination root as pyarrow paths spell it: ``bucket/prefix``."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def uri(self, key: str = "") -> str:
        return f"{self.store}://{self.bucket}/{key}"


def is_bucket_url(dest: str) -> bool:
    return urlsplit(dest).scheme.lower() in SCHEMES


def parse_bucket_url(dest: str) -> BucketLocation:
    """Split ``s3://bucket/prefix`` or ``gs://bucket/prefix`` into its parts."""
    parts = urlsplit(dest)
    store = SCHEMES[parts.scheme.lower()]
    if parts.query or parts.fragment or "?" in dest or "#" in dest:
        raise UsageError(
            f"--dest {dest} has a query string or fragment; give "
            f"{store}://bucket/prefix"
        )
    bucket = parts.netloc
    if not BUCKET_NAME.fullmatch(bucket):
        raise UsageError(
            f"--dest {dest} does not name a valid bucket ('{bucket}'); give "
            f"{store}://bucket/prefix with the bucket's name in lowercase"
        )
    segments = [s for s in parts.path.split("/") if s]
    if any(s in (".", "..") for s in segments) or "//" in parts.path.strip("/"):
        raise UsageError(
            f"--dest {dest} has an empty, '.' or '..' folder in its prefix; give "
            f"the prefix as the bucket policy names it, e.g. {store}://{bucket}/hackle"
        )
    return BucketLocation(store, bucket, "/".join(segments))


def open_bucket(location: BucketLocation) -> pafs.FileSystem:
    """A filesystem for the bucket; checks settings, sends no request."""
    if location.store == "s3":
        handler: _BucketHandler = S3Handler(location)
    else:
        handler = GcsHandler(location)
    return pafs.PyFileSystem(handler)


def _endpoint(variable: str, value: str, default_scheme: str) -> tuple[str, str]:
    """``(scheme, host:port)`` of an endpoint setting; never echoes credentials."""
    if "://" not in value:
        value = f"{default_scheme}://{value}"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host or parts.username:
        raise ConfigError(
            f"{variable} is not an http:// or https:// URL of a host (with an "
            "optional port and nothing else); correct or unset it"
        )
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return scheme, netloc


class _BucketHandler(pafs.FileSystemHandler):
    """Delegates to a pyarrow filesystem, in object-store terms, errors translated."""

    location: BucketLocation
    native: pafs.FileSystem

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def get_type_name(self) -> str:
        return f"hackle-{self.location.store}"

    def normalize_path(self, path: str) -> str:
        return path

    def key(self, path: str) -> str:
        """The object key of a ``bucket/key`` path."""
        bucket, _, key = path.partition("/")
        if bucket != self.location.bucket:
            raise ConfigError(
                f"{path} lies outside the bucket {self.location.bucket}; the "
                "exporter writes only below its --dest"
            )
        return key

    @contextmanager
    def errors(self, action: str, path: str) -> Iterator[None]:
        raise NotImplementedError

    # Object stores have no folders: a folder exists once an object lies below it.
    def create_dir(self, path: str, recursive: bool) -> None:
        logger.debug("no folder object written for %s", path)

    def delete_root_dir_contents(self) -> None:
        raise ConfigError(
            "the exporter never empties a whole bucket; this is a bug, run again "
            "with --debug and report it"
        )

    def move(self, src: str, dest: str) -> None:
        raise NotImplementedError("the exporter moves no objects")

    def copy_file(self, src: str, dest: str) -> None:
        raise NotImplementedError("the exporter copies no objects")

    def open_append_stream(
        self, path: str, metadata: dict[str, str] | None = None
    ) -> pa.NativeFile:
        raise NotImplementedError("objects cannot be appended to")

    def open_input_stream(self, path: str) -> pa.NativeFile:
        with self.errors("read", path):
            return self.native.open_input_stream(path)

    def open_input_file(self, path: str) -> pa.NativeFile:
        with self.errors("read", path):
            return self.native.open_input_file(path)

    def open_output_stream(
        self, path: str, metadata: dict[str, str] | None = None
    ) -> pa.NativeFile:
        with self.errors("write", path):
            stream = self.native.open_output_stream(path, metadata=metadata)
        return pa.PythonFile(_TranslatedOutput(self, path, stream), mode="w")


class _TranslatedOutput:
    """A write stream whose errors, raised on write or on close, are translated.

    Closing waits for pyarrow's background uploads, so a part is complete and
    visible once ``close`` returns.
    """

    def __init__(self, handler: _BucketHandler, path: str, stream: Any) -> None:
        self.handler = handler
        self.path = path
        self.stream = stream
        self.closed = False

    def write(self, data: Any) -> int:
        with self.handler.errors("write", self.path):
            return self.stream.write(data)

    def tell(self) -> int:
        return self.stream.tell()

    def flush(self) -> None:
        with self.handler.errors("write", self.path):
            self.stream.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self.handler.errors("write", self.path):
            self.stream.close()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


# --- S3 -----------------------------------------------------------------------


class S3Handler(_BucketHandler):
    """S3 or an S3-compatible store: pyarrow streams, boto3 listing and deletes."""

    def __init__(self, location: BucketLocation) -> None:
        import boto3
        import botocore.config
        import botocore.session

        self.location = location
        session = botocore.session.Session()
        endpoint = None
        for variable in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
            value = os.environ.get(variable, "").strip()
            if value:
                endpoint = (variable, *_endpoint(variable, value, "https"))
                break
        region = session.get_config_variable("region") or None
        if endpoint is not None and region is None:
            region = "us-east-1"
        if session.get_credentials() is None:
            raise ConfigError(
                f"no AWS credentials were found for {location.uri(location.prefix)}; "
                f"{AWS_CREDENTIALS_HINT}"
            )

        options: dict[str, Any] = {
            "allow_bucket_creation": False,
            "allow_bucket_deletion": False,
            "check_directory_existence_before_creation": True,
        }
        config = botocore.config.Config(retries={"mode": "standard"})
        if region:
            options["region"] = region
        if endpoint is not None:
            variable, scheme, netloc = endpoint
            options["scheme"] = scheme
            options["endpoint_override"] = netloc
            # pyarrow addresses buckets by path at an overridden endpoint; so
            # does boto3 here, which S3-compatible stores expect.
            config = config.merge(
                botocore.config.Config(s3={"addressing_style": "path"})
            )
            logger.info("S3 endpoint from %s: %s://%s", variable, scheme, netloc)
        self.native = pafs.S3FileSystem(**options)
        self.client: Any = boto3.session.Session(botocore_session=session).client(
            "s3", region_name=region, config=config
        )

    @contextmanager
    def errors(self, action: str, path: str) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
        )

        try:
            yield
        except ExportError:
            raise
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}))
            raise self.translate(code, exc.operation_name, path) from None
        except NoCredentialsError:
            raise ConfigError(
                f"no AWS credentials were found for {self.location.uri(self.key(path))}"
                f"; {AWS_CREDENTIALS_HINT}"
            ) from None
        except BotoCoreError as exc:
            raise ExportError(
                f"the S3 request to {action} {self.location.uri(self.key(path))} "
                f"failed ({type(exc).__name__}); check the endpoint and the network "
                "and run again"
            ) from None
        except OSError as exc:
            found = _AWS_ERROR.search(str(exc))
            if found is None:
                if isinstance(exc, FileNotFoundError):
                    raise
                raise ExportError(
                    f"the S3 request to {action} {self.location.uri(self.key(path))} "
                    f"failed ({_first_line(exc)}); check the endpoint and the network "
                    "and run again"
                ) from None
            raise self.translate(found.group(1), found.group(2), path) from None

    def translate(self, code: str, operation: str, path: str) -> ExportError:
        """One sentence for an S3 error code; the store's own text is left out."""
        location = self.location
        key = self.key(path)
        action = S3_ACTIONS.get(operation, f"s3:{operation}")
        if code in _DENIED or code in ("403", "Forbidden"):
            if action == "s3:ListBucket":
                grant = (
                    f"s3:ListBucket on arn:aws:s3:::{location.bucket} with the "
                    f"condition s3:prefix like '{location.prefix}/*'"
                )
            else:
                grant = f"{action} on arn:aws:s3:::{location.root}/*"
            return ConfigError(
                f"S3 denies {action} on {location.uri(key)} to these credentials; "
                f"the bucket policy or IAM policy must allow {grant}"
            )
        if code in _NO_BUCKET:
            return ConfigError(
                f"the bucket {location.bucket} does not exist (the exporter never "
                f"creates buckets); create it or correct --dest {location.uri()}"
            )
        if code in _BAD_CREDENTIALS:
            return ConfigError(
                f"S3 refused the AWS credentials ({code}) for {location.uri(key)}; "
                "check them, or " + AWS_CREDENTIALS_HINT
            )
        if code in ("PERMANENT_REDIRECT", "PermanentRedirect", "301"):
            return ConfigError(
                f"the bucket {location.bucket} is in another region than the one "
                "configured; set AWS_REGION to the bucket's region"
            )
        return ExportError(
            f"S3 answered {code} to {operation} on {location.uri(key)}; run again, "
            "and check the bucket if it persists"
        )

    def _list(self, prefix: str, delimiter: bool) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        arguments: dict[str, Any] = {"Bucket": self.location.bucket, "Prefix": prefix}
        if delimiter:
            arguments["Delimiter"] = "/"
        yield from paginator.paginate(**arguments)

    def _info(self, key: str, entry: dict[str, Any]) -> pafs.FileInfo:
        return pafs.FileInfo(
            f"{self.location.bucket}/{key}",
            pafs.FileType.File,
            size=entry.get("Size", 0),
            mtime=entry.get("LastModified"),
        )

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return [self._one_info(path) for path in paths]

    def _one_info(self, path: str) -> pafs.FileInfo:
        key = self.key(path)
        if not key:
            # The bucket itself is never asked about.
            return pafs.FileInfo(path, pafs.FileType.Directory)
        with self.errors("list", path):
            # A key sorts before every longer key that starts with it.
            page = self.client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=key, MaxKeys=1
            )
            for entry in page.get("Contents", []):
                if entry["Key"] == key:
                    return self._info(key, entry)
            below = self.client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=f"{key}/", MaxKeys=1
            )
        if below.get("KeyCount", 0):
            return pafs.FileInfo(path, pafs.FileType.Directory)
        return pafs.FileInfo(path, pafs.FileType.NotFound)

    def get_file_info_selector(
        self, selector: pafs.FileSelector
    ) -> list[pafs.FileInfo]:
        base = selector.base_dir.rstrip("/")
        prefix = f"{self.key(base)}/"
        infos = []
        with self.errors("list", base):
            for page in self._list(prefix, delimiter=not selector.recursive):
                # The folder's own marker object is listed too, as a file
                # ending in "/", so that it is removed with everything else.
                infos.extend(self._info(e["Key"], e) for e in page.get("Contents", []))
                infos.extend(
                    pafs.FileInfo(
                        f"{self.location.bucket}/{p['Prefix'].rstrip('/')}",
                        pafs.FileType.Directory,
                    )
                    for p in page.get("CommonPrefixes", [])
                )
        if not infos and not selector.allow_not_found:
            raise FileNotFoundError(f"{self.location.uri(prefix)} holds no objects")
        return infos

    def delete_file(self, path: str) -> None:
        with self.errors("delete", path):
            self.client.delete_object(Bucket=self.location.bucket, Key=self.key(path))

    def delete_dir(self, path: str) -> None:
        self.delete_dir_contents(path, missing_dir_ok=True)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        prefix = f"{self.key(path.rstrip('/'))}/"
        with self.errors("list", path):
            keys = [
                entry["Key"]
                for page in self._list(prefix, delimiter=False)
                for entry in page.get("Contents", [])
            ]
        for key in keys:
            self.delete_file(f"{self.location.bucket}/{key}")


# --- GCS ----------------------------------------------------------------------


class GcsHandler(_BucketHandler):
    """Google Cloud Storage (or its emulator) through pyarrow's GcsFileSystem."""

    def __init__(self, location: BucketLocation) -> None:
        self.location = location
        emulator = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
        if emulator:
            scheme, netloc = _endpoint("STORAGE_EMULATOR_HOST", emulator, "http")
            logger.info("GCS emulator from STORAGE_EMULATOR_HOST: %s", netloc)
            self.native = pafs.GcsFileSystem(
                anonymous=True,
                scheme=scheme,
                endpoint_override=netloc,
                retry_time_limit=GCS_RETRY_LIMIT,
            )
        else:
            _check_key_file()
            self.native = pafs.GcsFileSystem(retry_time_limit=GCS_RETRY_LIMIT)

    @contextmanager
    def errors(self, action: str, path: str) -> Iterator[None]:
        try:
            yield
        except ExportError:
            raise
        except OSError as exc:
            found = _GCS_ERROR.search(str(exc))
            code = found.group(1) if found else ""
            translated = self.translate(code, action, path)
            if translated is None:
                raise
            raise translated from None

    def translate(self, code: str, action: str, path: str) -> ExportError | None:
        location = self.location
        uri = location.uri(self.key(path))
        permission = {
            "write": "storage.objects.create",
            "read": "storage.objects.get",
            "delete": "storage.objects.delete",
            "list": "storage.objects.list",
        }.get(action, "storage.objects.*")
        if code == "PERMISSION_DENIED":
            return ConfigError(
                f"GCS denies {permission} on {uri} to these credentials; grant them "
                f"{permission} on gs://{location.bucket} (e.g. the Storage Object "
                "Admin role)"
            )
        if code == "UNAUTHENTICATED":
            return ConfigError(
                f"GCS refused the Google credentials for {uri}; "
                + GOOGLE_CREDENTIALS_HINT
            )
        if code == "NOT_FOUND" and action == "write":
            return ConfigError(
                f"the bucket {location.bucket} does not exist (the exporter never "
                f"creates buckets); create it or correct --dest {location.uri()}"
            )
        if code == "" or code == "NOT_FOUND":
            return None
        return ExportError(
            f"GCS answered {code} to the request to {action} {uri}; run again, and "
            "check the bucket if it persists"
        )

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        with self.errors("read", paths[0] if paths else self.location.root):
            return self.native.get_file_info(paths)

    def get_file_info_selector(
        self, selector: pafs.FileSelector
    ) -> list[pafs.FileInfo]:
        # Listed recursively and folded into folders here: a non-recursive listing
        # depends on the store's "prefixes", which emulators may leave out.
        base = selector.base_dir.rstrip("/")
        recursive = pafs.FileSelector(
            base, allow_not_found=selector.allow_not_found, recursive=True
        )
        with self.errors("list", base):
            infos = self.native.get_file_info(recursive)
        if selector.recursive:
            return infos
        children: dict[str, pafs.FileInfo] = {}
        for info in infos:
            child, _, deeper = info.path[len(base) + 1 :].partition("/")
            path = f"{base}/{child}"
            if deeper or info.type == pafs.FileType.Directory:
                children[path] = pafs.FileInfo(path, pafs.FileType.Directory)
            else:
                children.setdefault(path, info)
        return list(children.values())

    def delete_file(self, path: str) -> None:
        with self.errors("delete", path):
            self.native.delete_file(path)

    def delete_dir(self, path: str) -> None:
        self.delete_dir_contents(path, missing_dir_ok=True)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        # Object by object: pyarrow's own folder delete also deletes a folder
        # object, and fails where there is none.
        selector = pafs.FileSelector(
            path.rstrip("/"), allow_not_found=missing_dir_ok, recursive=True
        )
        with self.errors("list", path):
            infos = self.native.get_file_info(selector)
        for info in infos:
            if info.type == pafs.FileType.File:
                self.delete_file(info.path)


def _check_key_file() -> None:
    """Refuse a GOOGLE_APPLICATION_CREDENTIALS that cannot be a key file.

    Only the file's shape is checked, and nothing of its content is ever shown.
    """
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if not path:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except OSError:
        raise ConfigError(
            "GOOGLE_APPLICATION_CREDENTIALS names a file that cannot be read; "
            "point it at a service-account key file, or unset it to use the "
            "application default credentials"
        ) from None
    except ValueError:
        raise ConfigError(
            "GOOGLE_APPLICATION_CREDENTIALS names a file that is not a JSON key "
            "file; download the service account's key again"
        ) from None
    if not isinstance(content, dict) or not content.get("type"):
        raise ConfigError(
            "GOOGLE_APPLICATION_CREDENTIALS names a JSON file without a 'type'; "
            "point it at a service-account key file"
        )


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
