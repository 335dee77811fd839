-- The tables of `flowscope reindex` (collector/reindex.py), which indexes rows stored before
-- flowscope tagged them. Earlier versions created them on first use, outside the migrations;
-- IF NOT EXISTS keeps those.
--
-- reindex_progress: one row per UTC day finished under a set of correlation rules (Rules is a
-- fingerprint of the catalog's rules), so an interrupted reindex resumes and a finished one is
-- a no-op; a catalog with other rules reindexes every day again. Kept on the node that
-- reindexes, as before.
--
-- reindex_stage: the items of the day being indexed, before they are copied into
-- correlation_items; emptied before and after each day (Memory: nothing to keep).

CREATE TABLE IF NOT EXISTS {{DB}}.reindex_progress {{ON_CLUSTER}} (
    Rules String,
    Day Date,
    Spans UInt64,
    Events UInt64,
    FinishedAt DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(FinishedAt)
ORDER BY (Rules, Day);

CREATE TABLE IF NOT EXISTS {{DB}}.reindex_stage {{ON_CLUSTER}}
AS {{DB}}.correlation_items
ENGINE = Memory;
