"""NATS JetStream: the connection, the RECON stream, the outbox relay and event consumers."""
