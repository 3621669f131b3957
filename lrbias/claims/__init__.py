"""The claim catalogue machinery; the claims themselves live in the top-level ``theorems`` package.

Modules, bottom up: :mod:`.verdict` (Verdict, Check; the only one ``lrbias.nn`` uses),
:mod:`.profiles` (search budgets), :mod:`.entry` (Entry, Mutant, the Conclusion and Statistic
protocols), :mod:`.strategies` (Hypothesis strategies), :mod:`.frontier` (validity frontiers),
:mod:`.batch` (batch cases, cached sweeps, the batch-claim builder), :mod:`.statistics`
(statistics of a sweep), :mod:`.nn` (NN claim machinery), :mod:`.search`, :mod:`.runner`
(search, confirm, decide), :mod:`.results` (the results document), :mod:`.variants` and
:mod:`.catalogue` (loading entries: entry points, variant files), :mod:`.session` (running a
selection), :mod:`.phase` (the phase diagram).  This package knows no particular claim.
"""
