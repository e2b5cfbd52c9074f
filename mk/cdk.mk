# The AWS CDK app in infra/: aws-cdk-lib (~480 MB) in its own venv with tslake itself (--no-deps: the app
# only imports tslake.names), and the CDK CLI from npm in infra/node_modules (version pinned in
# infra/package.json). `make test` builds both, because tests/deploy/test_infra.py runs a real `cdk synth`.
CDK_VENV := .venv-cdk

$(CDK_VENV)/.installed: requirements/cdk.txt pyproject.toml infra/package.json
	@test -x $(CDK_VENV)/bin/python || $(PY) -m venv $(CDK_VENV)
	$(CDK_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(CDK_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/cdk.txt
	$(CDK_VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: cdk-venv cdk-synth
cdk-venv: $(CDK_VENV)/.installed

# Synthesize every stack into infra/cdk.out (offline; CDK_ARGS='-c lakeBucket=... -c eksOidcProviderArn=...').
CDK_ARGS ?=
cdk-synth: $(CDK_VENV)/.installed
	cd infra && CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 \
	  node_modules/.bin/cdk synth -q $(CDK_ARGS)

TOOL_VENVS += $(CDK_VENV)/.installed

# ruff and mypy over the CDK app (mypy reads aws-cdk-lib's types from .venv-cdk; ~3 min).
.PHONY: cdk-lint
cdk-lint: $(CDK_VENV)/.installed $(STAMP)
	$(BIN)/ruff check infra
	$(BIN)/ruff format --check infra
	$(BIN)/mypy --python-executable $(CDK_VENV)/bin/python infra/app.py infra/tslake_infra
