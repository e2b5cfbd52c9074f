"""The tslake CDK v2 app: one construct per concern, stacks split by lifecycle (see infra/README.md)."""
