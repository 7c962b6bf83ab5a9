"""`verify eval`: score retrieval and verdicts on a labelled claim set.

dataset: the JSONL format (pydantic models, `file:line: reason` errors) and gold-evidence matching.
run: build the library, retrieve, judge with the pipeline's judging step, keep the run in the store.
metrics: the numbers (accuracy, recall@k, citations, cost), plain functions checked by hand.
report: the results JSON and the Markdown / terminal summary. Imports go one way:
run -> report -> metrics, dataset.
"""
