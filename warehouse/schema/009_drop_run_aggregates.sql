-- flow_runs, flow_minutes and correlations are replaced by the run ledger and its rollups (008):
-- nothing reads them any more, and their views cost every insert. A database migrated from an
-- earlier version keeps its items (correlation_items); the ledger is rebuilt from them when
-- flowscope next starts (slo/ledger.py).

DROP VIEW IF EXISTS {{DB}}.flow_runs_mv {{ON_CLUSTER}};
DROP VIEW IF EXISTS {{DB}}.flow_minutes_mv {{ON_CLUSTER}};
DROP VIEW IF EXISTS {{DB}}.correlations_spans_mv {{ON_CLUSTER}};
DROP VIEW IF EXISTS {{DB}}.correlations_events_mv {{ON_CLUSTER}};

-- The plain name (the Distributed table on a cluster), then the shard-local table.
DROP TABLE IF EXISTS {{DB}}.flow_runs {{ON_CLUSTER}};
DROP TABLE IF EXISTS {{TABLE:flow_runs}} {{ON_CLUSTER}};
DROP TABLE IF EXISTS {{DB}}.flow_minutes {{ON_CLUSTER}};
DROP TABLE IF EXISTS {{TABLE:flow_minutes}} {{ON_CLUSTER}};
DROP TABLE IF EXISTS {{DB}}.correlations {{ON_CLUSTER}};
DROP TABLE IF EXISTS {{TABLE:correlations}} {{ON_CLUSTER}};
