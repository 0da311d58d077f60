"""--dry-run: what a day would publish against what its dt= folder holds; no write."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from exporter_support import Project
from servers_support import BUCKET, PREFIX, S3Server, s3_server

from hackle_export.exit_codes import ExitCode

DAY = "2024-01-01"
# The first events of the day, of more than one event_key.
CHANGED_IDS = "select insert_id from hackle_events where ts < '2024-01-01 00:21:00'"


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every path below ``root`` with its size, mtime and content hash."""
    found: dict[str, tuple[int, int, str]] = {}
    for folder, folders, files in os.walk(root):
        for name in folders:
            found[os.path.join(folder, name) + "/"] = (0, 0, "")
        for name in files:
            path = Path(folder, name)
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns, digest)
    return found


def json_reports(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def key_totals(project: Project) -> dict[str, tuple[int, Decimal]]:
    rows = project.query(
        "select event_key, count(*), sum(metric_value) from hackle_events "
        "where ts >= '2024-01-01' and ts < '2024-01-02' group by 1"
    )
    return {key: (count, Decimal(total)) for key, count, total in rows}


def change_the_day(project: Project) -> list[str]:
    """Drop the day's first three events and add 1 to every event_1 metric."""
    removed = sorted(row[0] for row in project.query(CHANGED_IDS))
    project.execute(
        f"delete from hackle_events where insert_id in ({CHANGED_IDS});"
        "update hackle_events set metric_value = metric_value + 1 "
        "where event_key = 'event_1'"
    )
    project.rebuild_summary()
    return removed


def test_dry_run_reports_the_difference_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY, "--manifest") == ExitCode.OK
    bucket_keys = key_totals(project)
    removed = change_the_day(project)
    warehouse_keys = key_totals(project)
    capsys.readouterr()
    before = snapshot(project.root)

    code = project.run("--date", DAY, "--dry-run", "--log-format", "json")

    assert code == ExitCode.OK
    assert snapshot(project.root) == before
    assert not (project.dest / "_hackle_locks").exists()
    captured = capsys.readouterr()
    assert captured.err == ""
    [report] = json_reports(captured.out)
    assert report["type"] == "dry_run"
    assert report["status"] == "would_publish"
    assert report["bucket"] == {"rows": 410, "files": 1, "success": True}
    assert report["rows"] == 410 - len(removed)
    assert report["insert_ids"] == {
        "added": 0,
        "removed": len(removed),
        "added_examples": [],
        "removed_examples": removed[:3],
    }
    assert {
        k["event_key"]: (k["rows_in_bucket"], Decimal(k["metric_total_in_bucket"]))
        for k in report["event_keys"]
    } == bucket_keys
    assert {
        k["event_key"]: (k["rows"], Decimal(k["metric_total"]))
        for k in report["event_keys"]
    } == warehouse_keys
    assert warehouse_keys["event_1"][1] != bucket_keys["event_1"][1]


def test_dry_run_text_report(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    removed = change_the_day(project)
    capsys.readouterr()

    assert project.run("--date", DAY, "--dry-run") == ExitCode.OK

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{DAY} dry_run would_publish rows={410 - len(removed)} (in the bucket: "
        "410 rows in 1 "
        "files, _SUCCESS present)"
    )
    assert lines[1].split() == ["event_key", "rows", "change", "metric_total", "change"]
    assert [line.split()[0] for line in lines[2:7]] == [f"event_{i}" for i in range(5)]
    assert lines[-1] == (
        f"  insert_ids: 0 added, {len(removed)} removed; removed e.g. "
        + ", ".join(removed[:3])
    )


def test_dry_run_of_an_unpublished_day_creates_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(project.root)

    code = project.run("--start", DAY, "--end", "2024-01-03", "--dry-run")

    assert code == ExitCode.NOT_READY
    assert snapshot(project.root) == before
    assert not project.dest.exists()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"{DAY} dry_run would_publish rows=410 (in the bucket: 0 rows in 0 files, "
        "_SUCCESS absent)"
    )
    assert out[-1].startswith("2024-01-03 dry_run not_ready: the day ends at")
    added = [line for line in out if "insert_ids:" in line]
    assert added[0].startswith("  insert_ids: 410 added, 0 removed; added e.g. ")


def test_dry_run_of_a_failed_day_leaves_its_folder_as_it_is(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    project.success(DAY).unlink()
    before = snapshot(project.root)

    assert project.run("--date", DAY, "--dry-run") == ExitCode.OK

    assert snapshot(project.root) == before
    assert "_SUCCESS absent" in capsys.readouterr().out


# --- S3 -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def aws_env(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> pytest.MonkeyPatch:
    key = s3.keys["exporter"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    s3.empty_bucket()
    return monkeypatch


def test_dry_run_on_s3_only_reads_below_the_day(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = f"s3://{BUCKET}/{PREFIX}"
    args = project.args("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40")
    args[args.index("--dest") + 1] = dest
    from hackle_export.cli import main

    assert main(args) == ExitCode.OK
    keys_before = {key: s3.read(key) for key in s3.keys_in()}
    requests_before = len(s3.requests())
    removed = change_the_day(project)
    capsys.readouterr()

    assert main([*args, "--dry-run", "--log-format", "json"]) == ExitCode.OK

    requests = s3.requests()[requests_before:]
    assert {key: s3.read(key) for key in s3.keys_in()} == keys_before
    assert requests
    day = f"{PREFIX}/dt={DAY}/"
    for method, target in requests:
        assert method in ("GET", "HEAD"), (method, target)
        parts = urllib.parse.urlsplit(target)
        prefix = urllib.parse.parse_qs(parts.query).get("prefix", [""])[0]
        assert parts.path.startswith(f"/{BUCKET}/{day}") or (
            parts.path.rstrip("/") == f"/{BUCKET}" and prefix.startswith(day)
        ), target
    [report] = json_reports(capsys.readouterr().out)
    assert report["bucket"]["rows"] == 410
    assert report["bucket"]["files"] > 2
    assert report["insert_ids"]["removed"] == len(removed)
