"""``python -m quantkit``: the command line, as the ``quantkit`` console script."""

from quantkit.cli.main import run

run()
