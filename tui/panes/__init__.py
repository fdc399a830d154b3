"""The dashboard's panes, one feature folder each; ``PANES`` lists them in key order."""
