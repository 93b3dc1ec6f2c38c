"""S3 for the example tests: moto's server on 127.0.0.1, started by the test and stopped by its PID.

The examples reach it the way a deployment reaches S3: through an Airflow AWS connection (``aws_t5``) whose
``endpoint_url`` points at the server, and ``s3://aws_t5@<bucket>/...`` ObjectStoragePaths.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

CONN_ID = "aws_t5"
KEY, SECRET, REGION = "testing", "testing", "us-east-1"  # moto accepts any credentials


@dataclass
class MotoS3:
    process: subprocess.Popen[bytes]
    endpoint: str
    buckets: int = 0

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )

    def bucket(self, prefix: str) -> str:
        """A new empty bucket (``<prefix>-<n>``); returns its ``s3://aws_t5@<bucket>`` URI."""
        self.buckets += 1
        name = f"{prefix}-{self.buckets}"
        self.client().create_bucket(Bucket=name)
        return f"s3://{CONN_ID}@{name}"

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, bucket: str, key: str) -> str:
        return str(self.client().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))

    def connection_json(self) -> str:
        extra = {"endpoint_url": self.endpoint, "region_name": REGION}
        return json.dumps({"conn_type": "aws", "login": KEY, "password": SECRET, "extra": extra})

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_moto(timeout: float = 30.0) -> MotoS3:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    moto = MotoS3(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{moto.endpoint}/moto-api/", timeout=2):
                return moto
        except OSError:
            time.sleep(0.2)
    moto.stop()
    raise RuntimeError(f"moto server did not answer within {timeout:.0f} s")
