"""``python -m orgbridge``: the same command line as the ``orgbridge`` script."""

from orgbridge.cli.main import main

if __name__ == "__main__":
    main()
