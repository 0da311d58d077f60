"""The command line: usage errors, configuration, exit codes, the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from exporter_support import Project

from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode, most_severe


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--date", "2024-01-01", "--all-days"], "exclude each other"),
        (
            ["--date", "2024-01-01", "--start", "2024-01-01", "--end", "2024-01-02"],
            "exclude each other",
        ),
        (
            ["--all-days", "--start", "2024-01-01", "--end", "2024-01-02"],
            "exclude each other",
        ),
        (["--start", "2024-01-03", "--end", "2024-01-01"], "is after --end"),
        (["--start", "2024-01-01"], "go together"),
        (["--date", "2024/01/01"], "YYYY-MM-DD"),
        (["--date", "20240101"], "YYYY-MM-DD"),
        (["--date", "2024-02-30"], "YYYY-MM-DD"),
        # An unset variable in a job gives an empty day, which is no day.
        (["--date", ""], "YYYY-MM-DD"),
        (["--date", "9999-12-31"], "outside the days"),
        (["--date", "0001-01-01"], "outside the days"),
        (["--max-file-mb", "0"], "--max-file-mb"),
        (["--max-file-mb", "nan"], "--max-file-mb"),
        (["--max-file-mb", "inf"], "--max-file-mb"),
        (["--batch-rows", "-5"], "--batch-rows"),
        (["--batch-rows", "99999999999999"], "between 1 and"),
        (["--identifiers-format", "text"], "invalid choice"),
        (["--unknown"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    words: str,
) -> None:
    assert project.run(*extra) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert words in line
    assert not project.dest.exists()


def test_dest_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--date", "2024-01-01"]) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "--dest" in line


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == ExitCode.OK
    out = " ".join(capsys.readouterr().out.split())
    assert "75 day not ready" in out
    assert "130 interrupted (Ctrl-C or SIGTERM)" in out


def test_a_redshift_target_needs_a_staging_prefix(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HACKLE_UNLOAD_STAGING", raising=False)
    assert project.run("--date", "2024-01-01", "--target", "cluster") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "HACKLE_UNLOAD_STAGING" in line


def test_other_warehouse_types_are_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = project.root / "profiles.yml"
    profiles.write_text(
        profiles.read_text(encoding="utf-8").replace("type: redshift", "type: oracle"),
        encoding="utf-8",
    )
    assert project.run("--target", "cluster") == ExitCode.USAGE
    assert "type oracle" in error_lines(capsys)[0]


def test_unknown_target_names_the_outputs(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--target", "prod") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "'prod'" in line
    assert "cluster, local, warehouse" in line


def test_bucket_destinations_need_credentials(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    code = main(
        [
            "--project-dir",
            str(project.root),
            "--profiles-dir",
            str(project.root),
            "--dest",
            "s3://bucket/prefix",
            "--date",
            "2024-01-01",
        ]
    )
    assert code == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "no AWS credentials were found" in line


def run_with_dest(project: Project, dest: str) -> int:
    args = project.args("--date", "2024-01-01")
    args[args.index("--dest") + 1] = dest
    return main(args)


@pytest.mark.parametrize("scheme", ["ftp", "http", "https"])
def test_unknown_destination_scheme_says_what_is_supported_now(
    project: Project, capsys: pytest.CaptureFixture[str], scheme: str
) -> None:
    assert run_with_dest(project, f"{scheme}://host/prefix") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert f"uses {scheme}://" in line
    assert (
        "give a local folder, a file:///absolute/path URL, or s3://bucket/prefix "
        "or gs://bucket/prefix" in line
    )


@pytest.mark.parametrize(
    ("dest", "words"),
    [
        ("file://relbucket", "is not an absolute file:// URL"),
        ("file://relbucket/sub", "is not an absolute file:// URL"),
        ("file:relbucket", "is not an absolute file:// URL"),
        ("file://", "is not an absolute file:// URL"),
        ("{uri}?x=1", "has a query string or fragment"),
        ("{uri}?", "has a query string or fragment"),
        ("{uri}#part", "has a query string or fragment"),
    ],
)
def test_malformed_file_urls_are_usage_errors(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    dest: str,
    words: str,
) -> None:
    monkeypatch.chdir(project.root)
    dest = dest.format(uri=project.dest.as_uri())

    assert run_with_dest(project, dest) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert line.startswith(f"error: --dest {dest} {words}")
    assert not project.dest.exists()
    assert not (project.root / "relbucket").exists()


def test_file_url_destination(project: Project) -> None:
    assert run_with_dest(project, project.dest.as_uri()) == ExitCode.OK
    assert project.success("2024-01-01").exists()


def test_file_url_with_localhost_and_escapes(project: Project) -> None:
    dest = project.root / "my bucket?#"
    url = "file://localhost" + str(dest).replace(" ", "%20").replace(
        "?", "%3F"
    ).replace("#", "%23")

    assert run_with_dest(project, url) == ExitCode.OK
    assert (dest / "dt=2024-01-01" / "_SUCCESS").exists()


def test_destination_that_is_a_file_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.dest.write_text("not a folder", encoding="utf-8")

    assert project.run("--date", "2024-01-01") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert f"the destination {project.dest} exists and is not a folder" in line
    assert project.dest.read_text(encoding="utf-8") == "not a folder"


def test_destination_below_a_file_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.dest.write_text("not a folder", encoding="utf-8")

    assert run_with_dest(project, str(project.dest / "prefix")) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert f"lies below {project.dest}, which is not a folder" in line


def test_missing_relation_says_to_run_dbt_build(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute("drop table hackle_source_status")
    assert project.run("--date", "2024-01-01") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "main.hackle_source_status" in line
    assert "dbt build" in line


def test_missing_duckdb_file_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.db.unlink()
    assert project.run("--date", "2024-01-01") == ExitCode.USAGE
    assert "does not exist" in error_lines(capsys)[0]


@pytest.mark.parametrize(
    ("kind", "words"),
    [("text", "is not a DuckDB database"), ("folder", "is a folder")],
)
def test_a_duckdb_path_of_the_wrong_kind_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str], kind: str, words: str
) -> None:
    project.db.unlink()
    if kind == "folder":
        project.db.mkdir()
    else:
        project.db.write_bytes(b"not a database" * 100)
    assert project.run("--date", "2024-01-01") == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert words in line
    assert "path:" in line
    assert not project.dest.exists()


def test_a_profiles_dir_that_is_a_file_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = project.args("--date", "2024-01-01")
    argv[argv.index("--profiles-dir") + 1] = str(project.root / "profiles.yml")
    assert main(argv) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "is not a file" in line
    assert "--profiles-dir" in line
    assert not project.dest.exists()


def test_bad_partition_time_zone_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.set_status("2024-01-03", tz="Mars/Olympus")
    assert project.run("--date", "2024-01-01") == ExitCode.USAGE
    assert "'Mars/Olympus'" in error_lines(capsys)[0]
    assert not project.dest.exists()


def test_status_must_hold_one_row(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        "insert into hackle_source_status select * from hackle_source_status"
    )
    assert project.run("--date", "2024-01-01") == ExitCode.CONTRACT_VIOLATION
    assert "2 rows" in error_lines(capsys)[0]


def test_debug_shows_the_traceback(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.db.unlink()
    assert project.run("--date", "2024-01-01", "--debug") == ExitCode.USAGE
    assert "Traceback" in capsys.readouterr().err


def test_profiles_found_like_dbt_with_env_vars_and_relative_path(
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    profiles_dir = tmp_path / "profiles"
    profiles_dir.mkdir()
    (profiles_dir / "profiles.yml").write_text(
        "hackle_export:\n"
        "  target: \"{{ env_var('HACKLE_TARGET', 'dev') }}\"\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: duckdb\n"
        "      path: \"{{ env_var('HACKLE_DB') }}\"\n"
        "      schema: \"{{ env_var('HACKLE_SCHEMA', 'main') }}\"\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("DBT_PROFILES_DIR", str(profiles_dir))
    monkeypatch.delenv("HACKLE_DB", raising=False)
    argv = ["--dest", "out", "--date", "2024-01-01"]

    assert main(argv) == ExitCode.USAGE
    assert "HACKLE_DB" in error_lines(capsys)[0]

    monkeypatch.setenv("HACKLE_DB", project.db.name)
    assert main(argv) == ExitCode.OK
    assert (project.root / "out" / "dt=2024-01-01" / "_SUCCESS").exists()

    monkeypatch.setenv("HACKLE_SCHEMA", "elsewhere")
    assert main(argv) == ExitCode.USAGE
    assert "elsewhere.hackle_source_status" in error_lines(capsys)[0]


def test_profiles_in_the_current_folder_are_used_without_flags(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    assert main(["--dest", "out", "--date", "2024-01-01"]) == ExitCode.OK


def test_missing_profiles_names_every_place_they_can_be(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (project.root / "profiles.yml").unlink()
    monkeypatch.chdir(project.root)
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["--dest", "out", "--date", "2024-01-01"]) == ExitCode.USAGE
    [line] = error_lines(capsys)
    assert "does not exist" in line
    for place in ("current folder", "--profiles-dir", "DBT_PROFILES_DIR"):
        assert place in line


def test_most_severe_code_follows_the_documented_order() -> None:
    order = [2, 130, 1, 3, 75, 4, 0]
    for index, code in enumerate(order):
        assert most_severe(ExitCode(c) for c in order[index:]) == code
    assert most_severe([ExitCode.OK, ExitCode.EMPTY_REFUSED]) == 4
    assert most_severe([ExitCode.NOT_READY, ExitCode.CONTRACT_VIOLATION]) == 3
    assert most_severe([]) == ExitCode.OK


def test_console_script_runs_as_a_subprocess(project: Project) -> None:
    script = Path(sys.executable).with_name("hackle-export")
    assert script.exists(), "install the package: pip install -e . --no-deps"
    env = {**os.environ, "DBT_PROFILES_DIR": str(project.root)}

    done = subprocess.run(
        [
            str(script),
            "--dest",
            "bucket",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-03",
            "--verbose",
            "--no-summary",
        ],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == ExitCode.NOT_READY, done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines()] == [
        "published",
        "published",
        "not_ready",
    ]
    assert "published 2024-01-01:" in done.stderr
    assert project.success("2024-01-01").exists()
