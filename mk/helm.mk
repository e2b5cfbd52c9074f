# Helm chart tooling (~250 MB) in its own venv: the Helm v4 SDK through ctypes (no helm binary) and the
# offline Kubernetes schemas. `make test` builds it first, because tests/deploy/ renders charts/tslake.
HELM_VENV := .venv-helm

$(HELM_VENV)/.installed: requirements/helm.txt
	@test -x $(HELM_VENV)/bin/python || $(PY) -m venv $(HELM_VENV)
	$(HELM_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(HELM_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/helm.txt
	@touch $@

.PHONY: helm-venv helm-render helm-lint
# The chart's Python (the liveness probe script) is linted like the rest of the code; the chart by tests/deploy.
helm-lint: $(STAMP)
	$(BIN)/ruff check charts/tslake/files
	$(BIN)/ruff format --check charts/tslake/files
	$(BIN)/mypy charts/tslake/files/consumer_liveness.py

helm-venv: $(HELM_VENV)/.installed

# Render the chart with its defaults (plus HELM_VALUES='{"json": "overrides"}'), validated, to stdout.
HELM_VALUES ?= {}
helm-render: $(HELM_VENV)/.installed
	@echo '{"chart": "charts/tslake", "cases": {"render": $(HELM_VALUES)}}' \
	  | $(HELM_VENV)/bin/python tests/deploy/helm_tool.py \
	  | $(HELM_VENV)/bin/python -c 'import json,sys; c=json.load(sys.stdin)["cases"]["render"]; \
	    print(c.get("error") or "\n---\n".join(c["manifests"][k] for k in sorted(c["manifests"]) if k.endswith(".yaml"))); \
	    [print("INVALID:", p, file=sys.stderr) for p in c.get("validation", [])]'

# checkov (~290 MB, its own venv): a security scan of the rendered manifests (tests/deploy/test_checkov.py).
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

$(CHECKOV_VENV)/.installed: mk/helm.mk
	@test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

TOOL_VENVS += $(HELM_VENV)/.installed $(CHECKOV_VENV)/.installed
