"""Cost allocation and ROI (filled by the cost issue)."""
