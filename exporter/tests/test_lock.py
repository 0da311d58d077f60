"""One exporter per day: the day's lock, with real processes started at once.

Two exporters of the same day are started together; the first to take the lock
holds it a few seconds (stop_at_step.py's ``hold``) so that the other surely meets
it. One publishes, the other exits 75 with a ``locked`` line and changes nothing,
and the day holds exactly one run's files. Also: live, expired and orphaned locks,
a lock lost while running, renewal, and each lock store.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.fs as pafs
import pytest
from exporter_support import Project, RecordingHandler
from safety_support import (
    DAY,
    SMALL_PARTS,
    assert_same_day,
    contents,
    finish,
    part_files,
    start,
)
from servers_support import BUCKET, PREFIX, S3Server, s3_server

from hackle_export import lock, publish
from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode

HOLD_S = 4.0
LOCKED_LINE = f"{DAY} locked rows=0 "


def args_to(project: Project, dest: Path | str) -> list[str]:
    args = project.args("--date", DAY, *SMALL_PARTS)
    args[args.index("--dest") + 1] = str(dest)
    return args


@pytest.fixture
def reference(project: Project, tmp_path: Path) -> Path:
    assert main(args_to(project, tmp_path / "clean")) == ExitCode.OK
    return tmp_path / "clean" / f"dt={DAY}"


def lock_file(project: Project) -> Path:
    return Path(lock.lock_path(str(project.dest), date.fromisoformat(DAY)))


def record(
    run_id: str = "other-run",
    host: str = "another-host",
    pid: int = 4242,
    expires_in: timedelta = timedelta(minutes=5),
    namespace: str | None = "pid:[1]",
) -> bytes:
    now = datetime.now(UTC)
    return lock.LockRecord(
        run_id, host, pid, namespace, now - timedelta(minutes=1), now + expires_in
    ).to_bytes()


def two_at_once(args: list[str], env: dict[str, str] | None = None) -> list:
    processes = [start(args, ("hold", "locked", 1), HOLD_S, env) for _ in range(2)]
    return [finish(process) for process in processes]


def assert_one_won(finished: list) -> tuple:
    codes = sorted(f.returncode for f in finished)
    assert codes == [ExitCode.OK, ExitCode.NOT_READY], [f.stderr for f in finished]
    winner = next(f for f in finished if f.returncode == ExitCode.OK)
    loser = next(f for f in finished if f.returncode == ExitCode.NOT_READY)
    [line] = loser.stdout.splitlines()
    assert line.startswith(LOCKED_LINE)
    # The loser either read the winner's lock, or both found none and the
    # winner's exclusive create came first: each is told in its own words.
    assert (
        f"holds the lock of {DAY} until " in line
        and line.endswith("; this run changed nothing, retry once that run ends")
    ) or line.endswith(
        f"another exporter took the lock of {DAY} at the same moment; "
        "this run changed nothing, retry once it ends"
    ), line
    assert "error:" not in loser.stderr
    return winner, loser


def test_two_exporters_at_once_one_wins_the_other_exits_75(
    project: Project, reference: Path
) -> None:
    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK

    finished = two_at_once(project.args("--date", DAY, *SMALL_PARTS))

    assert_one_won(finished)
    assert_same_day(project.folder(DAY), reference)
    assert not lock_file(project).exists()
    assert sorted(p.name for p in project.dest.iterdir()) == [f"dt={DAY}"]


def test_live_lock_of_another_run_changes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    before = {p.name: p.read_bytes() for p in project.folder(DAY).iterdir()}
    lock_file(project).parent.mkdir()
    lock_file(project).write_bytes(record())
    capsys.readouterr()

    assert project.run("--date", DAY) == ExitCode.NOT_READY

    out = capsys.readouterr().out.strip()
    assert out.startswith(LOCKED_LINE)
    assert (
        f"run other-run (host another-host, process 4242) holds the lock of {DAY}"
        in out
    )
    assert {p.name: p.read_bytes() for p in project.folder(DAY).iterdir()} == before
    assert lock_file(project).read_bytes().startswith(b"{")
    assert json.loads(lock_file(project).read_bytes())["run_id"] == "other-run"


def test_a_range_goes_on_past_a_locked_day(project: Project) -> None:
    lock_file(project).parent.mkdir(parents=True)
    lock_file(project).write_bytes(record())

    assert project.run("--start", DAY, "--end", "2024-01-02") == ExitCode.NOT_READY
    assert not project.success(DAY).exists()
    assert project.success("2024-01-02").exists()


@pytest.mark.parametrize(
    ("held", "why"),
    [
        (record(expires_in=timedelta(seconds=-1)), "because it expired at "),
        (b"", "because its content is not a lock record"),
    ],
    ids=["expired", "cut-off"],
)
def test_stale_lock_is_taken_over_with_a_notice(
    project: Project,
    reference: Path,
    capsys: pytest.CaptureFixture[str],
    held: bytes,
    why: str,
) -> None:
    lock_file(project).parent.mkdir(parents=True)
    lock_file(project).write_bytes(held)
    capsys.readouterr()

    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK

    err = capsys.readouterr().err
    assert f"{DAY}: took over the lock of " in err
    assert why in err
    assert_same_day(project.folder(DAY), reference)
    assert not lock_file(project).exists()


def test_lock_of_a_process_gone_from_this_host_is_taken_over(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    namespace = os.readlink("/proc/self/ns/pid")
    lock_file(project).parent.mkdir(parents=True)
    lock_file(project).write_bytes(
        record(host=socket.gethostname(), pid=dead_pid.pid, namespace=namespace)
    )

    assert project.run("--date", DAY) == ExitCode.OK
    assert f"its process {dead_pid.pid} on " in capsys.readouterr().err


def test_live_process_of_this_host_keeps_its_lock(project: Project) -> None:
    namespace = os.readlink("/proc/self/ns/pid")
    lock_file(project).parent.mkdir(parents=True)
    # This very test process is alive: its lock is not taken over.
    lock_file(project).write_bytes(
        record(host=socket.gethostname(), pid=os.getppid(), namespace=namespace)
    )

    assert project.run("--date", DAY) == ExitCode.NOT_READY


def test_lock_taken_over_while_running_stops_before_publishing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK
    earlier = part_files(project.folder(DAY))
    capsys.readouterr()
    usurper = record(run_id="usurper")

    def take_over(step: str, detail: str) -> None:
        if step == "after_verify":
            lock_file(project).write_bytes(usurper)

    stop = publish.observe(take_over)
    try:
        assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.NOT_READY
    finally:
        stop()

    out = capsys.readouterr().out.strip()
    assert out.startswith(LOCKED_LINE)
    assert "run usurper (host another-host, process 4242) took over the lock" in out
    assert "this run stops without publishing" in out
    assert not project.success(DAY).exists()
    # Its own parts are gone (the other run replaces the earlier ones); the
    # other run's lock is left as it is.
    assert part_files(project.folder(DAY)) == earlier
    assert lock_file(project).read_bytes() == usurper


def test_renewal_keeps_a_long_run_locked(tmp_path: Path) -> None:
    path = str(tmp_path / "_hackle_locks" / "dt=2024-01-01.lock")
    store = lock.open_store(pafs.LocalFileSystem(), path)
    ttl = timedelta(seconds=0.6)
    with lock.DayLock(store, date(2024, 1, 1), "long-run", ttl):
        first = lock.LockRecord.from_bytes(Path(path).read_bytes())
        time.sleep(1.5)
        later = lock.LockRecord.from_bytes(Path(path).read_bytes())
        assert first is not None and later is not None
        assert later.expires_at > first.expires_at + timedelta(seconds=0.5)
        assert later.run_id == "long-run"
        with pytest.raises(lock.DayLocked):
            lock.DayLock(store, date(2024, 1, 1), "second", ttl).acquire()
    assert not Path(path).exists()


@pytest.fixture
def generic_fs() -> Iterator[pafs.FileSystem]:
    yield pafs.PyFileSystem(RecordingHandler())


def test_store_without_conditional_writes_locks_and_releases(
    generic_fs: pafs.FileSystem, tmp_path: Path
) -> None:
    path = str(tmp_path / "_hackle_locks" / "dt=2024-01-01.lock")
    store = lock.open_store(generic_fs, path)
    assert type(store).__name__ == "_FileSystemStore"

    holder = lock.DayLock(store, date(2024, 1, 1), "first")
    with holder:
        with pytest.raises(lock.DayLocked, match=r"run first .* holds the lock"):
            lock.DayLock(store, date(2024, 1, 1), "second").acquire()
        Path(path).write_bytes(record(run_id="third"))
        with pytest.raises(lock.LockLost, match=r"run third .* took over the lock"):
            holder.confirm()
    # Not ours any more when released: left in place.
    assert json.loads(Path(path).read_bytes())["run_id"] == "third"


# --- S3 ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def s3_env(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    key = s3.keys["exporter"]
    settings = {
        "AWS_ENDPOINT_URL": s3.endpoint,
        "AWS_ACCESS_KEY_ID": key.key_id,
        "AWS_SECRET_ACCESS_KEY": key.secret,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    s3.empty_bucket()
    return settings


S3_DEST = f"s3://{BUCKET}/{PREFIX}"
DAY_PREFIX = f"{PREFIX}/dt={DAY}/"
LOCKS_PREFIX = f"{PREFIX}/_hackle_locks/"


def test_the_local_s3_server_enforces_create_only_writes(s3: S3Server) -> None:
    from botocore.exceptions import ClientError

    s3.empty_bucket()
    client = s3.client("exporter")
    key = f"{LOCKS_PREFIX}probe.lock"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError, match="PreconditionFailed"):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"2", IfNoneMatch="*")
    with pytest.raises(ClientError, match="PreconditionFailed"):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"3", IfMatch='"stale"')
    assert s3.read(key) == b"1"


def test_two_exporters_at_once_on_s3(
    project: Project, reference: Path, s3: S3Server, s3_env: dict[str, str]
) -> None:
    finished = two_at_once(args_to(project, S3_DEST), s3_env)

    assert_one_won(finished)
    keys = s3.keys_in(prefix=DAY_PREFIX)
    parts = [k for k in keys if "/part-" in k]
    assert keys == sorted([*parts, f"{DAY_PREFIX}_SUCCESS"])
    # One run wrote them all: part-RRNNNNN-<run>.parquet.
    assert len({k.split("/part-")[1].split("-", 1)[1] for k in parts}) == 1
    assert [s3.read(k) for k in parts] == contents(part_files(reference))
    assert s3.keys_in(prefix=LOCKS_PREFIX) == []


def test_live_lock_on_s3_changes_nothing(
    project: Project, s3: S3Server, s3_env: dict[str, str]
) -> None:
    assert main(args_to(project, S3_DEST)) == ExitCode.OK
    before = {k: s3.read(k) for k in s3.keys_in(prefix=DAY_PREFIX)}
    s3.put(f"{LOCKS_PREFIX}dt={DAY}.lock", record())

    assert main(args_to(project, S3_DEST)) == ExitCode.NOT_READY

    assert {k: s3.read(k) for k in s3.keys_in(prefix=DAY_PREFIX)} == before
    assert json.loads(s3.read(f"{LOCKS_PREFIX}dt={DAY}.lock"))["run_id"] == (
        "other-run"
    )
