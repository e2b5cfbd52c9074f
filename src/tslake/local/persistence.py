"""Persist moto's in-memory backends under `--data-dir` (a pickle, written atomically).

moto keeps everything in per-service `BackendDict[account][region]` objects; we snapshot the ones the
pipeline uses, on an interval and on clean shutdown, and put them back before the first request.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger()

# moto backend names of the services the pipeline (and its tooling) uses.
PERSISTED_SERVICES = ("kinesis", "dynamodb", "s3", "cloudwatch", "logs", "glue", "secretsmanager", "sts", "iam")
SNAPSHOT_NAME = "moto-state.pickle"
FORMAT_VERSION = 1


class StateRestoreError(RuntimeError):
    """The snapshot exists but can't be loaded (e.g. written by another moto version)."""


def _backend_dict(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[call-overload]


class MotoState:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SNAPSHOT_NAME

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{service: {account: {region: backend}}} for the backends that exist (never creates one)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for service in PERSISTED_SERVICES:
            accounts = _backend_dict(service)
            out[service] = {
                account: dict(dict.items(regions)) for account, regions in dict.items(accounts) if dict.__len__(regions)
            }
        return out

    def save(self) -> None:
        import moto

        payload = {"format": FORMAT_VERSION, "moto": moto.__version__, "backends": self.snapshot()}
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def restore(self) -> bool:
        if not self.path.exists():
            return False
        import moto

        try:
            with self.path.open("rb") as f:
                payload = pickle.load(f)
        except Exception as error:
            raise StateRestoreError(f"cannot load {self.path}: {error!r}; move it away to start empty") from error
        if payload.get("format") != FORMAT_VERSION or payload.get("moto") != moto.__version__:
            raise StateRestoreError(
                f"{self.path} was written by moto {payload.get('moto')} (format {payload.get('format')}), "
                f"this is moto {moto.__version__}; move it away to start empty"
            )
        for service, accounts in payload["backends"].items():
            backend_dict = _backend_dict(service)
            for account, regions in accounts.items():
                for region, backend in regions.items():
                    backend_dict[account][region] = backend
        return True
