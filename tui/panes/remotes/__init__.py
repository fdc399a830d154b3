"""Remotes pane: every configured remote, its trust, permissions and cached state."""
