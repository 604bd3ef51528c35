"""Recon inventory sync: DMS inventory feeds (JSON and CSV) onto the board."""
