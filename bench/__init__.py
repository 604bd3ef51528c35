"""`make bench`: figures for every part of the system, printed and written to bench-results.json."""
