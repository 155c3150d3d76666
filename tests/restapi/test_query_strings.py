"""Query strings read as Node's `qs` reads them (Rocket.Chat's routes see what `qs` makes)."""

from omnicontacts.restapi.query import parse_query


def test_brackets_make_arrays() -> None:
    assert parse_query("agents[]=a&agents[]=b") == {"agents": ["a", "b"]}
    assert parse_query("agents[]=a") == {"agents": ["a"]}
    assert parse_query("a[b][]=1&a[b][]=2") == {"a": {"b": ["1", "2"]}}
    # A plain value, then bracketed ones: one array.
    assert parse_query("tags=x&tags[]=y") == {"tags": ["x", "y"]}


def test_repeated_keys_and_nesting_are_unchanged() -> None:
    assert parse_query("tags=x&tags=y") == {"tags": ["x", "y"]}
    assert parse_query("a[b]=1&a[c]=2") == {"a": {"b": "1", "c": "2"}}
    assert parse_query("agents=a") == {"agents": "a"}
