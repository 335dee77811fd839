"""Redaction rules against attributes: drop, hash, globs, precedence, columnar forms."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.model import RedactionAction, RedactionRule
from collector.redaction import Redactor, hash_value


def h(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


RULES = (
    RedactionRule("user.email", "hash"),
    RedactionRule("card.*", "drop"),
    RedactionRule("secret", "drop"),
    RedactionRule("*.token", "hash"),
    RedactionRule("auth.token", "drop"),  # shadowed by the glob above: first rule wins
    RedactionRule("ip.v[46]", "hash"),
    RedactionRule("flowscope.*", "drop"),
)

CASES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("an exact key is hashed", {"user.email": "a@b", "x": "1"}, {"user.email": h("a@b"), "x": "1"}),
    (
        "a glob drops every match",
        {"card.number": "4111", "card.cvc": "1", "cards": "2"},
        {"cards": "2"},
    ),
    ("an exact key is dropped", {"secret": "s", "secrets": "t"}, {"secrets": "t"}),
    ("the first matching rule wins", {"auth.token": "t"}, {"auth.token": h("t")}),
    (
        "a character class matches",
        {"ip.v4": "1.2.3.4", "ip.v5": "x"},
        {"ip.v4": h("1.2.3.4"), "ip.v5": "x"},
    ),
    ("matching is case-sensitive", {"User.Email": "a@b"}, {"User.Email": "a@b"}),
    ("a glob matches the whole key", {"my.card.number": "1"}, {"my.card.number": "1"}),
    (
        "the collector's own tags are never redacted",
        {"flowscope.flow": "f", "flowscope.correlation_id": "c", "flowscope.other": "o"},
        {"flowscope.flow": "f", "flowscope.correlation_id": "c"},
    ),
    ("nothing matches", {"a": "1"}, {"a": "1"}),
    ("an empty value is hashed too", {"user.email": ""}, {"user.email": h("")}),
]


@pytest.mark.parametrize(
    ("attrs", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_rules_applied_to_attributes(attrs: dict[str, str], expected: dict[str, str]) -> None:
    redactor = Redactor.from_rules(RULES)
    assert redactor.apply(attrs) == expected
    assert dict(redactor.apply_pairs(attrs.items())) == expected


def test_a_hashed_value_is_the_sha256_of_its_utf8_text() -> None:
    assert hash_value("é") == "sha256:" + hashlib.sha256("é".encode()).hexdigest()


def test_an_empty_redactor_changes_nothing_and_matches_nothing() -> None:
    redactor = Redactor.from_rules(())
    assert redactor.empty
    assert not redactor.might_match(["user.email"])
    keys, values, offsets = ["a"], ["1"], [0, 1]
    assert redactor.apply_flat(keys, values, offsets) == (keys, values, offsets)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(["x", "user.email"], True), (["card.x"], True), (["x", "y"], False), ([], False)],
    ids=["an exact key", "a glob prefix", "unrelated keys", "no keys"],
)
def test_might_match_is_a_cheap_precheck(keys: list[str], expected: bool) -> None:
    rules = (RedactionRule("user.email", "hash"), RedactionRule("card.*", "drop"))
    assert Redactor.from_rules(rules).might_match(keys) is expected


def test_a_glob_starting_with_a_wildcard_makes_the_precheck_always_true() -> None:
    assert Redactor.from_rules([RedactionRule("*.token", "drop")]).might_match(["x"])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"user": {"email": "a@b"}}, {"user": {"email": h("a@b")}}),
        ({"user.email": "a@b"}, {"user.email": h("a@b")}),
        ({"card": {"number": "4111", "brand": "visa"}}, {"card": {}}),
        ({"items": [{"secret": 1}, {"ok": 2}]}, {"items": [{"secret": 1}, {"ok": 2}]}),
        ([{"secret": 1, "ok": 2}], [{"ok": 2}]),
        ({"user": {"email": 42}}, {"user": {"email": h("42")}}),
        ("plain", "plain"),
    ],
    ids=[
        "a nested member is addressed by its dotted path",
        "a member named with dots is matched as is",
        "a glob drops nested members",
        "paths continue through arrays of objects",
        "a top-level array is transparent",
        "a non-string value is hashed as its JSON text",
        "a scalar is left alone",
    ],
)
def test_rules_applied_to_event_data(data: Any, expected: Any) -> None:
    assert Redactor.from_rules(RULES).apply_json(data) == expected


_keys = st.sampled_from(["user.email", "card.a", "card.b", "secret", "x", "y.token", "ip.v6"])
_rows = st.lists(st.lists(st.tuples(_keys, st.text(max_size=5)), max_size=5), max_size=6)
_actions: st.SearchStrategy[RedactionAction] = st.sampled_from(["drop", "hash"])
_rules = st.lists(
    st.builds(
        RedactionRule, st.sampled_from(["user.email", "card.*", "secret", "*.token", "x"]), _actions
    ),
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(rules=_rules, table=_rows)
def test_the_columnar_forms_agree_with_the_per_row_form(
    rules: list[RedactionRule], table: list[list[tuple[str, str]]]
) -> None:
    redactor = Redactor.from_rules(rules)
    keys = [k for row in table for k, _ in row]
    values = [v for row in table for _, v in row]
    offsets = [0]
    for row in table:
        offsets.append(offsets[-1] + len(row))
    expected = [list(redactor.apply_pairs(row)) for row in table]

    fk, fv, fo = redactor.apply_flat(keys, values, offsets)
    assert [list(zip(fk[a:b], fv[a:b], strict=True)) for a, b in itertools.pairwise(fo)] == expected

    ak, av, ao = redactor.apply_arrow(
        pa.array(keys, pa.string()), pa.array(values, pa.string()), pa.array(offsets, pa.int32())
    )
    ak_, av_, ao_ = ak.to_pylist(), av.to_pylist(), ao.to_pylist()
    assert [
        list(zip(ak_[a:b], av_[a:b], strict=True)) for a, b in itertools.pairwise(ao_)
    ] == expected


NESTED_CASES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    (
        "a kvlist member is addressed by its path",
        {"user": '{"email":"a@b","name":"Ann"}'},
        {"user": '{"email":"' + h("a@b") + '","name":"Ann"}'},
    ),
    ("a glob drops kvlist members", {"card": '{"cvc":"1","number":"4111"}'}, {"card": "{}"}),
    (
        "array elements are redacted",
        {"user": '[{"email":"a@b"},{"email":"c@d"}]'},
        {"user": '[{"email":"' + h("a@b") + '"},{"email":"' + h("c@d") + '"}]'},
    ),
    (
        "a rule matches whole paths, not their tails",
        {"order": '{"card":{"number":"4111"},"id":"A-1"}'},
        {"order": '{"card":{"number":"4111"},"id":"A-1"}'},
    ),
    ("a baggage copy is matched as its key", {"baggage.user.email": "a@b"},
     {"baggage.user.email": h("a@b")}),
    ("a baggage copy is dropped by a glob", {"baggage.card.number": "4111", "baggage.x": "1"},
     {"baggage.x": "1"}),
    (
        "a baggage kvlist is redacted inside",
        {"baggage.user": '{"email":"a@b"}'},
        {"baggage.user": '{"email":"' + h("a@b") + '"}'},
    ),
    ("JSON text is redacted like a kvlist", {"user": '{"email": "a@b"}'},
     {"user": '{"email":"' + h("a@b") + '"}'}),
    ("text that is not JSON is kept", {"user": "{not json"}, {"user": "{not json"}),
    ("a structured value without a redacted member is kept byte for byte",
     {"user": '{"name": "Ann"}'}, {"user": '{"name": "Ann"}'}),
    ("the collector's tags under baggage are never redacted",
     {"baggage.flowscope.flow": "f"}, {"baggage.flowscope.flow": "f"}),
]


@pytest.mark.parametrize(
    ("attrs", "expected"), [c[1:] for c in NESTED_CASES], ids=[c[0] for c in NESTED_CASES]
)
def test_rules_reach_nested_members_baggage_copies_and_array_elements(
    attrs: dict[str, str], expected: dict[str, str]
) -> None:
    redactor = Redactor.from_rules(RULES)
    assert redactor.apply(attrs) == expected
    assert dict(redactor.apply_pairs(attrs.items())) == expected
    keys, values = list(attrs), list(attrs.values())
    fk, fv, _ = redactor.apply_flat(keys, values, [0, len(keys)])
    assert dict(zip(fk, fv, strict=True)) == expected
    ak, av, _ = redactor.apply_arrow(pa.array(keys, pa.string()), pa.array(values, pa.string()),
                                     pa.array([0, len(keys)], pa.int32()))
    assert dict(zip(ak.to_pylist(), av.to_pylist(), strict=True)) == expected


@pytest.mark.parametrize(
    ("key", "nests"),
    [("user", True), ("card", True), ("baggage.user", True), ("ip", True), ("x", True),
     ("user.email", False)],
    ids=["a parent of an exact rule", "a parent of a glob", "a baggage parent",
         "a parent of a character class", "anything under a leading wildcard",
         "a key redacted whole"],
)
def test_containers_are_the_keys_a_rule_may_reach_inside(key: str, nests: bool) -> None:
    assert (key in Redactor.from_rules(RULES).containers({key})) is nests


def test_without_a_leading_wildcard_unrelated_keys_are_no_containers() -> None:
    redactor = Redactor.from_rules([RedactionRule("user.email", "hash")])
    assert redactor.containers({"order", "users", "baggage.order"}) == frozenset()
