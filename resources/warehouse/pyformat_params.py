"""DuckDB-style `$name` query parameters rewritten for the Snowflake connector's client-side `%(name)s`.

`Warehouse.query` takes `$name` parameters in both lanes (DuckDB binds them natively); the Snowflake
connector's default paramstyle is pyformat, which it applies as `sql % params` after escaping the
values itself. Rewriting has to understand just enough SQL lexing to leave string literals, `$$` bodies,
quoted identifiers and comments alone, and Snowflake's own `$names` (session variables, `$1` stage
columns) too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def to_pyformat(sql: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """Rewrite DuckDB-style `$name` parameters as the connector's `%(name)s` (client-side binding).

    Only names present in `params` are rewritten, and only outside string literals ('...', $$...$$), quoted
    identifiers and comments; other `$names` (Snowflake session variables, `$1` stage columns) are left
    alone. With any placeholder rewritten, every other `%` is doubled, because the connector then runs
    `sql % params`; values are escaped by the connector itself.
    """
    if not params:
        return sql, None
    out: list[str] = []
    used: set[str] = set()
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "$" and (m := _PLACEHOLDER.match(sql, i)) and m.group(1) in params:
            out.append(f"%({m.group(1)})s")
            used.add(m.group(1))
            i = m.end()
            continue
        end = _token_end(sql, i)
        out.append(sql[i:end].replace("%", "%%"))
        i = end
    if not used:
        return sql, None
    return "".join(out), {name: params[name] for name in used}


def _token_end(sql: str, i: int) -> int:
    """Where the literal, quoted identifier or comment starting at `i` ends (else just past `sql[i]`)."""
    n = len(sql)
    if sql[i] == "'":
        j = i + 1
        while j < n:
            if sql[j] == "\\" or sql.startswith("''", j):  # an escaped character or a doubled quote
                j += 2
            elif sql[j] == "'":
                return j + 1
            else:
                j += 1
        return n
    if sql[i] == '"':
        j = i + 1
        while (j := sql.find('"', j)) != -1:
            if not sql.startswith('""', j):
                return j + 1
            j += 2
        return n
    for opening, closing in (("$$", "$$"), ("--", "\n"), ("/*", "*/")):
        if sql.startswith(opening, i):
            j = sql.find(closing, i + len(opening))
            return n if j == -1 else j + (len(closing) if closing != "\n" else 0)
    return i + 1
