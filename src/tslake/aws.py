"""boto3 clients. Endpoints come only from the standard AWS_ENDPOINT_URL[_<SERVICE>] variables,
which boto3 honours itself, so the same code talks to the local endpoint and to AWS."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config


def client(
    service: str,
    *,
    max_pool_connections: int = 10,
    max_attempts: int = 5,
    parameter_validation: bool = True,
    **kwargs: Any,
) -> Any:
    """`parameter_validation=False` for hot paths whose requests our own code builds and checks."""
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        connect_timeout=5,
        read_timeout=30,
        parameter_validation=parameter_validation,
    )
    if "endpoint_url" not in kwargs:
        # The same variables boto3 reads, passed explicitly: botocore skips endpoint discovery (which
        # Timestream requires in AWS, and which would send it to https://<discovered host>) only then.
        variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
        kwargs["endpoint_url"] = os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL") or None
    return boto3.session.Session().client(service, config=config, **kwargs)  # type: ignore[call-overload]
