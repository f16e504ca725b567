"""The ``orgbridge`` command line."""
