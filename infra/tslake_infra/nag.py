"""cdk-nag (AwsSolutionsChecks) acknowledgements, one finding at a time, each with its reason.

cdk-nag 3 reports IAM wildcards one finding per action or resource (`AwsSolutions-IAM5[Resource::...]`)
and has no prefix matching, so `acknowledge_wildcards` computes a policy's findings the way cdk-nag
does (tokens flattened to `<Ref>` / `<LogicalId.Attr>`) and acknowledges exactly those: a wildcard added
later without a reason still fails synth.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason))


def flatten(reference: Any) -> str:
    if isinstance(reference, str):
        return reference
    if isinstance(reference, dict):
        if "Ref" in reference:
            return f"<{reference['Ref']}>"
        if "Fn::GetAtt" in reference:
            return f"<{'.'.join(reference['Fn::GetAtt'])}>"
        if "Fn::Join" in reference:
            delimiter, values = reference["Fn::Join"]
            return str(delimiter).join(flatten(value) for value in values)
        if "Fn::Sub" in reference:
            template = reference["Fn::Sub"]
            text = template if isinstance(template, str) else template[0]
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", text)
    return str(reference)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _get(mapping: dict[str, Any], key: str) -> Any:
    """Resolved L1 properties come back camelCase or PascalCase depending on the path."""
    return mapping.get(key, mapping.get(key[0].upper() + key[1:]))


def _documents(resource: CfnResource) -> list[dict[str, Any]]:
    stack = Stack.of(resource)
    if isinstance(resource, iam.CfnRole):
        return [
            stack.resolve(_get(stack.resolve(p), "policyDocument")) for p in _items(stack.resolve(resource.policies))
        ]
    if isinstance(resource, iam.CfnPolicy):
        return [stack.resolve(resource.policy_document)]
    return []


def wildcard_findings(resource: CfnResource) -> set[str]:
    findings: set[str] = set()
    for document in _documents(resource):
        for statement in _items(_get(document, "statement")):
            for action in _items(_get(statement, "action")):
                if "*" in flatten(action):
                    findings.add(f"Action::{flatten(action)}")
            for target in _items(_get(statement, "resource")):
                if "*" in flatten(target):
                    findings.add(f"Resource::{flatten(target)}")
    return findings


def acknowledge_wildcards(scope: IConstruct, reason: str) -> None:
    """Acknowledge every IAM5 finding of the roles and policies under `scope`, as they are now."""
    for construct in scope.node.find_all():
        if isinstance(construct, CfnResource):
            for finding in sorted(wildcard_findings(construct)):
                acknowledge(construct, f"IAM5[{finding}]", reason)
