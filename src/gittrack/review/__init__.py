"""Reading runs for people: ``ls``, ``show``, ``compare``, ``best``, ``metrics``, ``diff``, ``log``.

Owns the library side of the commands that list, describe and compare runs, in the work
tree or at any git revision, and the one renderer of tables (:mod:`~gittrack.review.render`:
table, CSV, JSON, markdown).  Every listing goes through the query engine.  It may import
``tracking``, ``query``, ``store``, ``git`` and ``errors``; it never writes a run.
"""
