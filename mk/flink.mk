# PyFlink (~850 MB) lives in its own venv so the main venv stays light. `make test` builds it first,
# because tests/cep/test_differential.py compares `tslake cep replay` with Flink's MATCH_RECOGNIZE.
FLINK_VENV := .venv-flink

$(FLINK_VENV)/.installed: requirements/flink.txt
	@test -x $(FLINK_VENV)/bin/python || $(PY) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(FLINK_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/flink.txt
	@touch $@

.PHONY: flink-venv
flink-venv: $(FLINK_VENV)/.installed

TOOL_VENVS += $(FLINK_VENV)/.installed
