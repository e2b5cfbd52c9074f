"""The KCL consumer layer shared by raw-ingest, cep-ingest and cep.

A service provides a `HandlerFactory` (one `RecordHandler` per shard lease) and calls
`run_consumer(settings, factory, shutdown)`. `BatchProcessor` is the real `amazon_kclpy` v3 record
processor; the Java MultiLangDaemon (production) and the Python driver (local) both drive it.

Container image: install the official `amazon-kclpy` (its jars are fetched at image build) and start the
service under tini (or `exec`) so SIGTERM reaches the process that supervises the JVM; set the pod's
terminationGracePeriodSeconds above `TSLAKE_SHUTDOWN_GRACE_MILLIS`.
"""

from tslake.consumer.run import is_kcl_child

if is_kcl_child():
    # Before anything else can print: stdout belongs to the MultiLangDaemon protocol.
    from tslake.consumer.kcl.child import claim_stdout

    claim_stdout()

from tslake.consumer.processor import BatchAbandonedError, BatchProcessor
from tslake.consumer.records import HandlerFactory, RecordHandler, ShardContext, SourceRecord
from tslake.consumer.run import run_consumer

__all__ = [
    "BatchAbandonedError",
    "BatchProcessor",
    "HandlerFactory",
    "RecordHandler",
    "ShardContext",
    "SourceRecord",
    "is_kcl_child",
    "run_consumer",
]
