"""boto3 clients. Endpoints come only from the standard AWS_ENDPOINT_URL[_<SERVICE>] variables,
which boto3 honours itself, so the same code talks to the local endpoint and to AWS."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def client(service: str, *, max_pool_connections: int = 10, max_attempts: int = 5, **kwargs: Any) -> Any:
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session().client(service, config=config, **kwargs)  # type: ignore[call-overload]
