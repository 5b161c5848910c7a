import sys

from quantkit.cli.main import main

sys.exit(main())
