"""Explorer: the federation as a lazy tree, and the detail of one node."""
