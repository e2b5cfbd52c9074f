-- The CEP stream in the seed's `cep_data` layout, partition key sensor_id.
-- Parameters (string.Template): $${cep_stream_arn}, $${region}.
CREATE TABLE cep_data (
    sensor_id STRING,
    event_time BIGINT,
    non_errors BIGINT,
    history STRING,
    min_temperature DOUBLE,
    avg_temperature DOUBLE,
    max_temperature DOUBLE,
    elapsed BIGINT
)
PARTITIONED BY (sensor_id)
WITH (
    'connector' = 'kinesis',
    'stream.arn' = '${cep_stream_arn}',
    'aws.region' = '${region}',
    'format' = 'json'
)
