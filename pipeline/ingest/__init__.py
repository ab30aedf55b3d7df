"""Ingest: the feed registry, polite polling, the address guard, parsing and extraction.

Stage order inside the package: ``registry`` (feeds.yaml, OPML) → ``polltiming`` (when to
poll) → ``fetch`` (guarded HTTP, with ``netguard``) → ``parse`` (feed bytes to
:class:`~pipeline.records.FeedEntry`) → ``extract`` (pages to
:class:`~pipeline.records.Article`) → ``cycle`` (one ingest cycle over all of them).
"""
