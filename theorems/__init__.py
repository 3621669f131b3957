"""The claim catalogue of lrbias: one module per group of claims, declarations only.

Each module (``exact``, ``concentration``, ``dynamics``, ``nn``) declares its claims (statement,
hypotheses, statistic) and a ``GROUP`` (lrbias.claims.group.Group: entries, figures, known
findings, families) named by an entry point of the ``lrbias.theorems`` group (pyproject.toml), the
same group users' packages contribute to; ``lrbias.claims.catalogue.load_groups`` loads them in
that order.  The machinery (builders, sweep combinators, the catapult law, the NN adapter) lives in
lrbias.claims.  Ids are stable: reports and diffs key on them.
"""
