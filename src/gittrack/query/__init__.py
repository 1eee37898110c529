"""The one query engine: the runs frame, the filter language, the index, revisions.

Owns the filter/order-by parser (:mod:`~gittrack.query.filter_parse`, no ``eval`` on user
text) and its evaluation on a DataFrame (:mod:`~gittrack.query.filter`), the runs frame
(:mod:`~gittrack.query.frame`), the SQLite index under ``.runs/.cache/``, runs read at a git
revision (:mod:`~gittrack.query.revision`), group-by aggregation and metric directions.
:func:`~gittrack.query.search.search` is the entry point for the CLI, the Python API and the
UI alike.  It may import ``store``, ``git`` and ``errors``.
"""
