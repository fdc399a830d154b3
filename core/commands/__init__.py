"""The headless verbs of ``crossdeck``: each module adds its sub-parser and runs its verb."""
