"""`run_consumer`: the one entry point a consumer service calls; it picks the driver from settings.

- `TSLAKE_CONSUMER_DRIVER=kcl` (production): write the `.properties` file and supervise the Java
  MultiLangDaemon. The daemon starts one child per shard lease running this same command line with
  `TSLAKE_KCL_CHILD=1` in its environment; in that child `run_consumer` speaks the MultiLangDaemon
  protocol on stdin/stdout instead (`tslake.consumer.kcl.child`).
- `TSLAKE_CONSUMER_DRIVER=python` (`make run`, no Java): the Python driver in `tslake.consumer.local`.

`run_consumer` also serves the Prometheus metrics on `metrics_host:metrics_port`; services must not.
"""

from __future__ import annotations

import os

from tslake.consumer.records import HandlerFactory
from tslake.lifecycle import Shutdown
from tslake.settings.consumer import ConsumerSettings

KCL_CHILD_ENV = "TSLAKE_KCL_CHILD"


def is_kcl_child() -> bool:
    return os.environ.get(KCL_CHILD_ENV) == "1"


def run_consumer(settings: ConsumerSettings, handler_factory: HandlerFactory, shutdown: Shutdown) -> int:
    """Run until `shutdown` is requested (or the daemon exits); returns the process exit code."""
    if is_kcl_child():
        from tslake.consumer.kcl.child import run_child

        return run_child(settings, handler_factory)
    if settings.consumer_driver == "kcl":
        from tslake.consumer.kcl.daemon import run_daemon

        return run_daemon(settings, shutdown)
    from tslake.consumer.local.driver import run_python_driver

    return run_python_driver(settings, handler_factory, shutdown)
