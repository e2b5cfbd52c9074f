"""pyarrow's S3 filesystem configured like boto3: same credentials, region and endpoint variables.

DuckDB's own S3 support (the httpfs extension) is downloaded at first use from the DuckDB extension
site, which CI cannot reach, so DuckDB reads the lake through Arrow datasets on this filesystem.
The endpoint comes from the standard AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (unset on AWS).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import boto3
import pyarrow.fs as pafs


def s3_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def s3_filesystem() -> pafs.S3FileSystem:
    session = boto3.session.Session()
    kwargs: dict[str, object] = {"region": session.region_name or "us-east-1"}
    credentials = session.get_credentials()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        kwargs.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
    endpoint = s3_endpoint()
    if endpoint:
        url = urlsplit(endpoint)
        kwargs.update(endpoint_override=url.netloc, scheme=url.scheme or "https")
    return pafs.S3FileSystem(**kwargs)
