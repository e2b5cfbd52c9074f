# Airflow 3.0.6 (~400 MB) in its own venv, with tslake installed into it (editable), so that
# tests/exporter/test_dag.py can run `airflow dags test` of services/exporter/dags against the local
# endpoint. `make test` builds it first.
AIRFLOW_VENV := .venv-airflow

$(AIRFLOW_VENV)/.installed: requirements/airflow.txt pyproject.toml
	@test -x $(AIRFLOW_VENV)/bin/python || $(PY) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/airflow.txt -e .
	@touch $@

.PHONY: airflow-venv
airflow-venv: $(AIRFLOW_VENV)/.installed

TOOL_VENVS += $(AIRFLOW_VENV)/.installed
