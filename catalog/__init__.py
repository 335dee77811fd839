"""The flow catalog: the versioned YAML spec (``flowscope/v1``) and the frozen model every room
reads.

Public entry points: :func:`catalog.sources.load_catalog_sources` (what ``--catalog`` names: a
file or a folder mixing flowscope catalogs and OpenSLO documents → :class:`catalog.model.Catalog`),
:func:`catalog.spec.load_catalog` (one flowscope/v1 file), :func:`catalog.spec.parse_catalog`
(text → model) and :func:`catalog.check.check_file` (file or folder →
:class:`catalog.check.CheckReport`, for ``flowscope check``). Errors are
:class:`catalog.errors.CatalogError`.
"""
