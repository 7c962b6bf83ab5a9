"""`python -m verify.cli`: the same commands as the `verify` script."""

import sys

from verify.cli import app

sys.exit(app())
