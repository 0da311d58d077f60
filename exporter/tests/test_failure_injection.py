"""A run stopped at any step of a publish leaves no _SUCCESS, and the next heals.

Each step is tried twice: by an exception raised inside the exporter (as a failing
write or read would), and by SIGKILL of a real exporter process at that exact
point (no clean-up of any kind runs; see stop_at_step.py). Every case starts from
a published day, so the stopped run must also have withdrawn the old _SUCCESS,
and ends by comparing the healed day with a clean run, byte for byte.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from exporter_support import Project
from safety_support import (
    DAY,
    PARTS_OF_DAY,
    SMALL_PARTS,
    assert_same_day,
    contents,
    failing_at,
    part_files,
    run,
)
from servers_support import BUCKET, PREFIX, S3Server, s3_server

from hackle_export import lock
from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode

# Every named point at which a publish can stop, with which occurrence: after the
# first, second and last part file, around verification, and before _SUCCESS.
STOPS = [
    ("part_written", 1),
    ("part_written", 2),
    ("part_written", PARTS_OF_DAY),
    ("before_verify", 1),
    ("after_verify", 1),
    ("before_success", 1),
]
STOP_IDS = [f"{step}-{n}" for step, n in STOPS]


def args_to(project: Project, dest: Path | str, *extra: str) -> list[str]:
    args = project.args("--date", DAY, *SMALL_PARTS, *extra)
    args[args.index("--dest") + 1] = str(dest)
    return args


@pytest.fixture
def reference(project: Project, tmp_path: Path) -> Path:
    """The day as a clean run into an empty destination publishes it."""
    dest = tmp_path / "clean"
    assert main(args_to(project, dest)) == ExitCode.OK
    return dest / f"dt={DAY}"


@pytest.fixture
def published(project: Project) -> list[Path]:
    """The day already published once, as it is before a re-export."""
    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK
    parts = part_files(project.folder(DAY))
    assert len(parts) == PARTS_OF_DAY
    return parts


def lock_file(project: Project) -> Path:
    return Path(lock.lock_path(str(project.dest), date.fromisoformat(DAY)))


@pytest.mark.parametrize(("step", "occurrence"), STOPS, ids=STOP_IDS)
def test_exception_at_each_step_leaves_no_success_and_the_next_run_heals(
    project: Project,
    reference: Path,
    published: list[Path],
    step: str,
    occurrence: int,
) -> None:
    with failing_at(step, occurrence):
        assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.FAILURE

    assert not project.success(DAY).exists()
    # An exception ends the run the ordinary way: the lock is released.
    assert not lock_file(project).exists()

    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK
    assert_same_day(project.folder(DAY), reference)
    assert not set(part_files(project.folder(DAY))) & set(published)


@pytest.mark.parametrize(("step", "occurrence"), STOPS, ids=STOP_IDS)
def test_kill_at_each_step_leaves_no_success_and_the_next_run_heals(
    project: Project,
    reference: Path,
    published: list[Path],
    capsys: pytest.CaptureFixture[str],
    step: str,
    occurrence: int,
) -> None:
    killed = run(project.args("--date", DAY, *SMALL_PARTS), ("kill", step, occurrence))

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not project.success(DAY).exists()
    if step == "part_written":
        assert len(part_files(project.folder(DAY))) >= occurrence
    # Nothing ran after the kill: the lock of the dead process is still there.
    assert lock_file(project).exists()
    capsys.readouterr()

    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.OK
    err = capsys.readouterr().err
    assert f"{DAY}: took over the lock of run " in err
    assert "no longer exists" in err
    assert_same_day(project.folder(DAY), reference)
    assert not lock_file(project).exists()


# --- the same on the local S3 server --------------------------------------------


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def s3_env(s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The exporter's IAM user (the vendor's policy) against the local server."""
    key = s3.keys["exporter"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    s3.empty_bucket()


DAY_PREFIX = f"{PREFIX}/dt={DAY}/"
LOCK_KEY = f"{PREFIX}/_hackle_locks/dt={DAY}.lock"


def s3_parts(s3: S3Server) -> list[str]:
    return [k for k in s3.keys_in(prefix=DAY_PREFIX) if "/part-" in k]


def test_kill_before_success_on_s3_leaves_no_success_and_the_next_run_heals(
    project: Project,
    reference: Path,
    s3: S3Server,
    s3_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = f"s3://{BUCKET}/{PREFIX}"
    assert main(args_to(project, dest)) == ExitCode.OK
    published = s3_parts(s3)

    killed = run(args_to(project, dest), ("kill", "before_success", 1))

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    keys = s3.keys_in(prefix=DAY_PREFIX)
    assert f"{DAY_PREFIX}_SUCCESS" not in keys
    # The killed run had replaced every part; only _SUCCESS was missing.
    assert len(s3_parts(s3)) == PARTS_OF_DAY
    assert not set(s3_parts(s3)) & set(published)
    assert LOCK_KEY in s3.keys_in(prefix=f"{PREFIX}/_hackle_locks/")
    capsys.readouterr()

    assert main(args_to(project, dest)) == ExitCode.OK
    assert "took over the lock of run " in capsys.readouterr().err
    keys = s3.keys_in(prefix=DAY_PREFIX)
    assert f"{DAY_PREFIX}_SUCCESS" in keys
    healed = s3_parts(s3)
    assert len(keys) == len(healed) + 1
    assert [s3.read(key) for key in healed] == contents(part_files(reference))
    assert s3.keys_in(prefix=f"{PREFIX}/_hackle_locks/") == []
