"""The `orgbridge demo`: two emulated orgs, realistic Cases and a sync, end to end."""
