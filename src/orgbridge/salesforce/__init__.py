"""Salesforce OAuth connections and the REST API client."""
