"""Recon Board: the package every service shares (settings, database, domain rules, events)."""
