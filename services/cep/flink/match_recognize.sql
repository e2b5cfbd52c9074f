-- The seed's complex event, verbatim in meaning: per sensor, an ERROR, then 1 to 5 non-ERROR readings,
-- then an ERROR, all within one minute. Shared by the Kinesis job, the Studio notebook and the local
-- PyFlink run (run_local.py), so the differential test checks the very text we deploy.
-- `ts` is the event-time attribute declared by the source DDL (the seed ordered by proctime).
SELECT sensor_id, event_time, non_errors, history, min_temperature, avg_temperature, max_temperature, elapsed
FROM sensor_data
MATCH_RECOGNIZE (
    PARTITION BY sensor_id
    ORDER BY ts
    MEASURES
        A.event_time AS event_time,
        COUNT(*) - 2 AS non_errors,
        CONCAT_WS('-', FIRST(B.status, 0), FIRST(B.status, 1), FIRST(B.status, 2),
                       FIRST(B.status, 3), FIRST(B.status, 4)) AS history,
        MIN(temperature) AS min_temperature,
        ROUND(AVG(temperature), 2) AS avg_temperature,
        MAX(temperature) AS max_temperature,
        CAST(ROUND((C.event_time - A.event_time) / 1000) AS BIGINT) AS elapsed
    ONE ROW PER MATCH
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (A B{1,5} C) WITHIN INTERVAL '1' MINUTE
    DEFINE
        A AS A.status = 'ERROR',
        B AS B.status <> 'ERROR',
        C AS C.status = 'ERROR'
)
