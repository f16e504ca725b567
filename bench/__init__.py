"""Benchmarks: orgbridge against the scripts a team would otherwise write.

``python -m bench.run`` (or ``make bench``) starts emulated orgs on 127.0.0.1, seeds
Cases in the source org and moves them to a fresh target org with each method:

- ``orgbridge``: ``orgbridge run`` with a generated config;
- ``apex_batch``: the original design, one query for the Cases created today and
  one POST of all of them to an Apex REST endpoint that inserts all or none;
- ``one_per_call``: simple-salesforce, one create call per Case;
- ``collections``: simple-salesforce with sObject Collections upserts, 200 a call.

Each method runs as its own subprocess, so its wall time and peak RSS are its own.
bench/README.md holds the measured figures and how they were taken.
"""
