"""Where the day folders go: a local folder, a ``file://`` URL, or a bucket.

Buckets (``s3://``, ``gs://`` and ``gcs://``) are opened by :mod:`buckets`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from urllib.parse import SplitResult, unquote, urlsplit

import pyarrow.fs as pafs

from hackle_export import buckets
from hackle_export.errors import ConfigError, UsageError

logger = logging.getLogger(__name__)

# Hosts a file:// URL may name: none, or this machine by its RFC 8089 name.
LOCAL_HOSTS = ("", "localhost")

SUPPORTED = (
    "a local folder, a file:///absolute/path URL, or s3://bucket/prefix or "
    "gs://bucket/prefix"
)


@dataclass(frozen=True)
class Destination:
    """A filesystem and the root path under which ``dt=`` folders live."""

    fs: pafs.FileSystem
    root: str

    def day_folder(self, day: date) -> str:
        return f"{self.root.rstrip('/')}/dt={day.isoformat()}"


def open_destination(dest: str) -> Destination:
    """Parse ``--dest`` into a filesystem and a root path, and check the root."""
    if not dest.strip():
        raise UsageError(f"--dest is empty; give {SUPPORTED}")
    parts = urlsplit(dest)
    scheme = parts.scheme.lower()
    if buckets.is_bucket_url(dest):
        location = buckets.parse_bucket_url(dest)
        logger.info("destination %s", location.uri(location.prefix))
        return Destination(buckets.open_bucket(location), location.root)
    if scheme == "file":
        root = _file_url_path(dest, parts)
    elif scheme:
        raise UsageError(
            f"--dest {dest} uses {scheme}://, which the exporter cannot write to; "
            f"give {SUPPORTED}"
        )
    else:
        root = os.path.abspath(os.path.expanduser(dest))
    _check_root(root)
    return Destination(pafs.LocalFileSystem(), root.replace(os.sep, "/"))


def _file_url_path(dest: str, parts: SplitResult) -> str:
    # A literal ? or # in a folder name is written %3F or %23 in a URL, so any
    # ? or # left starts a part that a folder cannot use.
    if "?" in dest or "#" in dest:
        raise UsageError(
            f"--dest {dest} has a query string or fragment, which a file:// URL of "
            "a folder cannot use; remove it, or write ? as %3F and # as %23"
        )
    path = unquote(parts.path)
    if parts.netloc.lower() not in LOCAL_HOSTS or not path.startswith("/"):
        raise UsageError(
            f"--dest {dest} is not an absolute file:// URL; write "
            "file:///absolute/path with three slashes, or give the folder as a "
            "plain path"
        )
    return os.path.normpath(path)


def _check_root(root: str) -> None:
    """Refuse a root that is, or lies below, something other than a folder."""
    existing = root
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if os.path.isdir(existing):
        return
    if existing == root:
        raise ConfigError(
            f"the destination {root} exists and is not a folder; give a folder "
            "for the dt= folders"
        )
    raise ConfigError(
        f"the destination {root} lies below {existing}, which is not a folder; "
        "give a folder for the dt= folders"
    )
