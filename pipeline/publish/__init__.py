"""Publish: stories, summaries, Article 50 labels, reviews, the digest and its renderers.

Stage order inside the package: ``stories`` (group articles) → ``summaries`` (the summary
stage: the extractive summariser of ``summarise``, and the optional paraphraser in ``llm``,
stored once per input version) → ``label`` (the disclosure) → ``review`` (human
review and editorial responsibility) → ``digest`` (a day's items) → ``render`` (md, html,
json, atom).
"""
