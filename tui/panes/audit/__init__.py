"""Audit trail: every workspace's events on one timeline, filtered by text and by field."""
