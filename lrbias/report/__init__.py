"""The HTML compliance report: figures, MathML, the page, atomic writing, and diffs of results."""
