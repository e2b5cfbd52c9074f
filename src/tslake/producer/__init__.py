"""Putting records on a Kinesis stream: batching, partial-failure retry, backoff with jitter."""

from tslake.producer.kinesis import KinesisProducer, ProducerError, PutResult

__all__ = ["KinesisProducer", "ProducerError", "PutResult"]
