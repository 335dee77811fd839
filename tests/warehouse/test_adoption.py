"""Which existing span tables need the deduplication window set when flowscope adopts them."""

from __future__ import annotations

import pytest

from warehouse.adoption import missing_window


@pytest.mark.parametrize(
    ("engine", "engine_full", "needed"),
    [
        pytest.param("MergeTree", "MergeTree PARTITION BY toDate(Timestamp) ORDER BY x "
                     "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1", True,
                     id="an exporter MergeTree without the window needs it"),
        pytest.param("AggregatingMergeTree", "AggregatingMergeTree ORDER BY TraceId "
                     "SETTINGS index_granularity = 8192", True,
                     id="the exporter's aggregating trace lookup needs it too"),
        pytest.param("MergeTree", "MergeTree ORDER BY x SETTINGS "
                     "non_replicated_deduplication_window = 0", True,
                     id="a window of zero is no window"),
        pytest.param("MergeTree", "MergeTree ORDER BY x SETTINGS index_granularity = 8192, "
                     "non_replicated_deduplication_window = 100", False,
                     id="a window already set is kept"),
        pytest.param("ReplicatedMergeTree", "ReplicatedMergeTree('/p', '{replica}') ORDER BY x",
                     False, id="replicated tables deduplicate through Keeper"),
        pytest.param("Distributed", "Distributed('c', db, otel_traces_local)", False,
                     id="a distributed table holds no data"),
    ],
)
def test_the_window_is_set_only_where_missing(engine: str, engine_full: str,
                                              needed: bool) -> None:
    assert missing_window(engine, engine_full) is needed
