"""Querying runs: one filter language and one sort order over a DataFrame of runs."""
