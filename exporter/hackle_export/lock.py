"""One exporter per day: a lock object beside the day folders.

Before a run changes a day it takes ``<dest>/_hackle_locks/dt=YYYY-MM-DD.lock``, a
small JSON object holding its run id, host, process id and an expiry. The object
lies outside every ``dt=`` folder and its folder name starts with ``_``, so readers
of the day folders never see it, and it needs only the vendor's permissions (get,
put and delete objects under the prefix; a listing with the lock's own key as the
prefix, only when a lock object vanished while being read).

A run that finds a live lock of another run changes nothing and reports the day as
``locked`` (exit code 75, retry later). A lock is stale once its expiry has passed,
or at once when it names a process of this same host (and process namespace) that
no longer exists, e.g. a run that was killed; a stale lock is taken over with a
notice. While a run holds the lock a background thread renews the expiry every
third of its lifetime, so a live run's lock does not expire while the store can be
reached. The holder reads the lock back right after taking it, before it removes
the files of earlier runs, and before it writes ``_SUCCESS``; a run that finds
another run's id there stops before publishing and deletes its own part files. The
lock is removed at the end of the run, whatever its outcome; a killed run leaves it
behind until it goes stale.

What this guarantees depends on the store:

- S3 (and S3-compatible stores that honour conditional writes): the lock is
  created with ``If-None-Match: *``, taken over and renewed with ``If-Match`` on the
  ETag read, and removed with ``If-Match``. Two runs can never both believe they
  hold a live lock; a store that ignores these headers behaves like GCS below.
- Local folders: the lock file is created with ``O_CREAT | O_EXCL``, so two runs can
  never both create it. Taking over a stale lock compares the content and then
  replaces it, which is not atomic: two runs that take over the same stale lock at
  the same instant both write, and the read-back lets only the last writer go on.
- GCS (through pyarrow, which sends no preconditions) and any other store: the
  lock is written after checking that none exists, then read back. Two runs that
  start at the same moment can both pass the read-back; the first one's next check
  (before it removes earlier files) finds the other's record and stops it. Only a
  run that reached its last check inside the few milliseconds between the other
  run's existence check and its write could publish beside it: schedule one run
  per day on such stores.

On every store a run that stalls (or loses the store) for longer than the lock's
lifetime can be taken over while it still runs; it notices at its next check and
stops without ``_SUCCESS``, but files it writes after the other run's clean-up and
before that check would stay in the day folder. Expiry compares the clocks of the
hosts involved, which are assumed to agree within a small part of the lifetime.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, BinaryIO, Protocol

import pyarrow.fs as pafs

from hackle_export.errors import ExportError
from hackle_export.exit_codes import ExitCode

logger = logging.getLogger(__name__)

LOCKS_FOLDER = "_hackle_locks"
DEFAULT_TTL = timedelta(minutes=10)


def lock_path(root: str, day: date) -> str:
    """Where the lock of ``day`` lives: beside, never inside, the ``dt=`` folders."""
    return f"{root.rstrip('/')}/{LOCKS_FOLDER}/dt={day.isoformat()}.lock"


def _now() -> datetime:
    return datetime.now(UTC)


def _pid_namespace() -> str | None:
    # Two containers may share a host name while their process ids are unrelated.
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


@dataclass(frozen=True)
class LockRecord:
    """Who holds a day, and until when."""

    run_id: str
    host: str
    pid: int
    pid_namespace: str | None
    acquired_at: datetime
    expires_at: datetime

    @classmethod
    def for_this_process(
        cls, run_id: str, ttl: timedelta, acquired_at: datetime | None = None
    ) -> LockRecord:
        now = _now()
        return cls(
            run_id=run_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            pid_namespace=_pid_namespace(),
            acquired_at=acquired_at or now,
            expires_at=now + ttl,
        )

    def to_bytes(self) -> bytes:
        fields = asdict(self)
        fields["acquired_at"] = self.acquired_at.isoformat()
        fields["expires_at"] = self.expires_at.isoformat()
        return json.dumps(fields, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> LockRecord | None:
        """The record, or None for content that is not one (e.g. a cut-off write)."""
        try:
            fields = json.loads(data.decode("utf-8"))
            return cls(
                run_id=str(fields["run_id"]),
                host=str(fields["host"]),
                pid=int(fields["pid"]),
                pid_namespace=fields.get("pid_namespace"),
                acquired_at=datetime.fromisoformat(fields["acquired_at"]),
                expires_at=datetime.fromisoformat(fields["expires_at"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def stale_because(self, now: datetime) -> str | None:
        """Why this lock may be taken over, or None while it is live."""
        if now >= self.expires_at:
            return f"it expired at {self.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        if self._process_is_gone():
            return f"its process {self.pid} on {self.host} no longer exists"
        return None

    def _process_is_gone(self) -> bool:
        if self.host != socket.gethostname() or self.pid_namespace is None:
            return False
        if self.pid_namespace != _pid_namespace() or self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            # The process exists and belongs to someone else.
            return False
        return False

    def describe(self) -> str:
        return f"run {self.run_id} (host {self.host}, process {self.pid})"


class DayLocked(ExportError):
    """Another run holds the day; this run changed nothing in it."""

    # Like a day that is not ready: nothing was published and a later try can
    # succeed, which is what a scheduler needs to know.
    exit_code = ExitCode.NOT_READY


class LockLost(DayLocked):
    """Another run took the day over; this run stopped before publishing."""


# --- stores -------------------------------------------------------------------

# A version of the lock object: its ETag on S3, its content elsewhere.
Token = str | bytes


class _LockStore(Protocol):
    def create(self, data: bytes) -> Token | None:
        """Write the lock if there is none; None when one exists."""

    def read(self) -> tuple[bytes, Token] | None:
        """The lock's content and version, or None when there is none."""

    def replace(self, data: bytes, token: Token) -> Token | None:
        """Overwrite the lock if it is still at ``token``; None when it is not."""

    def delete(self, token: Token) -> None:
        """Remove the lock if it is still at ``token``."""


