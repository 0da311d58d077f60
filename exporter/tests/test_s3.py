"""Publishing to S3 under exactly the vendor's IAM policy, against moto on 127.0.0.1."""

from __future__ import annotations

import io
import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from exporter_support import Project
from servers_support import BUCKET, PREFIX, S3Server, s3_server

from hackle_export import publish
from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode

DAY = "2024-01-01"
DAY_PREFIX = f"{PREFIX}/dt={DAY}/"
DEST = f"s3://{BUCKET}/{PREFIX}"
SMALL_PARTS = ("--max-file-mb", "0.005", "--batch-rows", "40")

# Recognisable stand-ins: none may ever be printed or logged.
FAKE_SESSION_TOKEN = "FAKE-SESSION-TOKEN-must-never-be-shown-7f3a"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def aws_env(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> pytest.MonkeyPatch:
    """Only this test's settings: no profile files, no instance metadata."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-creds"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    s3.empty_bucket()
    return monkeypatch


def use_user(env: pytest.MonkeyPatch, s3: S3Server, user: str) -> None:
    key = s3.keys[user]
    env.setenv("AWS_ACCESS_KEY_ID", key.key_id)
    env.setenv("AWS_SECRET_ACCESS_KEY", key.secret)


def export(project: Project, *extra: str, dest: str = DEST) -> int:
    args = project.args("--date", DAY, "--debug", *extra)
    args[args.index("--dest") + 1] = dest
    return main(args)


def day_keys(s3: S3Server) -> list[str]:
    return s3.keys_in(prefix=DAY_PREFIX)


def part_keys(s3: S3Server) -> list[str]:
    return [k for k in day_keys(s3) if k.rsplit("/", 1)[1].startswith("part-")]


def error_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("error: ")]


def assert_nothing_shown(
    s3: S3Server,
    captured: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    *users: str,
) -> str:
    """No secret of these users in stdout, stderr or the exporter's logs."""
    out = captured.readouterr()
    shown = out.out + out.err + caplog.text
    for user in users:
        assert s3.keys[user].secret not in shown
        assert s3.keys[user].key_id not in shown
    assert FAKE_SESSION_TOKEN not in shown
    return out.err


def assert_only_parts_and_success(s3: S3Server) -> None:
    keys = day_keys(s3)
    assert all(not key.endswith("/") for key in s3.keys_in())
    names = [key.removeprefix(DAY_PREFIX) for key in keys]
    assert "_SUCCESS" in names
    assert all(
        name == "_SUCCESS" or (name.startswith("part-") and name.endswith(".parquet"))
        for name in names
    )


def listing_prefixes(requests: list[tuple[str, str]]) -> list[str]:
    prefixes = []
    for method, target in requests:
        path, _, query = target.partition("?")
        if method == "GET" and path.strip("/") == BUCKET:
            prefixes.append(urllib.parse.parse_qs(query).get("prefix", [""])[0])
    return prefixes


def test_full_export_under_exactly_the_vendor_policy(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    s3.put("outside/keep.txt", b"not ours")
    s3.put(f"{PREFIX}/keep-me.txt", b"vendor file")
    use_user(aws_env, s3, "exporter")
    requests_before = len(s3.requests())
    caplog.set_level(logging.DEBUG, logger="hackle_export")

    assert export(project, *SMALL_PARTS) == ExitCode.OK
    requests = s3.requests()[requests_before:]

    assert_nothing_shown(s3, capsys, caplog, "exporter")
    assert_only_parts_and_success(s3)
    parts = part_keys(s3)
    assert len(parts) > 1
    assert s3.read(f"{DAY_PREFIX}_SUCCESS") == b""
    rows = sum(pq.ParquetFile(io.BytesIO(s3.read(k))).metadata.num_rows for k in parts)
    assert (
        rows
        == project.query(
            "select exported_rows from hackle_daily_summary where dt = ?", [DAY]
        )[0][0]
    )
    assert s3.read("outside/keep.txt") == b"not ours"
    assert s3.read(f"{PREFIX}/keep-me.txt") == b"vendor file"

    # Requests the policy could deny or that leave the prefix: none. moto does
    # not evaluate the s3:prefix condition, so the listings are checked here.
    prefixes = listing_prefixes(requests)
    assert prefixes
    assert all(p.startswith(f"{PREFIX}/dt=") for p in prefixes)
    bucket_root = {f"/{BUCKET}", f"/{BUCKET}/"}
    assert not [r for r in requests if r[0] in ("HEAD", "PUT") and r[1] in bucket_root]
    assert ("GET", "/") not in requests
    # _SUCCESS is the last object written.
    writes = [t for m, t in requests if m in ("PUT", "POST")]
    assert writes[-1].startswith(f"/{BUCKET}/{DAY_PREFIX}_SUCCESS")
    assert not any("_SUCCESS" in t for t in writes[:-3])


def test_rerun_with_fewer_files_leaves_no_stale_object(
    project: Project, s3: S3Server, aws_env: pytest.MonkeyPatch
) -> None:
    use_user(aws_env, s3, "exporter")
    assert export(project, *SMALL_PARTS) == ExitCode.OK
    first = part_keys(s3)
    assert len(first) > 2
    s3.put(f"{DAY_PREFIX}nested/", b"")
    s3.put(f"{DAY_PREFIX}nested/old.parquet", b"old")
    s3.put(f"{DAY_PREFIX}.hidden", b"x")
    requests_before = len(s3.requests())

    assert export(project) == ExitCode.OK

    [second] = part_keys(s3)
    assert second not in first
    assert day_keys(s3) == sorted([second, f"{DAY_PREFIX}_SUCCESS"])
    assert_only_parts_and_success(s3)
    # A re-run withdraws _SUCCESS before it writes anything.
    requests = s3.requests()[requests_before:]
    changes = [
        (m, t)
        for m, t in requests
        if m in ("PUT", "POST", "DELETE") and "/_hackle_locks/" not in t
    ]
    assert changes[0] == ("DELETE", f"/{BUCKET}/{DAY_PREFIX}_SUCCESS")


def test_failure_before_success_leaves_none_and_the_next_run_heals(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_user(aws_env, s3, "exporter")
    assert export(project, *SMALL_PARTS) == ExitCode.OK
    old = part_keys(s3)

    def broken_signal(*args: object, **kwargs: object) -> str:
        raise OSError("injected failure after the parts were written")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "signal_success", broken_signal)
        assert export(project) == ExitCode.FAILURE
    assert f"{DAY_PREFIX}_SUCCESS" not in day_keys(s3)
    [unsignalled] = part_keys(s3)
    assert unsignalled not in old

    assert export(project) == ExitCode.OK
    [healed] = part_keys(s3)
    assert healed not in [*old, unsignalled]
    assert_only_parts_and_success(s3)
    assert_nothing_shown(s3, capsys, caplog, "exporter")


def test_denied_delete_fails_with_one_sentence_and_no_success(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_user(aws_env, s3, "exporter")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "signal_success", lambda *a, **k: "")
        assert export(project, *SMALL_PARTS) == ExitCode.OK
    stale = part_keys(s3)
    capsys.readouterr()

    use_user(aws_env, s3, "exporter-no-delete")
    assert export(project) == ExitCode.USAGE

    err = assert_nothing_shown(s3, capsys, caplog, "exporter", "exporter-no-delete")
    [line] = error_lines(err)
    assert line.startswith("error: S3 denies s3:DeleteObject on ")
    assert f"s3://{BUCKET}/{DAY_PREFIX}part-" in line
    assert f"must allow s3:DeleteObject on arn:aws:s3:::{BUCKET}/{PREFIX}/*" in line
    assert f"{DAY_PREFIX}_SUCCESS" not in day_keys(s3)
    assert set(stale) < set(part_keys(s3))


def test_denied_delete_of_success_changes_nothing(
    project: Project, s3: S3Server, aws_env: pytest.MonkeyPatch
) -> None:
    use_user(aws_env, s3, "exporter")
    assert export(project) == ExitCode.OK
    complete = day_keys(s3)

    use_user(aws_env, s3, "exporter-no-delete")
    assert export(project) == ExitCode.USAGE

    # The day still holds exactly its one complete run.
    assert day_keys(s3) == complete


def test_denied_put_fails_with_one_sentence(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_user(aws_env, s3, "exporter-no-put")

    assert export(project) == ExitCode.USAGE

    err = assert_nothing_shown(s3, capsys, caplog, "exporter-no-put")
    [line] = error_lines(err)
    assert line.startswith("error: S3 denies s3:PutObject on ")
    assert f"must allow s3:PutObject on arn:aws:s3:::{BUCKET}/{PREFIX}/*" in line
    assert day_keys(s3) == []


def test_missing_bucket_is_a_configuration_error(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_user(aws_env, s3, "inspector")

    assert export(project, dest="s3://no-such-bucket/hackle") == ExitCode.USAGE

    err = assert_nothing_shown(s3, capsys, caplog, "inspector")
    [line] = error_lines(err)
    assert "the bucket no-such-bucket does not exist" in line
    assert "the exporter never creates buckets" in line
    assert "no-such-bucket" not in [
        b["Name"] for b in s3.client().list_buckets()["Buckets"]
    ]


def test_missing_credentials_are_a_configuration_error(
    project: Project,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws_env.delenv("AWS_ACCESS_KEY_ID", raising=False)
    aws_env.delenv("AWS_SECRET_ACCESS_KEY", raising=False)

    assert export(project) == ExitCode.USAGE

    [line] = error_lines(capsys.readouterr().err)
    assert line.startswith(f"error: no AWS credentials were found for {DEST}")
    assert "AWS_ACCESS_KEY_ID" in line


def test_refused_secret_is_never_shown(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_secret = "WRONG-SECRET-must-never-be-shown-0c1d"
    aws_env.setenv("AWS_ACCESS_KEY_ID", s3.keys["exporter"].key_id)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
    aws_env.setenv("AWS_SESSION_TOKEN", FAKE_SESSION_TOKEN)
    caplog.set_level(logging.DEBUG, logger="hackle_export")

    assert export(project, "--verbose") == ExitCode.USAGE

    err = assert_nothing_shown(s3, capsys, caplog, "exporter")
    assert wrong_secret not in err + caplog.text
    [line] = error_lines(err)
    assert "S3 refused the AWS credentials" in line


@pytest.mark.parametrize(
    ("dest", "words"),
    [
        ("s3://Bad_Bucket/hackle", "does not name a valid bucket"),
        ("s3://ab/hackle", "does not name a valid bucket"),
        ("s3:///hackle", "does not name a valid bucket"),
        (f"s3://{BUCKET}/a/../b", "has an empty, '.' or '..' folder"),
        (f"s3://{BUCKET}/hackle?x=1", "has a query string or fragment"),
    ],
)
def test_malformed_bucket_urls_are_usage_errors(
    project: Project,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dest: str,
    words: str,
) -> None:
    assert export(project, dest=dest) == ExitCode.USAGE
    [line] = error_lines(capsys.readouterr().err)
    assert line.startswith(f"error: --dest {dest} {words}")


def test_endpoint_setting_that_is_not_a_url_is_a_configuration_error(
    project: Project,
    s3: S3Server,
    aws_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_user(aws_env, s3, "exporter")
    aws_env.setenv("AWS_ENDPOINT_URL_S3", "ftp://user:pw-must-not-show@127.0.0.1:1")

    assert export(project) == ExitCode.USAGE

    [line] = error_lines(capsys.readouterr().err)
    assert "AWS_ENDPOINT_URL_S3 is not an http:// or https:// URL" in line
    assert "pw-must-not-show" not in line
