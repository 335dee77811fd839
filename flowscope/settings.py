"""Deployment settings, read only here (environment ``FLOWSCOPE_*`` and CLI flags).

| setting | env | default |
|---|---|---|
| host | ``FLOWSCOPE_HOST`` | ``127.0.0.1`` |
| port | ``FLOWSCOPE_PORT`` | ``4318`` (the OTLP/HTTP port) |
| grpc_port | ``FLOWSCOPE_GRPC_PORT`` | ``4317`` (OTLP/gRPC, on the same host); ``0`` turns it off |
| data_dir | ``FLOWSCOPE_DATA_DIR`` | ``./data`` |
| catalog | ``FLOWSCOPE_CATALOG`` | none (no flows: items are stored untagged) |
| clickhouse_dsn | ``FLOWSCOPE_CLICKHOUSE_DSN`` | ``chdb://<data_dir>/clickhouse`` |
| cluster | ``FLOWSCOPE_CLUSTER`` | none (single node) |
| ttl_days | ``FLOWSCOPE_TTL_DAYS`` | none (keep spans forever) |
| max_body_bytes | ``FLOWSCOPE_MAX_BODY_BYTES`` | 8 MiB, after decompression |
| spool_max_bytes | ``FLOWSCOPE_SPOOL_MAX_BYTES`` | 512 MiB of undelivered payload |
| batch_max_rows | ``FLOWSCOPE_BATCH_MAX_ROWS`` | 50,000 rows per warehouse insert |
| batch_max_age | ``FLOWSCOPE_BATCH_MAX_AGE`` | 0.4 s a spooled row waits to share an insert |
| keys_file | ``FLOWSCOPE_KEYS_FILE`` | ``<data_dir>/keys.yaml`` (API key hashes) |
| alertmanager_url | ``FLOWSCOPE_ALERTMANAGER_URL`` | none (alerts are not sent to Alertmanager) |
| webhook_url | ``FLOWSCOPE_WEBHOOK_URL`` | none (no generic alert webhook) |
| webhook_secret | ``FLOWSCOPE_WEBHOOK_SECRET`` | none (webhook bodies unsigned); never logged |
| eval_interval | ``FLOWSCOPE_EVAL_INTERVAL`` | 30 seconds between alert evaluations |
| dashboard_cache | ``FLOWSCOPE_DASHBOARD_CACHE`` | 30 s an executive scorecard is kept; 0: never |
| follow_rollups | ``FLOWSCOPE_FOLLOW_ROLLUPS`` | true: this process keeps the flow rollups |
| query_timeout | ``FLOWSCOPE_QUERY_TIMEOUT`` | 60 s one read may run |
| query_max_memory | ``FLOWSCOPE_QUERY_MAX_MEMORY`` | 512 MiB (bytes) one read may use |
| header_timeout | ``FLOWSCOPE_HEADER_TIMEOUT`` | 10 s to send a request line and headers |
| keep_alive_timeout | ``FLOWSCOPE_KEEP_ALIVE_TIMEOUT`` | 5 s an idle connection is kept |
| max_connections | ``FLOWSCOPE_MAX_CONNECTIONS`` | 512 open; more are answered 503 |
| trusted_proxies | ``FLOWSCOPE_TRUSTED_PROXIES`` | none; proxies (addresses, CIDRs) |

``follow_rollups``: exactly one process per database keeps the run ledger and flow rollups
(:mod:`slo.ledger`); on a cluster with several replicas, set it false on all but one (the others
still answer reads, catching up the newest changes themselves).

``trusted_proxies`` (comma-separated) names the proxies whose ``X-Forwarded-For`` and
``X-Forwarded-Proto`` headers are believed; other peers' are ignored.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from collector.writer import MAX_AGE_S, MAX_ROWS
from warehouse.port import QueryLimits

_LIMITS = QueryLimits()


class Settings(BaseSettings):
    """flowscope's deployment settings; see the module docstring for the table."""

    model_config = SettingsConfigDict(env_prefix="FLOWSCOPE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=4318, ge=1, le=65535)
    grpc_port: int = Field(default=4317, ge=0, le=65535)
    data_dir: Path = Path("data")
    catalog: Path | None = None
    clickhouse_dsn: str | None = None
    cluster: str | None = None
    ttl_days: int | None = Field(default=None, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    spool_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    batch_max_rows: int = Field(default=MAX_ROWS, ge=1)
    batch_max_age: float = Field(default=MAX_AGE_S, ge=0, le=60)
    keys_file: Path | None = None
    alertmanager_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    eval_interval: float = Field(default=30.0, gt=0)
    dashboard_cache: float = Field(default=30.0, ge=0)
    follow_rollups: bool = True
    query_timeout: float = Field(default=_LIMITS.timeout_s, gt=0)
    query_max_memory: int = Field(default=_LIMITS.max_memory_bytes, ge=16 * 1024 * 1024)
    header_timeout: float = Field(default=10.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    max_connections: int = Field(default=512, ge=1)
    trusted_proxies: str = ""

    def query_limits(self) -> QueryLimits:
        """The bounds on every read the server makes."""
        return QueryLimits(timeout_s=self.query_timeout, max_memory_bytes=self.query_max_memory)

    def dsn(self) -> str:
        """The engine DSN: the configured one, else the embedded engine in the data dir."""
        if self.clickhouse_dsn:
            return self.clickhouse_dsn
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    def keys_path(self) -> Path:
        """The API keys file: the configured one, else ``<data_dir>/keys.yaml``."""
        return self.keys_file or self.data_dir / "keys.yaml"

    def spool_path(self) -> Path:
        """Where the spool database lives: ``<data_dir>/spool/spool.sqlite``."""
        return self.data_dir / "spool" / "spool.sqlite"
