"""The words a live follower uses for the state of one remote's event stream (``on_state`` of
``core.sync.live.follow``). Apart from ``core.sync.live`` so that the dashboard can name them
without importing the HTTP client at start-up."""

CONNECTING, CONNECTED, RECONNECTING, OFF = "connecting", "connected", "reconnecting", "off"
