"""Entry point the local endpoint calls for every `X-Amz-Target: Timestream_20181101.*` request."""

from __future__ import annotations

import json
from pathlib import Path

TARGET_PREFIX = "Timestream_20181101."


class TimestreamService:
    """Placeholder until the DuckDB engine lands: every operation answers NotImplemented."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir

    def handle(self, target: str, body: bytes) -> tuple[int, bytes]:
        operation = target.removeprefix(TARGET_PREFIX)
        error = {"__type": "NotImplementedException", "message": f"Timestream {operation} is not implemented yet"}
        return 501, json.dumps(error).encode()

    def close(self) -> None:
        pass
