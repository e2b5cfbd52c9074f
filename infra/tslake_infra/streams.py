"""The two Kinesis streams: readings in (`tslake-input`) and CEP matches (`tslake-cep`)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from tslake import names


class Streams(Construct):
    """Provisioned streams sized by `tslake.names` (1 MB/s or 1,000 records/s of writes per shard)."""

    def __init__(self, scope: Construct, construct_id: str, *, retention_hours: int) -> None:
        super().__init__(scope, construct_id)
        self.input = self._stream("Input", names.INPUT_STREAM, names.INPUT_STREAM_SHARDS, retention_hours)
        self.cep = self._stream("Cep", names.CEP_STREAM, names.CEP_STREAM_SHARDS, retention_hours)

    def _stream(self, construct_id: str, name: str, shards: int, retention_hours: int) -> kinesis.Stream:
        return kinesis.Stream(
            self,
            construct_id,
            stream_name=name,
            stream_mode=kinesis.StreamMode.PROVISIONED,
            shard_count=shards,
            retention_period=Duration.hours(retention_hours),
            encryption=kinesis.StreamEncryption.MANAGED,
            # Unread records are data: a stack deletion must not drop them.
            removal_policy=RemovalPolicy.RETAIN,
        )


def _stream_arn(scope: Construct, name: str) -> str:
    return Stack.of(scope).format_arn(service="kinesis", resource="stream", resource_name=name)


def put_statements(scope: Construct, stream: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            actions=["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards"],
            resources=[_stream_arn(scope, stream)],
        )
    ]


def read_statements(scope: Construct, stream: str) -> list[iam.PolicyStatement]:
    """What a KCL worker needs to poll a stream (retrievalMode POLLING)."""
    return [
        iam.PolicyStatement(
            actions=[
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
            ],
            resources=[_stream_arn(scope, stream)],
        )
    ]
