"""Publishing to GCS, against gcp-storage-emulator on 127.0.0.1.

The emulator checks no permissions: these tests show the publish sequence, re-runs
and healing on GCS; the permission cases are shown on S3 (test_s3.py).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from exporter_support import Project
from servers_support import BUCKET, PREFIX, GcsEmulator, gcs_emulator

from hackle_export import publish
from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode

DAY = "2024-01-01"
DAY_PREFIX = f"{PREFIX}/dt={DAY}/"
SMALL_PARTS = ("--max-file-mb", "0.005", "--batch-rows", "40")
FAKE_KEY = "FAKE-PRIVATE-KEY-must-never-be-shown-51e9"


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    with gcs_emulator(tmp_path_factory.mktemp("gcs")) as emulator:
        yield emulator


@pytest.fixture
def emulator_env(
    gcs: GcsEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> pytest.MonkeyPatch:
    # A key file is ignored next to an emulator, as Google's clients do; its
    # secret must still never be shown.
    key_file = tmp_path / "key.json"
    key_file.write_text(
        json.dumps({"type": "service_account", "private_key": FAKE_KEY}),
        encoding="utf-8",
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://{gcs.host}")
    gcs.empty_bucket()
    return monkeypatch


def export(project: Project, *extra: str, scheme: str = "gs") -> int:
    args = project.args("--date", DAY, "--debug", *extra)
    args[args.index("--dest") + 1] = f"{scheme}://{BUCKET}/{PREFIX}"
    return main(args)


def day_keys(gcs: GcsEmulator) -> list[str]:
    return gcs.keys_in(prefix=DAY_PREFIX)


def part_keys(gcs: GcsEmulator) -> list[str]:
    return [k for k in day_keys(gcs) if k.rsplit("/", 1)[1].startswith("part-")]


def error_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("scheme", ["gs", "gcs"])
def test_full_export(
    project: Project,
    gcs: GcsEmulator,
    emulator_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    scheme: str,
) -> None:
    gcs.put("outside/keep.txt", b"not ours")
    gcs.put(f"{PREFIX}/keep-me.txt", b"vendor file")
    caplog.set_level(logging.DEBUG, logger="hackle_export")

    assert export(project, *SMALL_PARTS, scheme=scheme) == ExitCode.OK

    out = capsys.readouterr()
    assert FAKE_KEY not in out.out + out.err + caplog.text
    parts = part_keys(gcs)
    assert len(parts) > 1
    assert day_keys(gcs) == sorted([*parts, f"{DAY_PREFIX}_SUCCESS"])
    assert all(not key.endswith("/") for key in gcs.keys_in())
    assert gcs.read(f"{DAY_PREFIX}_SUCCESS") == b""
    rows = sum(pq.ParquetFile(io.BytesIO(gcs.read(k))).metadata.num_rows for k in parts)
    [(expected,)] = project.query(
        "select exported_rows from hackle_daily_summary where dt = ?", [DAY]
    )
    assert rows == expected
    assert gcs.read("outside/keep.txt") == b"not ours"
    assert gcs.read(f"{PREFIX}/keep-me.txt") == b"vendor file"


def test_rerun_with_fewer_files_leaves_no_stale_object(
    project: Project, gcs: GcsEmulator, emulator_env: pytest.MonkeyPatch
) -> None:
    assert export(project, *SMALL_PARTS) == ExitCode.OK
    first = part_keys(gcs)
    assert len(first) > 2
    gcs.put(f"{DAY_PREFIX}nested/old.parquet", b"old")
    gcs.put(f"{DAY_PREFIX}.hidden", b"x")

    assert export(project) == ExitCode.OK

    [second] = part_keys(gcs)
    assert second not in first
    assert day_keys(gcs) == sorted([second, f"{DAY_PREFIX}_SUCCESS"])


def test_failure_before_success_leaves_none_and_the_next_run_heals(
    project: Project, gcs: GcsEmulator, emulator_env: pytest.MonkeyPatch
) -> None:
    assert export(project, *SMALL_PARTS) == ExitCode.OK
    old = part_keys(gcs)

    def broken_signal(*args: object, **kwargs: object) -> str:
        raise OSError("injected failure after the parts were written")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "signal_success", broken_signal)
        assert export(project) == ExitCode.FAILURE
    assert f"{DAY_PREFIX}_SUCCESS" not in day_keys(gcs)
    [unsignalled] = part_keys(gcs)
    assert unsignalled not in old

    assert export(project) == ExitCode.OK
    [healed] = part_keys(gcs)
    assert healed not in [*old, unsignalled]
    assert day_keys(gcs) == sorted([healed, f"{DAY_PREFIX}_SUCCESS"])


def test_missing_bucket_is_a_configuration_error(
    project: Project,
    gcs: GcsEmulator,
    emulator_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = project.args("--date", DAY)
    args[args.index("--dest") + 1] = "gs://no-such-bucket/hackle"

    assert main(args) == ExitCode.USAGE

    [line] = error_lines(capsys.readouterr().err)
    assert "the bucket no-such-bucket does not exist" in line


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "names a file that cannot be read"),
        ("{not json " + FAKE_KEY, "names a file that is not a JSON key file"),
        (json.dumps({"private_key": FAKE_KEY}), "names a JSON file without a 'type'"),
    ],
)
def test_unusable_key_file_is_a_configuration_error_that_shows_no_secret(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    words: str,
) -> None:
    key_file = tmp_path / "key.json"
    if content is not None:
        key_file.write_text(content, encoding="utf-8")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))

    assert export(project) == ExitCode.USAGE

    err = capsys.readouterr().err
    [line] = error_lines(err)
    assert (
        line
        == f"error: GOOGLE_APPLICATION_CREDENTIALS {words}" + line.split(words, 1)[1]
    )
    assert FAKE_KEY not in err
