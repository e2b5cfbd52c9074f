-- Matches as JSON files in a directory, for run_local.py. Parameter (string.Template): $${path}.
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
WITH (
    'connector' = 'filesystem',
    'path' = '${path}',
    'format' = 'json'
)
