"""The on-disk format of a run store (docs/format.md): the bottom layer.

Owns the layout of ``.runs/<run_id>/`` and its files (:mod:`~gittrack.store.layout`), the
single writer of a run (:mod:`~gittrack.store.writer`: appending, atomic rewrites,
compaction), the damage-tolerant reader (:mod:`~gittrack.store.reader`), metric CSVs,
artifacts, the YAML dialect, name and value validation, run ids, the facts recorded about
the process that starts a run, and ``.gittrack.yml`` with the store's location
(:mod:`~gittrack.store.config`).  It imports only :mod:`gittrack.errors`.
"""
