"""The HTML compliance report: figures, MathML, the page, atomic writing, the run-to-report job
(:mod:`lrbias.report.job`, shared by ``lrbias report``, ``lrbias check`` and the pytest plugin), and
diffs of results."""
