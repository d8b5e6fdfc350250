"""The `q` parameter of Superset's list endpoints is Rison that Superset decodes with `prison`: numbers stay
numbers, None is `!n`, booleans `!t`/`!f` (the hand-written encoder it replaced sent `'1'` and `'None'`)."""

from __future__ import annotations

import prison

from resources.superset.dashboard import list_query


def test_numbers_none_and_booleans_are_rison_values_not_strings():
    assert prison.dumps({"a": 1, "b": None}) == "(a:1,b:!n)"
    assert prison.dumps({"n": -2.5, "t": True, "f": False}) == "(f:!f,n:-2.5,t:!t)"


def test_nested_structures_and_quoted_strings_are_encoded_as_rison():
    encoded = prison.dumps({"filters": [{"col": "uuid", "value": "it's 5!"}], "page": {"size": 25}})
    assert encoded == "(filters:!((col:uuid,value:'it!'s 5!!')),page:(size:25))"


def test_list_query_decodes_to_the_filter_superset_expects_with_its_value_type_kept():
    for value in ("5f1c2a9e-8d3b-4c1e-9a0f-2b7d6e4c8a11", 42, None, True):
        assert prison.loads(list_query(["id", "datasource_id"], "uuid", value)) == {
            "columns": ["id", "datasource_id"],
            "filters": [{"col": "uuid", "opr": "eq", "value": value}],
        }


def test_list_query_is_rison_with_strings_quoted_only_where_needed():
    expected = "(columns:!(id),filters:!((col:slice_name,opr:eq,value:'GMV per day')))"
    assert list_query(["id"], "slice_name", "GMV per day") == expected
