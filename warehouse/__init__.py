"""Warehouse: ClickHouse DDL, migrations and the Warehouse port over clickhouse-connect."""
