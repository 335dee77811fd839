"""The flow catalog: the versioned YAML spec (``flowscope/v1``) and the frozen model every room
reads.

Public entry points: :func:`catalog.spec.load_catalog` (file → :class:`catalog.model.Catalog`),
:func:`catalog.spec.parse_catalog` (text → model) and :func:`catalog.check.check_file` (file →
:class:`catalog.check.CheckReport`, for ``flowscope check``). Errors are
:class:`catalog.errors.CatalogError`.
"""
