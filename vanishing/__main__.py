"""``python -m vanishing`` is the console script ``vanishing``."""
import sys

from vanishing.cli import main

sys.exit(main())
