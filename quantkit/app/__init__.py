"""Use cases that combine data and models: the signal of one ETF (:mod:`.signal`) and the weekly report (:mod:`.weekly`).

They load each input once, call the pure models and hand typed results to the report and the CLI.
"""
