-- Imported spend lines (POST /api/v1/costs, flowscope costs import), read by the cost queries
-- (cost/spend_store.py). One row per line, identified by (Source, LineId): importing the same
-- line again replaces it (ReplacingMergeTree on ImportedAt, the latest import wins; readers
-- use FINAL, so a line is counted once even before a merge). The sharding key is the line's
-- identity, so both copies of a line meet on one shard.
--
-- Amount is the exact decimal string as submitted ("12.50", "-3"): money is never a float.
-- Flow or Partner is '' when absent (a line names at least one of them).

CREATE TABLE IF NOT EXISTS {{TABLE:cost_spend}} {{ON_CLUSTER}} (
    Source String CODEC(ZSTD(1)),
    LineId String CODEC(ZSTD(1)),
    Day Date CODEC(Delta, ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Partner LowCardinality(String) CODEC(ZSTD(1)),
    Category LowCardinality(String) CODEC(ZSTD(1)),
    Amount String CODEC(ZSTD(1)),
    Currency LowCardinality(String) CODEC(ZSTD(1)),
    ImportedAt DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree(ImportedAt)}}
ORDER BY (Source, LineId)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:cost_spend:cityHash64(Source, LineId)}};
