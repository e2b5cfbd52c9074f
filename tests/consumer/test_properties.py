"""The generated MultiLangDaemon `.properties` and the consumer settings: pure functions, no endpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tslake.consumer.kcl.daemon import child_command, java_command
from tslake.consumer.kcl.properties import ChildCommandError, render_properties
from tslake.settings.base import SettingsError, parse_settings
from tslake.settings.consumer import ConsumerSettings

CHILD = ["/opt/tslake/bin/python", "-m", "tslake.cli", "raw-ingest"]


def settings(**overrides: object) -> ConsumerSettings:
    base: dict[str, object] = {"stream": "tslake-input", "application_name": "tslake-raw-ingest"}
    return ConsumerSettings.model_validate({**base, **overrides})


def parse(text: str) -> dict[str, str]:
    pairs = [line.split(" = ", 1) for line in text.splitlines() if line and not line.startswith("#")]
    return {key: value.replace("\\:", ":").replace("\\=", "=") for key, value in pairs}


def test_properties_carry_the_settings_and_no_endpoint_on_aws() -> None:
    props = parse(
        render_properties(
            settings(
                retrieval_mode="FANOUT",
                shutdown_grace_millis=20000,
                metrics_level="SUMMARY",
                failover_time_millis=5000,
                initial_position="LATEST",
                region="eu-west-1",
                worker_id="pod-1",
            ),
            CHILD,
            environ={},
        )
    )
    assert props["executableName"] == " ".join(CHILD)
    assert props["streamName"] == "tslake-input"
    assert props["applicationName"] == "tslake-raw-ingest"
    assert props["regionName"] == "eu-west-1"
    assert props["workerId"] == "pod-1"
    assert props["retrievalMode"] == "FANOUT"
    assert props["initialPositionInStream"] == "LATEST"
    assert props["shutdownGraceMillis"] == "20000"
    assert props["failoverTimeMillis"] == "5000"
    assert props["metricsLevel"] == "SUMMARY"
    assert props["callProcessRecordsEvenForEmptyRecordList"] == "true"
    assert not {"kinesisEndpoint", "dynamoDBEndpoint", "cloudWatchClient.endpointOverride"} & set(props)


def test_endpoints_come_from_the_standard_aws_variables_service_specific_first() -> None:
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}
    props = parse(render_properties(settings(), CHILD, environ))
    assert props["kinesisEndpoint"] == "http://127.0.0.1:4566"
    assert props["dynamoDBEndpoint"] == "http://127.0.0.1:8000"
    assert props["cloudWatchClient.endpointOverride"] == "http://127.0.0.1:4566"
    only_kinesis = parse(render_properties(settings(), CHILD, {"AWS_ENDPOINT_URL_KINESIS": "http://k:1"}))
    assert only_kinesis["kinesisEndpoint"] == "http://k:1"
    assert "dynamoDBEndpoint" not in only_kinesis


def test_a_child_argument_with_a_space_is_refused() -> None:
    # The daemon splits executableName on spaces; quoting would be passed through literally.
    with pytest.raises(ChildCommandError, match="splits on spaces"):
        render_properties(settings(), ["/opt/my venv/bin/python", "-m", "x"], {})


def test_child_command_reruns_this_module_with_the_same_arguments() -> None:
    command = child_command(["ignored-argv0", "raw-ingest", "--flag"])
    assert command[0] == sys.executable
    assert command[-2:] == ["raw-ingest", "--flag"]


def test_java_command_sets_heap_cbor_and_main_class() -> None:
    command = java_command(settings(java_heap="300m"), Path("/x/kcl.properties"), Path("/x/logback.xml"))
    assert "-Xmx300m" in command and "-Daws.cborEnabled=false" in command
    assert command[-3:] == [
        "software.amazon.kinesis.multilang.MultiLangDaemon",
        "--properties-file",
        "/x/kcl.properties",
    ]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TSLAKE_CONSUMER_DRIVER": "java"}, "TSLAKE_CONSUMER_DRIVER"),
        ({"TSLAKE_RETRIEVAL_MODE": "PUSH"}, "TSLAKE_RETRIEVAL_MODE"),
        ({"TSLAKE_SHUTDOWN_GRACE_MILLIS": "10"}, "TSLAKE_SHUTDOWN_GRACE_MILLIS"),
        ({"TSLAKE_JAVA_HEAP": "lots"}, "TSLAKE_JAVA_HEAP"),
        (
            {"TSLAKE_RETRY_INITIAL_BACKOFF_MILLIS": "500", "TSLAKE_RETRY_MAX_BACKOFF_MILLIS": "100"},
            "TSLAKE_RETRY_MAX_BACKOFF_MILLIS",
        ),
        ({"TSLAKE_STREAM": ""}, "TSLAKE_STREAM"),
    ],
)
def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str) -> None:
    monkeypatch.setenv("TSLAKE_STREAM", "s")
    monkeypatch.setenv("TSLAKE_APPLICATION_NAME", "a")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        parse_settings(ConsumerSettings)
    assert error.value.variable == variable


def test_a_missing_stream_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TSLAKE_STREAM", raising=False)
    monkeypatch.setenv("TSLAKE_APPLICATION_NAME", "a")
    with pytest.raises(SettingsError) as error:
        parse_settings(ConsumerSettings)
    assert error.value.variable == "TSLAKE_STREAM"


def test_a_missing_java_stops_start_up_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from tslake.consumer.kcl.daemon import EXIT_NO_DAEMON, run_daemon
    from tslake.lifecycle import Shutdown

    code = run_daemon(settings(java_binary="/nonexistent/java", metrics_port=0), Shutdown(), environ={})
    assert code == EXIT_NO_DAEMON
    err = capfd.readouterr().err
    assert "kcl_daemon_unavailable" in err and "/nonexistent/java" in err
