"""Where the day folders go: a local folder or ``file://`` URL for now.

``s3://``, ``gs://`` and ``gcs://`` are recognised and refused until their
filesystems are wired in through ``pyarrow.fs``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

import pyarrow.fs as pafs

from hackle_export.errors import ConfigError, UsageError

logger = logging.getLogger(__name__)

PLANNED_SCHEMES = ("s3", "gs", "gcs")


@dataclass(frozen=True)
class Destination:
    """A filesystem and the root path under which ``dt=`` folders live."""

    fs: pafs.FileSystem
    root: str

    def day_folder(self, day: date) -> str:
        return f"{self.root.rstrip('/')}/dt={day.isoformat()}"


def open_destination(dest: str) -> Destination:
    """Parse ``--dest`` into a filesystem and a root path."""
    if not dest.strip():
        raise UsageError("--dest is empty; give a folder or a file:// URL")
    scheme = urlparse(dest).scheme.lower()
    if scheme in PLANNED_SCHEMES:
        raise ConfigError(
            f"the destination {dest} uses {scheme}://, which is not supported yet by "
            "the exporter; use a local folder or a file:// URL for now"
        )
    if scheme == "file":
        fs, path = pafs.FileSystem.from_uri(dest)
        return Destination(fs, path.rstrip("/") or "/")
    if scheme:
        raise UsageError(
            f"--dest {dest} has the scheme {scheme}://; give a folder, a file:// URL, "
            "or an s3://, gs:// or gcs:// URL"
        )
    root = os.path.abspath(os.path.expanduser(dest))
    return Destination(pafs.LocalFileSystem(), root.replace(os.sep, "/"))
