"""Dash pages (filled by the dashboards issue)."""
