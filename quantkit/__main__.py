"""``python -m quantkit``: the command line, as the ``quantkit`` console script."""

import sys

from quantkit.cli.main import main

sys.exit(main())
