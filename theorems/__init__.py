"""The claim catalogue of lrbias: one module per group of claims, declarative entries only.

Each module (``exact``, ``concentration``, ``dynamics``, ``nn``) lists its entries in ``ENTRIES``
and is registered in the ``lrbias.theorems`` entry-point group (pyproject.toml), the same group
users' packages contribute to; ``lrbias.claims.catalogue.load_entries`` loads them in that order.
Ids are stable: reports and diffs key on them.
"""
