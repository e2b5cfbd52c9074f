"""The local endpoint over real HTTP: both protocols, routing, S3 edge cases, provisioning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError

from tslake import names
from tslake.local.process import EndpointProcess


def test_kinesis_over_h2c_prior_knowledge(endpoint: EndpointProcess) -> None:
    """The KCL's Kinesis client only speaks HTTP/2 over cleartext; a signed h2 request must work."""
    request = _signed_kinesis_request(endpoint, "ListStreams", {})
    with httpx.Client(http1=False, http2=True) as http:
        response = http.send(request)
    assert response.http_version == "HTTP/2"
    assert response.status_code == 200, response.text
    assert names.INPUT_STREAM in response.json()["StreamNames"]


def test_kinesis_over_http11(endpoint: EndpointProcess) -> None:
    request = _signed_kinesis_request(endpoint, "DescribeStream", {"StreamName": names.INPUT_STREAM})
    with httpx.Client(http1=True, http2=False) as http:
        response = http.send(request)
    assert response.http_version == "HTTP/1.1"
    assert response.status_code == 200, response.text
    shards = response.json()["StreamDescription"]["Shards"]
    assert len(shards) == names.INPUT_STREAM_SHARDS


def test_s3_head_of_empty_object(endpoint: EndpointProcess) -> None:
    s3 = endpoint.client("s3")
    s3.put_object(Bucket=names.LAKE_BUCKET, Key="tests/empty", Body=b"")
    head = s3.head_object(Bucket=names.LAKE_BUCKET, Key="tests/empty")
    assert head["ContentLength"] == 0
    assert s3.get_object(Bucket=names.LAKE_BUCKET, Key="tests/empty")["Body"].read() == b""
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=names.LAKE_BUCKET, Key="tests/missing")
    assert missing.value.response["Error"]["Code"] == "404"


def test_s3_metadata_with_underscore_survives(endpoint: EndpointProcess) -> None:
    s3 = endpoint.client("s3")
    s3.put_object(Bucket=names.LAKE_BUCKET, Key="tests/meta", Body=b"x", Metadata={"source_shard": "s-1"})
    assert s3.head_object(Bucket=names.LAKE_BUCKET, Key="tests/meta")["Metadata"] == {"source_shard": "s-1"}


@pytest.mark.parametrize("http2", [False, True], ids=["http1-chunked", "h2-no-content-length"])
def test_s3_put_with_a_streamed_body(endpoint: EndpointProcess, http2: bool) -> None:
    """A body without Content-Length (chunked, or an h2 stream) arrives whole, not empty."""
    env = endpoint.env()
    scope = f"testing/20260101/{env['AWS_REGION']}/s3/aws4_request"
    key = f"tests/streamed-{'h2' if http2 else 'h1'}"
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    }

    def body() -> Iterator[bytes]:
        yield b"hello "
        yield b"streamed world"

    with httpx.Client(http1=not http2, http2=http2) as http:
        response = http.put(f"{endpoint.url}/{names.LAKE_BUCKET}/{key}", content=body(), headers=headers)
    assert response.status_code == 200, response.text
    stored = endpoint.client("s3").get_object(Bucket=names.LAKE_BUCKET, Key=key)["Body"].read()
    assert stored == b"hello streamed world"


def test_awswrangler_parquet_round_trip(endpoint: EndpointProcess) -> None:
    import awswrangler as wr
    import boto3
    import pandas as pd

    session = boto3.session.Session()  # reads AWS_ENDPOINT_URL etc. from os.environ, set by the fixture
    frame = pd.DataFrame({"sensor": ["a", "b"], "value": [1.5, 2.5]})
    path = f"s3://{names.LAKE_BUCKET}/tests/wrangler/"
    wr.s3.to_parquet(frame, path, dataset=True, mode="overwrite", boto3_session=session)
    back = wr.s3.read_parquet(path, dataset=True, boto3_session=session)
    assert sorted(back["sensor"]) == ["a", "b"]
    assert sorted(back["value"]) == [1.5, 2.5]


