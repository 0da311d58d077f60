"""Local S3 and GCS servers on 127.0.0.1 for the bucket tests, and their clients.

S3 is moto in server mode with IAM enforced: while unauthenticated actions remain
(INITIAL_NO_AUTH_ACTION_COUNT), the fixture creates the bucket and IAM users whose
policies are the vendor's example (or that example less one action); every later
request must be signed by one of those users and is checked against its policy.
moto does not evaluate the ``s3:prefix`` condition of ``s3:ListBucket``, so the
tests also read moto's request log and check every listing's prefix.

GCS is the gcp-storage-emulator, run by this file as a subprocess with a threading
HTTP server: pyarrow holds one download open while it asks for another range, which
the emulator's own one-request-at-a-time server never answers. The emulator checks
no permissions.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
REGION = "us-east-1"

BUCKET = "hackle-import"
PREFIX = "hackle"

OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def vendor_policy(
    bucket: str = BUCKET, prefix: str = PREFIX, without: str | None = None
) -> dict[str, Any]:
    """The vendor's IAM policy example for one bucket and prefix, less one action."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [a for a in OBJECT_ACTIONS if a != without],
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*",
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
            },
        ],
    }


ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}

# IAM users the S3 server is set up with, and their policies.
S3_USERS: dict[str, dict[str, Any]] = {
    "exporter": vendor_policy(),
    "exporter-no-delete": vendor_policy(without="s3:DeleteObject"),
    "exporter-no-put": vendor_policy(without="s3:PutObject"),
    "inspector": ADMIN_POLICY,
}

# Requests made before IAM is enforced: the bucket, then three per user.
SETUP_ACTIONS = 1 + 3 * len(S3_USERS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on {HOST}:{port} in time")


@contextmanager
def _process(
    command: list[str], port: int, log: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[Any]]:
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=env
        )
    try:
        _wait_for_port(port, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class AccessKey:
    key_id: str
    secret: str


@dataclass
class S3Server:
    """moto on 127.0.0.1 with the bucket and one access key per IAM user."""

    endpoint: str
    log: Path
    keys: dict[str, AccessKey] = field(default_factory=dict)

    def client(self, user: str = "inspector") -> Any:
        import boto3

        key = self.keys[user]
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=key.key_id,
            aws_secret_access_key=key.secret,
        )

    def keys_in(self, bucket: str = BUCKET, prefix: str = "") -> list[str]:
        """Every raw key in the bucket (folder markers included), read by admin."""
        pages = self.client().get_paginator("list_objects_v2")
        return sorted(
            entry["Key"]
            for page in pages.paginate(Bucket=bucket, Prefix=prefix)
            for entry in page.get("Contents", [])
        )

    def read(self, key: str, bucket: str = BUCKET) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def put(self, key: str, body: bytes, bucket: str = BUCKET) -> None:
        self.client().put_object(Bucket=bucket, Key=key, Body=body)

    def empty_bucket(self, bucket: str = BUCKET) -> None:
        for key in self.keys_in(bucket):
            self.client().delete_object(Bucket=bucket, Key=key)

    def requests(self) -> list[tuple[str, str]]:
        """(method, target) of every request served so far, in order."""
        pattern = re.compile(r'"(GET|PUT|POST|DELETE|HEAD) (\S+) HTTP/[\d.]+"')
        return pattern.findall(self.log.read_text(encoding="utf-8", errors="replace"))


@contextmanager
def s3_server(workdir: Path) -> Iterator[S3Server]:
    """Start moto with IAM enforced once the bucket and users exist."""
    import boto3

    port = free_port()
    env = {
        **os.environ,
        "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_ACTIONS),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    log = workdir / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    with _process(command, port, log, env):
        server = S3Server(f"http://{HOST}:{port}", log)
        setup = {
            "endpoint_url": server.endpoint,
            "region_name": REGION,
            "aws_access_key_id": "setup",
            "aws_secret_access_key": "setup",
        }
        boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
        iam = boto3.client("iam", **setup)
        for user, policy in S3_USERS.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName="hackle", PolicyDocument=json.dumps(policy)
            )
            created = iam.create_access_key(UserName=user)["AccessKey"]
            server.keys[user] = AccessKey(
                created["AccessKeyId"], created["SecretAccessKey"]
            )
        yield server


@dataclass
class GcsEmulator:
    """gcp-storage-emulator on 127.0.0.1, holding one bucket."""

    host: str
    log: Path

    def keys_in(self, bucket: str = BUCKET, prefix: str = "") -> list[str]:
        query = urllib.parse.urlencode({"prefix": prefix})
        url = f"http://{self.host}/storage/v1/b/{bucket}/o?{query}"
        with urllib.request.urlopen(url, timeout=30) as response:
            listing = json.load(response)
        return sorted(item["name"] for item in listing.get("items", []))

    def read(self, key: str, bucket: str = BUCKET) -> bytes:
        name = urllib.parse.quote(key, safe="")
        url = f"http://{self.host}/storage/v1/b/{bucket}/o/{name}?alt=media"
        with urllib.request.urlopen(url, timeout=30) as response:
            return bytes(response.read())

    def put(self, key: str, body: bytes, bucket: str = BUCKET) -> None:
        query = urllib.parse.urlencode({"uploadType": "media", "name": key})
        url = f"http://{self.host}/upload/storage/v1/b/{bucket}/o?{query}"
        request = urllib.request.Request(url, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def delete(self, key: str, bucket: str = BUCKET) -> None:
        name = urllib.parse.quote(key, safe="")
        url = f"http://{self.host}/storage/v1/b/{bucket}/o/{name}"
        with urllib.request.urlopen(
            urllib.request.Request(url, method="DELETE"), timeout=30
        ):
            pass

    def empty_bucket(self, bucket: str = BUCKET) -> None:
        for key in self.keys_in(bucket):
            self.delete(key, bucket)


@contextmanager
def gcs_emulator(workdir: Path) -> Iterator[GcsEmulator]:
    port = free_port()
    log = workdir / "gcs-emulator.log"
    command = [sys.executable, __file__, "gcs-emulator", str(port), BUCKET]
    with _process(command, port, log, dict(os.environ)):
        yield GcsEmulator(f"{HOST}:{port}", log)


def _serve_gcs_emulator(port: int, bucket: str) -> None:
    """Run the emulator's request handler behind a threading HTTP server."""
    import logging
    from functools import partial
    from http.server import ThreadingHTTPServer

    from gcp_storage_emulator.server import RequestHandler, Server

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    emulator = Server(HOST, 0, in_memory=True, default_bucket=bucket)
    storage = emulator._storage
    httpd = ThreadingHTTPServer((HOST, port), partial(RequestHandler, storage))
    httpd.daemon_threads = True
    httpd.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["gcs-emulator"]:
        _serve_gcs_emulator(int(sys.argv[2]), sys.argv[3])
