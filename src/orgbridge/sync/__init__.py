"""The sync engine: detect changed Cases, map their fields, deliver them once."""
