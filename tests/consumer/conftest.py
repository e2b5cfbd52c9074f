"""The consumer tests' shared fixture (test_kcl_child.py keeps its own one-shard `scenario`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.consumer.scenario import Scenario
from tslake.local.process import EndpointProcess


@pytest.fixture
def scenario(endpoint: EndpointProcess, tmp_path: Path) -> Iterator[Scenario]:
    """A fresh two-shard scenario; every worker still running at the end is killed."""
    s = Scenario(endpoint, tmp_path)
    try:
        yield s
    finally:
        s.stop_all()
