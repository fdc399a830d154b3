"""Delegation chains pane: a tree per chain with completion, overdue and cycle marks."""
