"""Storage: the one package that speaks SQL.

One module per aggregate: :mod:`~pipeline.store.feeds`, :mod:`~pipeline.store.articles`,
:mod:`~pipeline.store.classifications` (more follow), on top of
:mod:`~pipeline.store.engine` (engine, migrations, :class:`Store`) and
:mod:`~pipeline.store.models` (the tables, private to this package).
"""

from pipeline.store.articles import (
    article_counts,
    article_id_for_key,
    due_pending,
    entry_fingerprint,
    fill_pending,
    insert_article,
    pending_counts,
    record_page_attempt,
    stored_entries,
    update_article,
)
from pipeline.store.classifications import store_classification
from pipeline.store.engine import (
    Store,
    count_rows,
    current_revision,
    engine_for,
    head_revision,
    migrate,
    migrations_dir,
    open_store,
)
from pipeline.store.feeds import sync_feeds, update_feeds
from pipeline.store.models import (
    ArticleRow,
    ArticleSourceRow,
    Base,
    ClassificationRow,
    FeedRow,
    LLMFailureRow,
    LLMUsageRow,
    ReviewRow,
    StoryArticleRow,
    StoryRow,
    SummaryRow,
    UTCDateTime,
    utcnow,
)

__all__ = [
    "ArticleRow",
    "ArticleSourceRow",
    "Base",
    "ClassificationRow",
    "FeedRow",
    "LLMFailureRow",
    "LLMUsageRow",
    "ReviewRow",
    "Store",
    "StoryArticleRow",
    "StoryRow",
    "SummaryRow",
    "UTCDateTime",
    "article_counts",
    "article_id_for_key",
    "count_rows",
    "current_revision",
    "due_pending",
    "engine_for",
    "entry_fingerprint",
    "fill_pending",
    "head_revision",
    "insert_article",
    "migrate",
    "migrations_dir",
    "open_store",
    "pending_counts",
    "record_page_attempt",
    "store_classification",
    "stored_entries",
    "sync_feeds",
    "update_article",
    "update_feeds",
    "utcnow",
]
