"""Timestream SQL -> DuckDB SQL, with sqlglot's Trino parser and AST transforms.

Only duration literals (`15m`, `1s`) are rewritten before parsing, on sqlglot's own tokens so that text
inside string literals is never touched; everything else is a transform of the parsed tree. A construct
this engine can't run faithfully raises UnsupportedSqlError naming it, rather than running something else.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from tslake.timestream.errors import ValidationError

DURATION_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}
MEASURE_VALUE_TYPES = {"double", "bigint", "varchar", "boolean", "timestamp"}
_DURATION_FN = "__TS_DURATION"

# Timestream function -> engine macro of the same arguments.
RENAMED = {
    "CREATE_TIME_SERIES": "__ts_create_time_series",
    "INTERPOLATE_LINEAR": "__ts_interpolate_linear",
    "INTERPOLATE_LOCF": "__ts_interpolate_locf",
    "INTERPOLATE_FILL": "__ts_interpolate_fill",
}
UNSUPPORTED_FUNCTIONS = {
    "INTERPOLATE_SPLINE_CUBIC",
    "DERIVATIVE_LINEAR",
    "NON_NEGATIVE_DERIVATIVE_LINEAR",
    "INTEGRAL_TRAPEZOIDAL",
    "CORRELATE_PEARSON",
    "CORRELATE_SPEARMAN",
    "CORRELATE_KENDALL",
    "DTW",
}


class UnsupportedSqlError(ValidationError):
    """A valid Timestream construct the local engine does not implement."""


def _identity(function: exp.Expr | None) -> bool:
    if function is None:
        return True
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 1:
        return False
    body = function.this
    if isinstance(body, exp.Column) and body.table:
        return False
    return isinstance(body, exp.Column | exp.Identifier) and body.name == function.expressions[0].name


def _tokens_rewrite(sql: str) -> str:
    """Turn duration literals into a marker call carrying nanoseconds: `15m` -> `__TS_DURATION(900000000000)`."""
    try:
        tokens = Trino().tokenize(sql)
    except TokenError as exc:
        raise ValidationError(f"line 1: {exc}") from None
    out: list[str] = []
    last = 0
    for number, unit in itertools.pairwise(tokens):
        if (
            number.token_type == TokenType.NUMBER
            and unit.token_type in (TokenType.VAR, TokenType.IDENTIFIER)
            and unit.start == number.end + 1
            and unit.text.lower() in DURATION_NS
            and sql[unit.start] != '"'
        ):
            ns = int(Decimal(number.text) * DURATION_NS[unit.text.lower()])
            out.append(sql[last : number.start])
            out.append(f"{_DURATION_FN}({ns})")
            last = unit.end + 1
    out.append(sql[last:])
    return "".join(out)


def _duration_ns(node: exp.Expr | None) -> exp.Expr | None:
    """Nanoseconds of a duration argument as a SQL expression (literal where possible)."""
    if node is None:
        return None
    if isinstance(node, exp.Anonymous) and node.name.upper() == _DURATION_FN:
        return node.expressions[0]
    if isinstance(node, exp.Interval):
        return exp.Anonymous(this="__ts_interval_ns", expressions=[node])
    return None


def _fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _rewrite_function(node: exp.Anonymous) -> exp.Expr:
    name = node.name.upper()
    args = node.expressions
    if name == _DURATION_FN:
        return node  # consumed by ago()/bin()/SEQUENCE, or made an INTERVAL at the end
    if name in RENAMED:
        return _fn(RENAMED[name], *args)
    if name == "AGO":
        ns = _duration_ns(args[0] if args else None)
        if ns is None:
            raise UnsupportedSqlError("ago() needs a duration argument such as 15m")
        return _fn("__ts_ago", ns)
    if name == "BIN":
        ns = _duration_ns(args[1] if len(args) == 2 else None)
        if ns is None:
            raise UnsupportedSqlError("bin() needs a timestamp and a duration such as 30s")
        return _fn("__ts_bin", args[0], ns)
    conversions: dict[str, Callable[[exp.Expr], exp.Expr]] = {
        "FROM_MILLISECONDS": lambda a: _fn(
            "make_timestamp_ns", exp.Mul(this=exp.paren(a, copy=False), expression=exp.Literal.number(1_000_000))
        ),
        "FROM_NANOSECONDS": lambda a: _fn("make_timestamp_ns", a),
        # DuckDB's epoch_ms() fails on TIMESTAMP_NS; integer division keeps it exact.
        "TO_MILLISECONDS": lambda a: exp.paren(
            exp.IntDiv(this=_fn("epoch_ns", a), expression=exp.Literal.number(1_000_000)), copy=False
        ),
        "TO_NANOSECONDS": lambda a: _fn("epoch_ns", a),
        "TO_UNIXTIME": lambda a: _fn("epoch", a),
    }
    if name in conversions and len(args) == 1:
        return conversions[name](args[0])
    raise UnsupportedSqlError(f"Function {name.lower()} is not supported by the local Timestream engine")


def _rewrite_unnest(unnest: exp.Unnest) -> exp.Expr:
    """Trino's `UNNEST(...) [WITH ORDINALITY] AS t (c1, c2)` as a DuckDB (lateral) subquery with the same
    column list. DuckDB steps several UNNESTs of one SELECT together, padding the shorter with NULLs, as
    Trino does."""
    offset = unnest.args.get("offset")  # sqlglot moves the ordinality column's name here
    ordinality = bool(offset)
    alias = unnest.args.get("alias")
    value_columns = list(alias.columns) if alias is not None else []
    if ordinality and not (isinstance(offset, exp.Identifier) and value_columns):
        raise UnsupportedSqlError("UNNEST ... WITH ORDINALITY without a column list is not supported")
    columns = [*value_columns, offset] if ordinality else value_columns
    exprs = unnest.expressions
    if len(exprs) == 1 and len(value_columns) != 1:
        # Trino expands the fields of an array of rows (a timeseries: time, value) into columns; without a
        # column list they keep their own names.
        items: list[exp.Expr] = [
            _fn("UNNEST", exprs[0], exp.PropertyEQ(this=exp.to_identifier("recursive"), expression=exp.true()))
        ]
    elif not value_columns or len(value_columns) == len(exprs):
        items = [_fn("UNNEST", e) for e in exprs]
    else:
        raise UnsupportedSqlError("UNNEST with a column list that does not match its arguments is not supported")
    if ordinality:
        longest = (
            _fn("greatest", *[_fn("len", e.copy()) for e in exprs]) if len(exprs) > 1 else _fn("len", exprs[0].copy())
        )
        upto = exp.Add(this=longest, expression=exp.Literal.number(1))
        items.append(_fn("UNNEST", _fn("range", exp.Literal.number(1), upto)))
    table_alias = exp.TableAlias(
        this=alias.this if alias is not None and alias.this else exp.to_identifier("unnest"), columns=columns
    )
    subquery = exp.Subquery(this=exp.Select(expressions=items))
    if isinstance(unnest.parent, exp.Join):
        lateral = exp.Lateral(this=subquery, alias=table_alias)
        lateral.meta["tslake_unnest"] = True
        return lateral
    subquery.set("alias", table_alias)
    return subquery


RID = "__tslake_rid"


def _rid_joins(select: exp.Select, number: int) -> bool:
    """`FROM p CROSS JOIN UNNEST(a) AS t (...) CROSS JOIN UNNEST(b) AS s (...)` as plain joins on a row id.

    DuckDB plans each LATERAL unnest separately and joins them by cross product before the WHERE filter
    (t.time = s.time): 81M rows for 100 sensors x 900 points, a minute. Numbering the rows of `p` once
    (a MATERIALIZED CTE, so both sides see the same numbering) and unnesting from it turns the laterals into
    equi-joins the optimizer can hash. Applied only to that exact shape; anything else stays LATERAL.
    """
    joins = select.args.get("joins") or []
    from_ = select.args.get("from_")
    if not joins or from_ is None or not isinstance(from_.this, exp.Table | exp.Subquery):
        return False
    for join in joins:
        lateral = join.this
        if not (isinstance(lateral, exp.Lateral) and lateral.meta.get("tslake_unnest")):
            return False
        if join.args.get("on") or join.args.get("using") or join.args.get("side"):
            return False
        alias = lateral.args.get("alias")
        if alias is None or not alias.columns:
            return False
    if any(isinstance(p, exp.Star) or isinstance(p.this, exp.Star) for p in select.expressions):
        return False
    source = from_.this
    name = source.alias_or_name
    if not name:
        return False
    cte = f"__tslake_src{number}"
    numbered = exp.select("*", exp.alias_(exp.Window(this=exp.RowNumber()), RID)).from_(source.copy())

    def cte_as_source() -> exp.Table:
        return exp.Table(this=exp.to_identifier(cte), alias=exp.TableAlias(this=exp.to_identifier(name)))

    new_joins = []
    for join in joins:
        lateral = join.this
        inner: exp.Select = lateral.this.this
        inner.set("expressions", [exp.column(RID, table=name), *inner.expressions])
        inner.set("from_", exp.From(this=cte_as_source()))
        alias = lateral.args["alias"]
        side = exp.Subquery(
            this=inner, alias=exp.TableAlias(this=alias.this.copy(), columns=[exp.to_identifier(RID), *alias.columns])
        )
        on = exp.EQ(this=exp.column(RID, table=alias.name), expression=exp.column(RID, table=name))
        new_joins.append(exp.Join(this=side, on=on))
    select.set("from_", exp.From(this=cte_as_source()))
    select.set("joins", new_joins)
    select.with_(cte, as_=numbered, materialized=True, copy=False)
    return True


def _projection_names(select: exp.Select) -> None:
    """Presto names an unaliased computed column `_colN`; DuckDB would name it after the expression."""
    projections: list[exp.Expr] = []
    for i, projection in enumerate(select.expressions):
        if isinstance(projection, exp.Alias | exp.Column | exp.Star):
            projections.append(projection)
        else:
            projections.append(exp.alias_(projection, f"_col{i}"))
    select.set("expressions", projections)


def _transform(node: exp.Expr, catalog: str) -> exp.Expr:
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Column) and node.this.name == "measure_value":
        kind = node.to.sql(dialect="trino").lower()
        if kind not in MEASURE_VALUE_TYPES:
            raise UnsupportedSqlError(f"measure_value::{kind} is not a Timestream column")
        return exp.column(exp.to_identifier(f"measure_value::{kind}", quoted=True), table=node.this.table or None)
    if isinstance(node, exp.Table) and node.args.get("db") and not node.args.get("catalog"):
        node.set("catalog", exp.to_identifier(catalog, quoted=True))
        return node
    if isinstance(node, exp.Anonymous):
        return _rewrite_function(node)
    if isinstance(node, exp.CurrentTimestamp):
        return _fn("__ts_now")
    if isinstance(node, exp.GenerateSeries):
        step = _duration_ns(node.args.get("step"))
        if step is not None:
            return _fn("__ts_sequence", node.args["start"], node.args["end"], step)
        return node
    if isinstance(node, exp.Unnest):
        return _rewrite_unnest(node)
    return node


def translate(sql: str, catalog: str) -> str:
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError("QueryString is required")
    try:
        statements = sqlglot.parse(_tokens_rewrite(sql), read="trino")
    except ParseError as exc:
        raise ValidationError(
            f"Query could not be parsed: {exc.errors[0]['description'] if exc.errors else exc}"
        ) from None
    parsed = [s for s in statements if s is not None]
    if len(parsed) != 1:
        raise ValidationError("QueryString must contain exactly one statement")
    tree: exp.Expr = parsed[0]
    if not isinstance(tree, exp.Query):
        raise UnsupportedSqlError(f"Statement {tree.key.upper()} is not supported: only SELECT queries run")
    for node in tree.walk():
        if isinstance(node, exp.MatchRecognize):
            raise UnsupportedSqlError("MATCH_RECOGNIZE is not supported by the local Timestream engine")
        if isinstance(node, exp.Anonymous) and node.name.upper() in UNSUPPORTED_FUNCTIONS:
            raise UnsupportedSqlError(f"Function {node.name.lower()} is not supported by the local Timestream engine")
        if isinstance(node, exp.Reduce) and not _identity(node.args.get("finish")):
            # DuckDB's list_reduce has no output function; sqlglot would silently drop it.
            raise UnsupportedSqlError("reduce() with an output function other than s -> s is not supported")

    # Bottom-up, so that a rewritten call still has its (already rewritten) arguments.
    for node in reversed(list(tree.walk(bfs=False))):
        new = _transform(node, catalog)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    for number, select in enumerate(list(tree.find_all(exp.Select))):
        _rid_joins(select, number)
    for marker in list(tree.find_all(exp.Anonymous)):
        if marker.name.upper() == _DURATION_FN:
            # A bare duration used as a value: an INTERVAL (DuckDB intervals hold microseconds).
            us = exp.Div(this=marker.expressions[0], expression=exp.Literal.number(1000))
            marker.replace(_fn("to_microseconds", exp.Cast(this=us, to=exp.DataType.build("BIGINT"))))
    if isinstance(tree, exp.Select):
        _projection_names(tree)
    return tree.sql(dialect="duckdb")
