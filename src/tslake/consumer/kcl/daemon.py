"""Supervise the Java MultiLangDaemon: generate its `.properties`, start the JVM, forward SIGTERM, serve metrics.

The service process stays the parent of the JVM (so under tini or `exec` SIGTERM reaches us and we pass it
on); the JVM starts one child per shard lease that re-runs this service's command line with
`TSLAKE_KCL_CHILD=1`. Processors in those children write their Prometheus metrics to a shared
multiprocess directory, which this process serves.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from tslake.consumer.kcl.properties import render_properties
from tslake.consumer.run import KCL_CHILD_ENV
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging
from tslake.metrics.consumer import LAST_SUCCESS, SecondsSinceLastBatch
from tslake.settings.consumer import ConsumerSettings

EXIT_NO_DAEMON = 2
MAIN_CLASS = "software.amazon.kinesis.multilang.MultiLangDaemon"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PR_SET_PDEATHSIG = 1

_LOGBACK = """<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d [%thread] %-5level %logger{36} [%mdc{ShardId:-NONE}] - %msg %n</pattern></encoder>
  </appender>
  <logger name="software.amazon.kinesis.multilang.DrainChildSTDERRTask" level="INFO"/>
  <root level="{level}"><appender-ref ref="STDERR"/></root>
</configuration>
"""


class KclJarsNotFoundError(FileNotFoundError):
    """No MultiLangDaemon jars: install `amazon-kclpy` (images) or requirements/kcl-test.txt (tests)."""


def jars_dir(settings: ConsumerSettings) -> Path:
    if settings.kcl_jars_dir:
        path = Path(settings.kcl_jars_dir)
    else:
        try:
            import amazon_kclpy
        except ImportError as exc:
            raise KclJarsNotFoundError("amazon_kclpy is not installed; `make venv` installs it") from exc
        path = Path(amazon_kclpy.__file__).parent / "jars"
    if not any(path.glob("amazon-kinesis-client-multilang-*.jar")):
        raise KclJarsNotFoundError(f"no amazon-kinesis-client-multilang jar in {path} (TSLAKE_KCL_JARS_DIR)")
    return path


def child_command(argv: Sequence[str] | None = None) -> list[str]:
    """This process's own command line, re-run by the daemon for each shard (`-m module` when run so)."""
    args = list(sys.argv if argv is None else argv)
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        module = spec.name.removesuffix(".__main__")
        return [sys.executable, "-m", module, *args[1:]]
    return [sys.executable, *args]


def java_command(settings: ConsumerSettings, properties: Path, logback: Path) -> list[str]:
    return [
        settings.java_binary,
        f"-Xmx{settings.java_heap}",
        # The local endpoint does not speak CBOR; on AWS JSON works the same.
        "-Daws.cborEnabled=false",
        f"-Dlogback.configurationFile={logback}",
        "-cp",
        str(jars_dir(settings) / "*"),
        MAIN_CLASS,
        "--properties-file",
        str(properties),
    ]


def _die_with_parent() -> None:
    """If this supervisor is killed (-9), the JVM must not linger holding leases."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def has_children(pid: int) -> bool:
    """Whether the JVM runs any record-processor child, i.e. holds at least one lease."""
    try:
        return any(task.joinpath("children").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return True  # unknown: report the real figure


def _serve_metrics(settings: ConsumerSettings, multiproc_dir: str, jvm_pid: int) -> None:
    registry = CollectorRegistry()
    collector = MultiProcessCollector(registry, path=multiproc_dir)

    def last_success() -> float | None:
        if not has_children(jvm_pid):
            return time.time()  # no lease held (a standby worker, or still starting): healthy
        values = [
            sample.value
            for family in collector.collect()
            if family.name == LAST_SUCCESS._name
            for sample in family.samples
        ]
        return max(values) if values else None

    registry.register(SecondsSinceLastBatch(settings.application_name, last_success))
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry)


def run_daemon(settings: ConsumerSettings, shutdown: Shutdown, environ: Mapping[str, str] | None = None) -> int:
    log = configure_logging(settings.log_level, service=settings.application_name)
    env = dict(os.environ if environ is None else environ)
    workdir = Path(tempfile.mkdtemp(prefix=f"{settings.application_name}-kcl-"))
    multiproc = workdir / "metrics"
    multiproc.mkdir()
    env[KCL_CHILD_ENV] = "1"
    env[MULTIPROC_ENV] = str(multiproc)
    properties = Path(settings.kcl_properties_path or workdir / "kcl.properties")
    properties.write_text(render_properties(settings, child_command(), env))
    logback = workdir / "logback.xml"
    logback.write_text(_LOGBACK.replace("{level}", settings.kcl_log_level))
    try:
        command = java_command(settings, properties, logback)
        log.info("kcl_daemon_starting", properties=str(properties), worker_id=settings.worker_id)
        jvm = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=2, preexec_fn=_die_with_parent)
    except (KclJarsNotFoundError, FileNotFoundError, PermissionError) as exc:
        # No jars or no java (TSLAKE_JAVA_BINARY): a start-up error that names what to fix.
        log.error("kcl_daemon_unavailable", error=str(exc), java_binary=settings.java_binary)
        shutil.rmtree(workdir, ignore_errors=True)
        return EXIT_NO_DAEMON
    _serve_metrics(settings, str(multiproc), jvm.pid)
    log.info("kcl_daemon_started", pid=jvm.pid)
    while jvm.poll() is None:
        if shutdown.wait(0.5):
            break
    if jvm.poll() is None:
        # The daemon's shutdown hook sends shutdownRequested to every processor (which checkpoints) and
        # waits up to shutdownGraceMillis; give it that, plus a little, before killing it.
        jvm.send_signal(signal.SIGTERM)
        grace = settings.shutdown_grace_millis / 1000 + 5
        try:
            jvm.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.error("kcl_daemon_killed", grace_seconds=grace)
            jvm.kill()
            jvm.wait()
    code = jvm.returncode
    shutil.rmtree(workdir, ignore_errors=True)
    log.info("kcl_daemon_exited", returncode=code, shutdown=shutdown.requested)
    if shutdown.requested:
        return 0 if code in (0, 130, 143, -signal.SIGTERM) else code
    return code if code != 0 else 1  # the daemon should never stop by itself
