"""Collector: OTLP and CloudEvents decoding, redaction, tagging, spool, writer, ingest routes."""