# How often a lock is created again when its folder vanished under it.
_FOLDER_ATTEMPTS = 5


class _LocalStore:
    """A lock file in a local folder, created with ``O_EXCL``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create(self, data: bytes) -> Token | None:
        for attempt in range(_FOLDER_ATTEMPTS):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            try:
                flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
                descriptor = os.open(self.path, flags)
                break
            except FileExistsError:
                return None
            except FileNotFoundError:
                # Another run removed the empty locks folder in between.
                if attempt == _FOLDER_ATTEMPTS - 1:
                    raise
        with os.fdopen(descriptor, "wb") as handle:
            _write_to_disk(handle, data)
        return data

    def read(self) -> tuple[bytes, Token] | None:
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        return data, data

    def replace(self, data: bytes, token: Token) -> Token | None:
        current = self.read()
        if current is None or current[1] != token:
            return None
        # Written beside the lock and renamed over it, so that a reader never
        # sees half a record.
        temporary = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(temporary, "wb") as handle:
            _write_to_disk(handle, data)
        os.replace(temporary, self.path)
        return data

    def delete(self, token: Token) -> None:
        current = self.read()
        if current is not None and current[1] == token:
            os.remove(self.path)
        # Leave the destination holding only dt= folders; a folder another
        # run has just written its lock into stays.
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(self.path))


def _write_to_disk(handle: BinaryIO, data: bytes) -> None:
    """Write ``data`` and wait until the disk holds it."""
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


class _FileSystemStore:
    """A lock object through pyarrow, for stores without conditional writes."""

    def __init__(self, fs: pafs.FileSystem, path: str) -> None:
        self.fs = fs
        self.path = path

    def create(self, data: bytes) -> Token | None:
        if self.read() is not None:
            return None
        self.fs.create_dir(self.path.rsplit("/", 1)[0], recursive=True)
        self._write(data)
        return data

    def _write(self, data: bytes) -> None:
        with self.fs.open_output_stream(self.path) as stream:
            stream.write(data)

    def read(self) -> tuple[bytes, Token] | None:
        if self.fs.get_file_info(self.path).type == pafs.FileType.NotFound:
            return None
        try:
            with self.fs.open_input_stream(self.path) as stream:
                data = stream.read()
        except FileNotFoundError:
            return None
        return data, data

    def replace(self, data: bytes, token: Token) -> Token | None:
        current = self.read()
        if current is None or current[1] != token:
            return None
        self._write(data)
        return data

    def delete(self, token: Token) -> None:
        current = self.read()
        if current is not None and current[1] == token:
            self.fs.delete_file(self.path)


# A condition that did not hold, or a concurrent conditional write that won.
_CONDITION_FAILED = (
    "PreconditionFailed",
    "412",
    "ConditionalRequestConflict",
    "409",
)


class _S3Store:
    """A lock object on S3, written with ``If-None-Match`` and ``If-Match``."""

    def __init__(self, handler: Any, path: str) -> None:
        self.handler = handler
        self.client = handler.client
        self.bucket = handler.location.bucket
        self.path = path
        self.key = handler.key(path)

    def _put(self, data: bytes, **condition: str) -> Token | None:
        from botocore.exceptions import ClientError

        with self.handler.errors("write", self.path):
            try:
                answer = self.client.put_object(
                    Bucket=self.bucket, Key=self.key, Body=data, **condition
                )
            except ClientError as exc:
                if _error_code(exc) in _CONDITION_FAILED:
                    return None
                raise
        return str(answer["ETag"])

    def create(self, data: bytes) -> Token | None:
        return self._put(data, IfNoneMatch="*")

    def read(self) -> tuple[bytes, Token] | None:
        from botocore.exceptions import ClientError

        with self.handler.errors("read", self.path):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.key)
            except ClientError as exc:
                if _error_code(exc) not in ("NoSuchKey", "404", "AccessDenied", "403"):
                    raise
                # Without s3:ListBucket on a key, S3 answers a missing key with
                # a denial: a listing of that one key tells the two apart.
                if not self._listed():
                    return None
                raise
            return answer["Body"].read(), str(answer["ETag"])

    def _listed(self) -> bool:
        page = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self.key, MaxKeys=1
        )
        return any(entry["Key"] == self.key for entry in page.get("Contents", []))

    def replace(self, data: bytes, token: Token) -> Token | None:
        return self._put(data, IfMatch=str(token))

    def delete(self, token: Token) -> None:
        from botocore.exceptions import ClientError

        with self.handler.errors("delete", self.path):
            try:
                self.client.delete_object(
                    Bucket=self.bucket, Key=self.key, IfMatch=str(token)
                )
            except ClientError as exc:
                if _error_code(exc) not in (*_CONDITION_FAILED, "NoSuchKey"):
                    raise


def _error_code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def open_store(fs: pafs.FileSystem, path: str) -> _LockStore:
    """The strongest lock store ``fs`` allows (see the module's notes)."""
    if isinstance(fs, pafs.LocalFileSystem):
        return _LocalStore(path)
    handler = getattr(fs, "handler", None)
    if handler is not None and hasattr(handler, "client"):
        return _S3Store(handler, path)
    return _FileSystemStore(fs, path)


# --- the lock -----------------------------------------------------------------


class DayLock:
    """The lock of one day, held by one run; a context manager that releases it."""

    def __init__(
        self,
        store: _LockStore,
        day: date,
        run_id: str,
        ttl: timedelta = DEFAULT_TTL,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.day = day
        self.run_id = run_id
        self.ttl = ttl
        self.notify = notify or (lambda message: logger.warning("%s", message))
        self._record: LockRecord | None = None
        self._token: Token | None = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._lost = threading.Event()

    def __enter__(self) -> DayLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the day's lock, or raise :class:`DayLocked` naming its holder."""
        record = LockRecord.for_this_process(self.run_id, self.ttl)
        token = self.store.create(record.to_bytes())
        if token is None:
            token = self._take_over(record)
        self._record, self._token = record, token
        logger.info("locked %s for run %s", self.day, self.run_id)
        self.confirm()
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"lock-{self.day}", daemon=True
        )
        self._renewer.start()

    def _take_over(self, record: LockRecord) -> Token:
        current = self.store.read()
        if current is None:
            # Released between our attempt and the read: one more try.
            token = self.store.create(record.to_bytes())
            if token is None:
                raise DayLocked(self._locked_message(None))
            return token
        data, held_token = current
        held = LockRecord.from_bytes(data)
        if held is None:
            why = "its content is not a lock record"
        else:
            why = held.stale_because(_now())
            if why is None:
                raise DayLocked(self._locked_message(held))
        token = self.store.replace(record.to_bytes(), held_token)
        if token is None:
            raise DayLocked(self._locked_message(None))
        holder = held.describe() if held else "an unknown run"
        self.notify(
            f"{self.day}: took over the lock of {holder} because {why}; its files "
            "without _SUCCESS are replaced by this run"
        )
        return token

    def _locked_message(self, held: LockRecord | None) -> str:
        if held is None:
            return (
                f"another exporter took the lock of {self.day} at the same moment; "
                "this run changed nothing, retry once it ends"
            )
        return (
            f"{held.describe()} holds the lock of {self.day} until "
            f"{held.expires_at:%Y-%m-%d %H:%M:%S} UTC; this run changed nothing, "
            "retry once that run ends"
        )

    def confirm(self) -> None:
        """Raise :class:`LockLost` unless the stored lock is still this run's."""
        with self._guard:
            current = self.store.read()
        held = LockRecord.from_bytes(current[0]) if current else None
        if held is not None and held.run_id == self.run_id:
            return
        holder = held.describe() if held else "another run (or a person)"
        raise LockLost(
            f"{holder} took over the lock of {self.day} while this run held it; "
            "this run stops without publishing, run again if that run fails"
        )

    def check(self) -> None:
        """Raise :class:`LockLost` if a renewal found the lock taken over.

        Cheap enough to call for every batch: it reads nothing from the store.
        """
        if self._lost.is_set():
            self.confirm()

    def renew(self) -> bool:
        """Push the expiry out by the lifetime; False once the lock is not ours."""
        with self._guard:
            if self._token is None or self._record is None:
                return False
            record = LockRecord.for_this_process(
                self.run_id, self.ttl, self._record.acquired_at
            )
            token = self.store.replace(record.to_bytes(), self._token)
            if token is None:
                return False
            self._record, self._token = record, token
            return True

    def _renew_until_stopped(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    self._lost.set()
                    logger.warning(
                        "%s: the lock is no longer this run's; stopping at the next "
                        "check",
                        self.day,
                    )
                    return
            except Exception as exc:
                # The next renewal or check tries again and decides.
                logger.warning("%s: renewing the lock failed (%s)", self.day, exc)

    def release(self) -> None:
        """Stop renewing and remove the lock if it is still this run's."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with self._guard:
            token, self._token = self._token, None
            if token is None:
                return
            try:
                self.store.delete(token)
            except Exception as exc:
                # It expires on its own; the next run takes it over.
                logger.warning(
                    "%s: removing the lock failed (%s); it expires by itself",
                    self.day,
                    exc,
                )
                return
        logger.info("unlocked %s", self.day)
