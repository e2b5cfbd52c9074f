"""Start `tslake local up` as a child process and talk to it (the test fixture and `tslake run` use this)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tslake import names
from tslake.local.server import HEALTH_PATH


class EndpointStartError(RuntimeError):
    """The endpoint process exited or never answered; the message carries its log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def endpoint_env(url: str) -> dict[str, str]:
    """The standard variables boto3 (and the AWS CLI, awswrangler, the KCL wrapper) read."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": names.LOCAL_REGION,
        "AWS_DEFAULT_REGION": names.LOCAL_REGION,
    }


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block (boto3 reads them per client), then put back what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def terminate(popen: subprocess.Popen[bytes], timeout: float) -> int:
    """Stop a child as Kubernetes would: SIGTERM, then SIGKILL after `timeout`; returns its exit code."""
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(5)
    return int(popen.returncode)


class EndpointProcess:
    def __init__(self, popen: subprocess.Popen[bytes], host: str, port: int, log_path: Path | None) -> None:
        self.popen = popen
        self.host = host
        self.port = port
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def env(self) -> dict[str, str]:
        return endpoint_env(self.url)

    def client(self, service: str, **kwargs: Any) -> Any:
        import boto3

        env = self.env()
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.url,
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            **kwargs,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=timeout) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log file)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (the endpoint persists its state, if it has a data dir), then SIGKILL."""
        return terminate(self.popen, timeout)

    def __enter__(self) -> EndpointProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_endpoint(
    *,
    host: str = names.LOCAL_HOST,
    port: int = 0,
    data_dir: Path | None = None,
    log_path: Path | None = None,
    timeout: float = 30.0,
    extra_args: list[str] | None = None,
) -> EndpointProcess:
    """Launch `python -m tslake.cli local up` and wait until it answers its health check."""
    port = port or free_port(host)
    command = [sys.executable, "-m", "tslake.cli", "local", "up", "--host", host, "--port", str(port)]
    command.append("--exit-with-parent")
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    command += extra_args or []
    log_file: IO[bytes] | int = subprocess.DEVNULL
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("ab")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    try:
        popen = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=env, start_new_session=True
        )
    finally:
        if not isinstance(log_file, int):
            log_file.close()
    endpoint = EndpointProcess(popen, host, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not endpoint.alive():
            raise EndpointStartError(
                f"`tslake local up` exited with {popen.returncode} before answering on {endpoint.url}:\n"
                + endpoint.log_tail()
            )
        if endpoint.healthy(timeout=1.0):
            return endpoint
        time.sleep(0.1)
    endpoint.stop()
    raise EndpointStartError(
        f"`tslake local up` did not answer on {endpoint.url} within {timeout}s:\n" + endpoint.log_tail()
    )
