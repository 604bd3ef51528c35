"""Recon SMS ingest: The SMS provider's webhooks: staff texts in, delivery statuses."""
