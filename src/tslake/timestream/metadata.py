"""SHOW DATABASES, SHOW TABLES [FROM db], SHOW MEASURES FROM db.table and DESCRIBE db.table, answered from
the catalog as DuckDB SELECTs (so their results go through the same ColumnInfo/Rows encoding).

sqlglot has no grammar for these statements (it returns a raw Command), so they are read from its tokens.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.tokens import Token, TokenType

from tslake.timestream.catalog import Catalog, Table
from tslake.timestream.errors import ValidationError
from tslake.timestream.storage import quote

_NAME_TOKENS = (TokenType.VAR, TokenType.IDENTIFIER, TokenType.STRING)


def _lit(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def _like(tokens: list[Token], column: str) -> str:
    if not tokens:
        return ""
    if len(tokens) == 2 and tokens[0].token_type == TokenType.LIKE and tokens[1].token_type == TokenType.STRING:
        return f" WHERE {column} LIKE {_lit(tokens[1].text)}"
    raise ValidationError(f"Unexpected text after the statement: {' '.join(t.text for t in tokens)}")


def _qualified(tokens: list[Token]) -> tuple[list[str], list[Token]]:
    """A dotted name at the start of `tokens`, and the tokens after it."""
    parts: list[str] = []
    i = 0
    while i < len(tokens) and tokens[i].token_type not in (TokenType.LIKE,):
        if tokens[i].token_type == TokenType.DOT:
            i += 1
            continue
        parts.append(tokens[i].text)
        i += 1
    return parts, tokens[i:]


def _table(catalog: Catalog, parts: list[str]) -> Table:
    if len(parts) != 2:
        raise ValidationError('Expected a table name as "database"."table"')
    try:
        return catalog.get_table(parts[0], parts[1])
    except Exception as exc:
        raise ValidationError(str(exc)) from None


def metadata_sql(query: str, catalog: Catalog) -> str | None:
    """DuckDB SQL answering a SHOW/DESCRIBE statement, or None when the query is something else."""
    text = query.strip().rstrip(";")
    try:
        tokens = Trino().tokenize(text)
        if tokens and tokens[0].token_type == TokenType.SHOW:
            # The tokenizer keeps the rest of a SHOW command as one string; read it as tokens too.
            tokens = [tokens[0], *Trino().tokenize(text[tokens[0].end + 1 :])]
    except Exception:
        return None
    if not tokens:
        return None
    first = tokens[0].text.upper()
    if first == "DESCRIBE":
        table = _table(catalog, _qualified(tokens[1:])[0])
        rows = []
        for name in table.visible_columns():
            column = table.columns.get(name)
            if name == "measure_name":
                kind, attribute = "varchar", "MEASURE_NAME"
            elif name == "time":
                kind, attribute = "timestamp", "TIMESTAMP"
            elif column is not None and column.kind == "dimension":
                kind, attribute = "varchar", "DIMENSION"
            else:
                assert column is not None
                kind = column.duckdb_type.lower().replace("timestamp_ns", "timestamp")
                attribute = "MEASURE_VALUE" if name.startswith("measure_value::") else "MULTI"
            rows.append(f"({_lit(name)}, {_lit(kind)}, {_lit(attribute)})")
        return f'SELECT * FROM (VALUES {", ".join(rows)}) AS d("Column", "Type", "Timestream attribute type")'
    if first != "SHOW" or len(tokens) < 2:
        return None
    what = tokens[1].text.upper()
    rest = tokens[2:]
    if what == "DATABASES":
        return f'SELECT name AS "Database" FROM __tslake.databases{_like(rest, "name")} ORDER BY 1'
    if what == "TABLES":
        database = None
        if rest and rest[0].token_type in (TokenType.FROM, TokenType.IN):
            parts, rest = _qualified(rest[1:])
            if len(parts) != 1:
                raise ValidationError('Expected SHOW TABLES FROM "database"')
            database = parts[0]
            if database not in catalog.databases:
                raise ValidationError(f"The database {database} does not exist.")
        where = _like(rest, "name")
        if database is not None:
            where = (where + " AND " if where else " WHERE ") + f"database = {_lit(database)}"
        return f'SELECT name AS "Table" FROM __tslake.tables{where} ORDER BY 1'
    if what == "MEASURES":
        if not rest or rest[0].token_type not in (TokenType.FROM, TokenType.IN):
            raise ValidationError('Expected SHOW MEASURES FROM "database"."table"')
        parts, rest = _qualified(rest[1:])
        table = _table(catalog, parts)
        source = f"{quote(table.database)}.{quote(table.name)}"
        single = [c for c in table.columns if c.startswith("measure_value::")]
        kinds = " ".join(f"WHEN count({quote(c)}) > 0 THEN {_lit(c.split('::')[1])}" for c in single)
        data_type = f"CASE {kinds} ELSE 'multi' END" if single else "'multi'"
        dims = [c.name for c in table.columns.values() if c.kind == "dimension"]
        items = ", ".join(
            f"CASE WHEN count({quote(d)}) > 0 THEN {{'dimension_name': {_lit(d)}, 'data_type': 'varchar'}} END"
            for d in dims
        )
        dimensions = f"list_filter([{items}], lambda x: x IS NOT NULL)" if dims else "[]"
        return (
            f"SELECT * FROM (SELECT measure_name, {data_type} AS data_type, {dimensions} AS dimensions "
            f"FROM {source} GROUP BY measure_name){_like(rest, 'measure_name')} ORDER BY 1"
        )
    return None
