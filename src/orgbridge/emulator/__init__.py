"""A local Salesforce org: OAuth and REST endpoints over SQLite, for demos and tests."""
