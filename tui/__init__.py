"""crossdeck's Textual dashboard, and the ``crossdeck`` launcher."""
