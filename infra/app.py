#!/usr/bin/env python3
"""The tslake CDK app: `npx cdk synth` / `npx cdk deploy TslakeData TslakeAccess [TslakeOrchestration]`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tslake_infra.config import InfraConfig
from tslake_infra.stacks import AccessStack, DataStack, OrchestrationStack


def main() -> None:
    app = cdk.App()
    config = InfraConfig.from_context(app.node)
    # Environment-agnostic unless the CLI knows the account (cdk deploy with credentials).
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    data = DataStack(app, "TslakeData", config=config, env=env, description="tslake: streams, store, lake (retained)")
    access = AccessStack(app, "TslakeAccess", config=config, env=env, description="tslake: service roles, images")
    orchestration = OrchestrationStack(
        app, "TslakeOrchestration", config=config, env=env, description="tslake: MWAA exporter DAGs"
    )
    # Deploy order only; no CloudFormation exports couple the stacks (ARNs come from tslake.names).
    access.add_stack_dependency(data)
    orchestration.add_stack_dependency(data)
    cdk.Tags.of(app).add("project", "tslake")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    app.synth()


if __name__ == "__main__":
    main()
