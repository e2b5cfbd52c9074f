-- Input stream as an event-time table. Parameters (string.Template): $${input_stream_arn}, $${region},
-- $${lateness} as 'D HH:MM:SS.mmm' (bounded out-of-orderness, the same meaning as TSLAKE_ALLOWED_LATENESS_MS).
-- Uses flink-connector-aws-kinesis-streams (connector 'kinesis', Flink 1.19+/2.x option names).
CREATE TABLE sensor_data (
    sensor_id STRING,
    temperature DOUBLE,
    status STRING,
    event_time BIGINT,
    ts AS TO_TIMESTAMP_LTZ(event_time, 3),
    WATERMARK FOR ts AS ts - INTERVAL '${lateness}' DAY TO SECOND(3)
)
PARTITIONED BY (sensor_id)
WITH (
    'connector' = 'kinesis',
    'stream.arn' = '${input_stream_arn}',
    'aws.region' = '${region}',
    'source.init.position' = 'LATEST',
    'format' = 'json',
    'json.ignore-parse-errors' = 'true'
)
