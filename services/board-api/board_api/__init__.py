"""Recon Board API: Stores, staff, tokens, units and their actions, messages, events and the live stream."""
