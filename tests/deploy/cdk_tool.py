"""Runs in `.venv-cdk` (aws-cdk-lib), not in pytest: builds the access stack in-process for the context cases the
CLI synth in test_infra.py does not cover, and prints one JSON answer:
  {"ecs_trust": [principal and condition of every role], "errors": {context case: ConfigError message}}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))

from tslake_infra.config import ConfigError, InfraConfig
from tslake_infra.stacks import AccessStack

BAD_CONTEXT = {
    "oidc": {"eksOidcProviderArn": "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
    "retention": {"streamRetentionHours": "12"},
    "days": {"deadLetterExpirationDays": "ninety"},
}


def main() -> int:
    app = cdk.App(context={"k8sNamespace": "ignored-without-oidc"})
    stack = AccessStack(app, "Access", config=InfraConfig.from_context(app.node))
    roles = Template.from_stack(stack).find_resources("AWS::IAM::Role")
    trust = [
        {"principal": statement["Principal"], "condition": statement.get("Condition", {})}
        for role in roles.values()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    ]
    errors: dict[str, str] = {}
    for case, context in BAD_CONTEXT.items():
        try:
            InfraConfig.from_context(cdk.App(context=context).node)
        except ConfigError as exc:
            errors[case] = str(exc)
    json.dump({"ecs_trust": trust, "errors": errors}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
