"""Recon notifier: Texts the next person in line and sends the morning standup."""
