"""MkDocs hook: render the docstrings' Sphinx roles (``:class:`~a.b.C```) as plain code (``C``).

The docstrings use reST roles for cross-references; mkdocstrings' Sphinx parser leaves them as text
(":class:" before the code), so the API pages drop the role and, for ``~``, the module path.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:class|func|data|mod|meth|attr|exc|obj):<code>(~?)([\w.]+)</code>")


def _code(m: re.Match) -> str:
    name = m[2].rsplit(".", 1)[-1] if m[1] else m[2]
    return f"<code>{name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(_code, html)
