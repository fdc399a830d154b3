"""Fixture apps for the snapshot tests and the README screenshots (plain modules, as Textual
keeps its snapshot apps next to its tests)."""
