"""The public front under the name variant files import (``from lrbias.api import ...``).

The same names as :mod:`lrbias` (one list, kept there): a variant file declares families with
:func:`register_family` and lists its claims in ``ENTRIES``; ``lrbias check --variants FILE`` runs
them beside the built-in ones.  See ``examples/huber_like_eos.py`` and the README's tutorial.
"""

from lrbias import *  # noqa: F403  (the front, re-exported whole)
from lrbias import __all__ as __all__
