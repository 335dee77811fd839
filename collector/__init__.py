"""Collector: OTLP and CloudEvents decoding, redaction, tagging, spool, batch writer, ingest routes."""
