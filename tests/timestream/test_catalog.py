"""Databases and tables over HTTP with boto3: create, describe, list, update (retention), delete, errors."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tslake.local.process import EndpointProcess


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_database_lifecycle(write_client: Any) -> None:
    name = f"db_{uuid.uuid4().hex[:8]}"
    created = write_client.create_database(DatabaseName=name)["Database"]
    assert created["DatabaseName"] == name
    assert created["Arn"].endswith(f":database/{name}")
    assert write_client.describe_database(DatabaseName=name)["Database"]["TableCount"] == 0
    with pytest.raises(write_client.exceptions.ConflictException):
        write_client.create_database(DatabaseName=name)
    updated = write_client.update_database(DatabaseName=name, KmsKeyId="alias/mine")["Database"]
    assert updated["KmsKeyId"] == "alias/mine"
    names: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = write_client.list_databases(MaxResults=2, **token)
        names += [d["DatabaseName"] for d in page["Databases"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert name in names
    write_client.delete_database(DatabaseName=name)
    with pytest.raises(write_client.exceptions.ResourceNotFoundException):
        write_client.describe_database(DatabaseName=name)


def test_table_lifecycle_and_retention(write_client: Any, database: str) -> None:
    name = f"tbl_{uuid.uuid4().hex[:8]}"
    table = write_client.create_table(DatabaseName=database, TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["RetentionProperties"] == {
        "MemoryStoreRetentionPeriodInHours": 6,
        "MagneticStoreRetentionPeriodInDays": 73000,
    }
    with pytest.raises(write_client.exceptions.ConflictException):
        write_client.create_table(DatabaseName=database, TableName=name)
    retention = {"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 30}
    updated = write_client.update_table(DatabaseName=database, TableName=name, RetentionProperties=retention)
    assert updated["Table"]["RetentionProperties"] == retention
    described = write_client.describe_table(DatabaseName=database, TableName=name)["Table"]
    assert described["RetentionProperties"] == retention
    assert name in [t["TableName"] for t in write_client.list_tables(DatabaseName=database)["Tables"]]
    with pytest.raises(ClientError) as info:
        write_client.delete_database(DatabaseName=database)
    assert code(info.value) == "ValidationException"
    write_client.delete_table(DatabaseName=database, TableName=name)
    with pytest.raises(write_client.exceptions.ResourceNotFoundException):
        write_client.describe_table(DatabaseName=database, TableName=name)


def test_retention_bounds_and_names_are_validated(write_client: Any, database: str) -> None:
    with pytest.raises(ClientError) as info:
        write_client.create_table(
            DatabaseName=database,
            TableName="bad_retention",
            RetentionProperties={"MemoryStoreRetentionPeriodInHours": 9000, "MagneticStoreRetentionPeriodInDays": 1},
        )
    assert code(info.value) == "ValidationException"
    with pytest.raises(ClientError) as info:
        write_client.create_database(DatabaseName="bad name!")
    assert code(info.value) == "ValidationException"
    with pytest.raises(write_client.exceptions.ResourceNotFoundException):
        write_client.create_table(DatabaseName="no_such_db", TableName="t1")


def test_provisioned_seed_tables_exist(write_client: Any) -> None:
    """`tslake local provision` created the seed's database and tables on this engine."""
    from tslake import names

    for table, hours, days in (
        (names.RAW_TABLE, names.RAW_TABLE_MEMORY_HOURS, names.RAW_TABLE_MAGNETIC_DAYS),
        (names.CEP_TABLE, names.CEP_TABLE_MEMORY_HOURS, names.CEP_TABLE_MAGNETIC_DAYS),
    ):
        described = write_client.describe_table(DatabaseName=names.TIMESTREAM_DATABASE, TableName=table)["Table"]
        assert described["RetentionProperties"] == {
            "MemoryStoreRetentionPeriodInHours": hours,
            "MagneticStoreRetentionPeriodInDays": days,
        }


def test_endpoint_discovery_through_aws_endpoint_url(endpoint: EndpointProcess, database: str) -> None:
    """A client configured only by AWS_ENDPOINT_URL runs endpoint discovery: DescribeEndpoints must send it
    back to this endpoint."""
    session = boto3.session.Session()
    for service in ("timestream-write", "timestream-query"):
        client = session.client(service)  # no endpoint_url=: the environment points it at the endpoint
        [described] = client.describe_endpoints()["Endpoints"]
        assert described["Address"] == endpoint.url
    writer = session.client("timestream-write")
    assert writer.describe_database(DatabaseName=database)["Database"]["DatabaseName"] == database


def test_unknown_operation_and_bad_json(endpoint: EndpointProcess) -> None:
    import httpx

    headers = {"X-Amz-Target": "Timestream_20181101.NoSuchThing", "Content-Type": "application/x-amz-json-1.0"}
    response = httpx.post(endpoint.url, content=b"{}", headers=headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    headers["X-Amz-Target"] = "Timestream_20181101.DescribeDatabase"
    response = httpx.post(endpoint.url, content=b"{not json", headers=headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
