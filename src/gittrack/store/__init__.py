"""The run store: the on-disk format of runs, and reading and writing it (docs/format.md)."""
