-- What operators did to flows: manual replays of runs and maintenance declared now.
--
-- replay_requests: the first answer given to each Idempotency-Key of a flow (a replay of one
-- run, or a bulk replay), so that the same key never triggers a second call and gets the same
-- answer, across restarts. Readers take the earliest row of a key.
CREATE TABLE IF NOT EXISTS {{TABLE:replay_requests}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    IdempotencyKey String CODEC(ZSTD(1)),
    CreatedAt DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    Actor String CODEC(ZSTD(1)),
    Target String CODEC(ZSTD(1)),
    Status UInt16,
    Answer String CODEC(ZSTD(1))
) ENGINE = {{ENGINE:MergeTree()}}
ORDER BY (Flow, IdempotencyKey, CreatedAt)
SETTINGS index_granularity = 1024;

{{DISTRIBUTED:replay_requests:cityHash64(Flow, IdempotencyKey)}};

-- replay_attempts: every call made to a flow's replay URL, and its outcome: 'accepted' (the
-- receiver answered 2xx) or 'failed' (another status, a timeout, no connection). Ordered by
-- run, so the attempts of a page of dead letters are point lookups.
CREATE TABLE IF NOT EXISTS {{TABLE:replay_attempts}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    At DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    AttemptId String CODEC(ZSTD(1)),
    IdempotencyKey String CODEC(ZSTD(1)),
    Actor String CODEC(ZSTD(1)),
    Step String CODEC(ZSTD(1)),
    Outcome LowCardinality(String) CODEC(ZSTD(1)),
    Status UInt16,
    LatencyMs UInt32,
    Error String CODEC(ZSTD(1))
) ENGINE = {{ENGINE:MergeTree()}}
ORDER BY (Flow, CorrelationId, At)
SETTINGS index_granularity = 1024;

{{DISTRIBUTED:replay_attempts:cityHash64(CorrelationId)}};

-- maintenance_declared: maintenance declared now for a flow (POST /api/v1/flows/{flow}/
-- maintenance), left out of SLIs like the catalog's windows. Every change (ended early, the
-- pause or resume webhook's outcome) adds a version of the row; readers take the latest
-- version of each Id (FINAL, or argMax before a merge).
CREATE TABLE IF NOT EXISTS {{TABLE:maintenance_declared}} {{ON_CLUSTER}} (
    Id String,
    Flow LowCardinality(String),
    StartsAt DateTime64(3, 'UTC'),
    EndsAt DateTime64(3, 'UTC'),
    Reason String,
    CreatedBy String,
    CreatedAt DateTime64(3, 'UTC'),
    EndedBy String,
    PauseOutcome String,
    ResumeOutcome String,
    UpdatedAt DateTime64(3, 'UTC')
) ENGINE = {{ENGINE_ALL_NODES:ReplacingMergeTree(UpdatedAt)}}
ORDER BY Id;
