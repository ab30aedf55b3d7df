"""Publish: stories, summaries, Article 50 labels, reviews, the digest and its renderers.

Stage order inside the package: ``stories`` (group articles) → ``summarise`` (extractive,
with the optional paraphraser in ``llm``) → ``label`` (the disclosure) → ``review`` (human
review and editorial responsibility) → ``digest`` (a day's items) → ``render`` (md, html,
json, atom).
"""
