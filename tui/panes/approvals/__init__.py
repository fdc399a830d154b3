"""The Approvals pane: pending incoming requests, their verdicts, and deciding them."""
