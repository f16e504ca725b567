"""The state store: cursors, links, dead letters and run history, in SQL."""
