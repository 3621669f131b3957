"""``python -m lrbias.cli``: the same as the ``lrbias`` console script."""

import sys

from lrbias.cli import main

sys.exit(main())
