"""Timestream SQL -> DuckDB SQL, unit level (no endpoint needed)."""

from __future__ import annotations

import pytest

from tslake.timestream.dialect import UnsupportedSqlError, translate
from tslake.timestream.errors import ValidationError


def test_duration_literals_become_nanoseconds_but_not_inside_strings() -> None:
    sql = translate("SELECT '15m' AS s, bin(time, 30s) AS b FROM db.t WHERE time > ago(15m)", "cat")
    assert "'15m'" in sql
    assert "__TS_BIN(time, 30000000000)" in sql
    assert "__TS_AGO(900000000000)" in sql


@pytest.mark.parametrize(
    ("literal", "ns"),
    [
        ("1ns", 1),
        ("2us", 2000),
        ("3ms", 3_000_000),
        ("1h", 3_600_000_000_000),
        ("1d", 86_400_000_000_000),
        ("1.5h", 5_400_000_000_000),
    ],
)
def test_every_duration_unit(literal: str, ns: int) -> None:
    assert f"__TS_AGO({ns})" in translate(f"SELECT ago({literal})", "cat")


def test_measure_value_casts_are_columns_and_tables_are_qualified() -> None:
    sql = translate(
        "SELECT r.measure_value::double, measure_value::varchar, CAST(measure_value::bigint AS double) "
        'FROM "my-db"."raw.table" AS r',
        "cat",
    )
    assert 'r."measure_value::double"' in sql
    assert '"measure_value::varchar"' in sql
    assert 'CAST("measure_value::bigint" AS DOUBLE)' in sql
    assert '"cat"."my-db"."raw.table"' in sql


def test_unnest_joins_become_row_id_equi_joins() -> None:
    sql = translate("SELECT t.time, t.v FROM x AS p CROSS JOIN UNNEST(p.series) AS t (time, v)", "cat")
    assert "__tslake_src0 AS MATERIALIZED (SELECT *, ROW_NUMBER() OVER () AS __tslake_rid FROM x AS p)" in sql
    assert (
        "FROM __tslake_src0 AS p JOIN (SELECT p.__tslake_rid, UNNEST(p.series, recursive := TRUE) "
        "FROM __tslake_src0 AS p) AS t(__tslake_rid, time, v) ON t.__tslake_rid = p.__tslake_rid"
    ) in sql


def test_other_unnest_shapes_stay_lateral() -> None:
    sql = translate("SELECT * FROM x AS p CROSS JOIN UNNEST(p.series) AS t (time, v)", "cat")
    assert "CROSS JOIN LATERAL (SELECT UNNEST(p.series, recursive := TRUE)) AS t(time, v)" in sql


def test_unaliased_columns_are_named_like_presto() -> None:
    assert translate("SELECT count(*), sensor_id, 1 + 1 FROM db.t", "cat").startswith(
        "SELECT COUNT(*) AS _col0, sensor_id, 1 + 1 AS _col2"
    )


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT INTERPOLATE_SPLINE_CUBIC(ts, pts) FROM x", "interpolate_spline_cubic"),
        ("SELECT my_udf(1)", "my_udf"),
        ("SELECT * FROM UNNEST(ARRAY[1]) WITH ORDINALITY", "WITH ORDINALITY"),
        ("SELECT * FROM x MATCH_RECOGNIZE (PATTERN (A) DEFINE A AS true)", "MATCH_RECOGNIZE"),
        ("SELECT reduce(ARRAY[1, 2], 0, (s, x) -> s + x, s -> s * 2)", "reduce"),
        ("SELECT any_match(ARRAY[1, 2], x -> x > 1)", "any_match"),
        ("DELETE FROM db.t", "DELETE"),
        ("SELECT measure_value::date FROM db.t", "measure_value::date"),
    ],
)
def test_unsupported_constructs_are_named(sql: str, named: str) -> None:
    with pytest.raises(UnsupportedSqlError) as info:
        translate(sql, "cat")
    assert named in info.value.message
    assert info.value.code == "ValidationException"


def test_syntax_errors_are_validation_errors() -> None:
    with pytest.raises(ValidationError):
        translate("SELEC 1", "cat")
    with pytest.raises(ValidationError):
        translate("SELECT 1; SELECT 2", "cat")
