"""SLO math and SLI queries (filled by the SLO engine issue)."""