def test_timestream_requests_reach_the_timestream_engine(endpoint: EndpointProcess) -> None:
    """Routed by X-Amz-Target to tslake.timestream, never to moto's (unusable) Timestream."""
    client = endpoint.client("timestream-write")
    try:
        response = client.describe_database(DatabaseName=names.TIMESTREAM_DATABASE)
        metadata = response["ResponseMetadata"]
    except ClientError as error:  # e.g. NotImplementedException from the engine's placeholder
        metadata = error.response["ResponseMetadata"]
    assert metadata["HTTPHeaders"]["x-tslake-backend"] == "timestream"
    kinesis = endpoint.client("kinesis").list_streams()
    assert kinesis["ResponseMetadata"]["HTTPHeaders"]["x-tslake-backend"] == "moto"


def test_cloudwatch_cbor_dynamodb_conditional_writes_and_sts(endpoint: EndpointProcess) -> None:
    """The other services the pipeline touches (CloudWatch speaks CBOR in this botocore)."""
    from datetime import UTC, datetime, timedelta

    cloudwatch = endpoint.client("cloudwatch")
    cloudwatch.put_metric_data(Namespace="tslake-test", MetricData=[{"MetricName": "m", "Value": 2.0}])
    now = datetime.now(UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace="tslake-test",
        MetricName="m",
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    assert [point["Sum"] for point in stats["Datapoints"]] == [2.0]

    dynamodb = endpoint.client("dynamodb")
    dynamodb.create_table(
        TableName="tslake-test-leases",
        KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"leaseKey": {"S": "shard-0"}, "leaseCounter": {"N": "1"}}
    dynamodb.put_item(TableName="tslake-test-leases", Item=item, ConditionExpression="attribute_not_exists(leaseKey)")
    with pytest.raises(ClientError) as taken:
        dynamodb.put_item(
            TableName="tslake-test-leases", Item=item, ConditionExpression="attribute_not_exists(leaseKey)"
        )
    assert taken.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert endpoint.client("sts").get_caller_identity()["Account"]


def test_provision_is_idempotent(endpoint: EndpointProcess) -> None:
    env = {**os.environ, **endpoint.env()}
    second = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "local", "provision"], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    lines = [line for line in second.stdout.splitlines() if line.strip()]
    assert lines and all(not line.endswith("created") for line in lines), second.stdout
    assert any(line.endswith("already present") for line in lines)
    kinesis = endpoint.client("kinesis")
    expected = {names.INPUT_STREAM: names.INPUT_STREAM_SHARDS, names.CEP_STREAM: names.CEP_STREAM_SHARDS}
    for stream, shards in expected.items():
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        assert summary["StreamStatus"] == "ACTIVE"
        assert summary["OpenShardCount"] == shards
    endpoint.client("s3").head_bucket(Bucket=names.LAKE_BUCKET)
    timestream = endpoint.client("timestream-write")
    for table, hours, days in (
        (names.RAW_TABLE, names.RAW_TABLE_MEMORY_HOURS, names.RAW_TABLE_MAGNETIC_DAYS),
        (names.CEP_TABLE, names.CEP_TABLE_MEMORY_HOURS, names.CEP_TABLE_MAGNETIC_DAYS),
    ):
        described = timestream.describe_table(DatabaseName=names.TIMESTREAM_DATABASE, TableName=table)["Table"]
        assert described["RetentionProperties"] == {
            "MemoryStoreRetentionPeriodInHours": hours,
            "MagneticStoreRetentionPeriodInDays": days,
        }


def _signed_kinesis_request(endpoint: EndpointProcess, action: str, payload: dict[str, object]) -> httpx.Request:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    env = endpoint.env()
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{action}"}
    aws_request = AWSRequest(method="POST", url=endpoint.url + "/", data=body, headers=headers)
    credentials = Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    SigV4Auth(credentials, "kinesis", env["AWS_REGION"]).add_auth(aws_request)
    return httpx.Request("POST", endpoint.url + "/", content=body, headers=dict(aws_request.headers.items()))
