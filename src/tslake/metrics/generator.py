from prometheus_client import Counter, Histogram

RECORDS_SENT = Counter("tslake_generator_records_sent", "Records accepted by Kinesis")
RECORDS_FAILED = Counter("tslake_generator_records_failed", "Records given up on after every retry")
RECORDS_RETRIED = Counter("tslake_generator_records_retried", "Records resent after a partial failure")
RECORDS_THROTTLED = Counter("tslake_generator_records_throttled", "Record attempts refused for throughput")
BATCH_SECONDS = Histogram(
    "tslake_generator_put_records_seconds",
    "PutRecords call latency",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BATCH_RECORDS = Histogram(
    "tslake_generator_put_records_batch_size", "Records per PutRecords call", buckets=(1, 10, 50, 100, 250, 500)
)
