"""`$name` -> `%(name)s` for the Snowflake connector: placeholders only, never inside literals or comments."""

from resources.warehouse.pyformat_params import to_pyformat


def test_to_pyformat_rewrites_only_placeholders_outside_literals():
    sql, params = to_pyformat(
        "SELECT '%' || $a, '$a', \"$a\", $$ $a $$, $b /* $a */ -- $a\n, $1, $unset", {"a": 1, "b": 2, "c": 3}
    )
    assert sql == "SELECT '%%' || %(a)s, '$a', \"$a\", $$ $a $$, %(b)s /* $a */ -- $a\n, $1, $unset"
    assert params == {"a": 1, "b": 2}
    assert to_pyformat("SELECT '%'", {}) == ("SELECT '%'", None)
