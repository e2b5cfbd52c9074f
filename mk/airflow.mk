# Airflow 3.0.6 (~700 MB) in its own venv, with tslake installed into it (editable), so that
# tests/exporter/test_dag.py can run `airflow dags test` of services/exporter/dags against the local
# endpoint. `make test` builds it first. requirements/airflow-constraints.txt pins every other package to
# the versions tested here (Airflow's own constraints file is on GitHub, which CI cannot reach).
AIRFLOW_VENV := .venv-airflow

$(AIRFLOW_VENV)/.installed: requirements/airflow.txt requirements/airflow-constraints.txt pyproject.toml
	@test -x $(AIRFLOW_VENV)/bin/python || $(PY) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/airflow.txt \
		-c requirements/airflow-constraints.txt -e .
	@touch $@

.PHONY: airflow-venv
airflow-venv: $(AIRFLOW_VENV)/.installed

TOOL_VENVS += $(AIRFLOW_VENV)/.installed
