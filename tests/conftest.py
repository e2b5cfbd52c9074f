"""Shared fixtures. `endpoint`: one local AWS endpoint (moto + the Timestream engine) per test session.

It runs `tslake local up` on a free loopback port in a subprocess, provisions it with
`tslake local provision`, and points boto3 at it through the standard AWS_* variables.
Its log is `<session tmp>/endpoint/endpoint.log`; the tail is printed if a test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tslake.local.process import EndpointProcess, environ, start_endpoint


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointProcess]:
    base = tmp_path_factory.mktemp("endpoint")
    process = start_endpoint(data_dir=base / "data", log_path=base / "endpoint.log", timeout=60.0)
    with process, environ(process.env()):
        provision = subprocess.run(
            [sys.executable, "-m", "tslake.cli", "local", "provision"],
            env={**os.environ, **process.env()},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if provision.returncode != 0:
            pytest.fail(
                f"`tslake local provision` failed ({provision.returncode}):\n{provision.stdout}\n{provision.stderr}"
                f"\nendpoint log ({process.log_path}):\n{process.log_tail()}"
            )
        yield process


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Append the endpoint's log tail to a failing test that used it (most failures start there)."""
    report = yield
    if report.failed and "endpoint" in getattr(item, "fixturenames", ()):
        process = item.funcargs.get("endpoint") if hasattr(item, "funcargs") else None
        if isinstance(process, EndpointProcess):
            alive = "running" if process.alive() else f"EXITED with {process.popen.returncode}"
            report.sections.append((f"local endpoint log tail ({process.log_path}, {alive})", process.log_tail(60)))
    return report
