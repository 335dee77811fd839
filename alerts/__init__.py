"""Outcome-based alerts (filled by the alerts issue)."""
