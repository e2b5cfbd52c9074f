-- A JSON-lines file of sensor readings as a bounded event-time table, for run_local.py.
-- Parameters (string.Template): $${path}, $${lateness} (D HH:MM:SS.mmm). At the end of a bounded input the
-- watermark jumps to +inf, so with a lateness wider than the file's disorder no row is late and the
-- CEP operator sees every sensor in event-time order (ties in file order).
CREATE TABLE sensor_data (
    sensor_id STRING,
    temperature DOUBLE,
    status STRING,
    event_time BIGINT,
    ts AS TO_TIMESTAMP_LTZ(event_time, 3),
    WATERMARK FOR ts AS ts - INTERVAL '${lateness}' DAY TO SECOND(3)
)
WITH (
    'connector' = 'filesystem',
    'path' = '${path}',
    'format' = 'json',
    'json.ignore-parse-errors' = 'true'
)
