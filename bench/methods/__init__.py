"""The methods under test, each a script run as its own subprocess.

Every script reads its orgs from command-line options and its client secrets from
environment variables, and prints one JSON line on stdout as its last output:
``{"sent": N, "succeeded": N, "failed": N, "work_seconds": S}``.
"""
