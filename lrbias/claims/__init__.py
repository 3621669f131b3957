"""The claim catalogue machinery; the claims themselves live in the top-level ``theorems`` package.

Modules, bottom up: :mod:`.profiles` (search budgets), :mod:`.entry` (Entry, Mutant, the
Conclusion and Statistic protocols), :mod:`.group` (Group: a declared group of entries with its
figures, known findings and families), :mod:`.strategies` (Hypothesis strategies),
:mod:`.frontier` (validity frontiers), :mod:`.starts` (start distributions), :mod:`.sweeps`
(cached sweeps, their confirmation, replay commands), :mod:`.statistics` (statistics of a sweep),
:mod:`.statistical` (batch cases; the builders batch_claim and compared_claim and the sweep
combinators), :mod:`.catapult` (the catapult law), :mod:`.nn` (NN claim machinery) and
:mod:`.nn_entries` (NN claims as entries), :mod:`.search`, :mod:`.runner` (search, confirm,
decide), :mod:`.results` (the results document), :mod:`.variants` and :mod:`.catalogue` (loading
groups: entry points, variant files), :mod:`.session` (running a selection), :mod:`.phase` and
:mod:`.phasemap` (the phase diagram and start-imbalance maps).  This package knows no particular
claim.
"""
