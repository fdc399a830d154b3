"""Stale imports pane: realm imports that lag or no longer fit the contracts they use."""
