"""The flow catalog: the versioned YAML spec (``flowscope/v1``) and the frozen model every room reads.

Public entry points: :func:`catalog.spec.load_catalog` (file → :class:`catalog.model.Catalog`)
and :func:`catalog.spec.parse_catalog` (text → model). Errors are :class:`catalog.errors.CatalogError`.
"""
