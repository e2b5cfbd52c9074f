"""Stacks split by lifecycle: what holds data (retained, rarely changed), who may access it (changed with
the services), and the scheduler (replaceable). Deploy them independently: `cdk deploy TslakeData`, ...
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from tslake import names
from tslake_infra.access import ImageRepositories, ServiceRoles
from tslake_infra.config import SERVICES, InfraConfig
from tslake_infra.consumer_state import CepStateTable
from tslake_infra.lake import DataLake
from tslake_infra.orchestration import Orchestration
from tslake_infra.streams import Streams
from tslake_infra.timeseries import TimeSeriesStore


class DataStack(Stack):
    """Streams, the time-series store, the lake bucket and the CEP state table: every resource RETAINed."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=True, **kwargs)
        self.streams = Streams(self, "Streams", retention_hours=config.stream_retention_hours)
        self.store = TimeSeriesStore(self, "TimeSeries")
        self.lake = DataLake(
            self, "Lake", bucket_name=config.lake_bucket, dead_letter_days=config.dead_letter_expiration_days
        )
        self.cep_state = CepStateTable(self, "CepState")
        CfnOutput(self, "LakeBucketName", value=self.lake.bucket.bucket_name)
        CfnOutput(self, "InputStreamName", value=names.INPUT_STREAM)


class AccessStack(Stack):
    """ECR repositories and one IAM role per service (outputs: `<Service>RoleArn` for the chart)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.repositories = ImageRepositories(self, "Images")
        self.roles = ServiceRoles(self, "Roles", config=config, services=SERVICES)


class OrchestrationStack(Stack):
    """MWAA running the exporter DAGs (an alternative to the chart's exporter CronJob)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.orchestration = Orchestration(self, "Mwaa", config=config)
