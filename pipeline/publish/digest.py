"""The daily digest: the day's stories, ranked, grouped, summarised, labelled and rendered.

A digest day is a calendar day in ``LUMI_TIMEZONE`` and covers the stories of the articles
*we fetched* that day (``articles.fetched_at``), whatever dates the feeds claim. Every
timestamp in the output comes from stored data, never the wall clock, so exporting the same
day twice gives byte-identical files; files are written atomically (temporary file, then
``os.replace``), so a reader never sees half a digest.

Building a digest only reads the store; :func:`prepare_day` runs the stages it reads (story
grouping and summaries) first, as ``lumi digest`` and the scheduled digest do.

Ranking: license events and risk themes raise a story, more sources raise it a little; a
greedy re-rank then penalises actor types already shown, so one kind of actor does not fill
the page. Items are grouped into sections (licensing, risk, models, other) in rank order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from classifiers.api import Classification, merge
from pipeline import GENERATOR_NAME, __version__
from pipeline.errors import ConfigError
from pipeline.publish.label import disclosure_for
from pipeline.publish.render import FORMATS, renderer
from pipeline.publish.render.i18n import SECTION_ORDER
from pipeline.publish.render.safety import clean_text, one_line
from pipeline.publish.review import item_id_for_story
from pipeline.publish.stories import assign_stories
from pipeline.records import (
    ArticleText,
    Digest,
    DigestItem,
    DigestSource,
    ReviewRecord,
    StoredArticle,
    Story,
    Summary,
    SummarySection,
)
from pipeline.settings import Settings
from pipeline.store import (
    Store,
    Transaction,
    article_ids_fetched_between,
    current_classifications,
    latest_reviews,
    load_stories,
    stored_articles,
    story_memberships,
    story_texts,
)

__all__ = [
    "RANK_WEIGHTS",
    "PreparedDay",
    "build_digest",
    "day_bounds",
    "digest_filename",
    "digest_formats",
    "prepare_day",
    "rank_items",
    "section_for",
    "write_digest",
]

#: Weights of the ranking score (see :func:`rank_items`).
RANK_WEIGHTS = {
    "license_event": 3.0,  # per license event, at most two count
    "risk_theme": 1.0,  # times the theme's score, at most three themes count
    "actors": 0.5,  # the story names at least one actor
    "sources": 0.3,  # times log(1 + number of sources)
    "repeat_actor_type": 0.8,  # diversity penalty per earlier item of the same actor type
}


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The aware UTC bounds ``[start, end)`` of calendar ``day`` in ``timezone``."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def digest_filename(day: date, fmt: str) -> str:
    """``lumi-digest-YYYY-MM-DD.<fmt>``."""
    return f"lumi-digest-{day.isoformat()}.{fmt}"


def section_for(
    license_events: Sequence[Any], risk_themes: Sequence[Any], actors: Sequence[Any]
) -> str:
    """The section an item belongs to: ``licensing``, ``risk``, ``models`` or ``other``."""
    if license_events:
        return "licensing"
    if risk_themes:
        return "risk"
    if actors:
        return "models"
    return "other"


# --- classification results ------------------------------------------------------------------


def _cleaned(value: Any) -> Any:
    """``value`` with every string passed through :func:`clean_text` (feed text is untrusted)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


_EVENT_FIELDS = ("kind", "actor", "model", "from_license", "to_license")


def _merged_results(
    per_article: Sequence[Sequence[Classification]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The story's actors, license events and risk themes in the digest's shape, merged
    (oldest article first) by :func:`classifiers.api.merge`, as the summariser does."""
    merged = merge(per_article)
    actors = [
        {"name": a.name, "type": a.type, "evidence": a.evidence} for a in merged.get("actors", ())
    ]
    events = [
        {**{f: getattr(e, f) for f in _EVENT_FIELDS}, "evidence": e.evidence}
        for e in merged.get("license_events", ())
        if e.kind
    ]
    themes = [t.to_json() for t in merged.get("risk_themes", ())]
    return actors, events, themes


# --- summaries ---------------------------------------------------------------------------------


def _summaries(
    store: Store,
    stories: Sequence[Story],
    partial: dict[int, list[ArticleText]],
    settings: Settings,
) -> dict[int, Summary]:
    """Each story's summary, read only.

    Stories wholly fetched by the end of the day get their stored summary (paraphrased when
    configured; see :func:`~pipeline.publish.summaries.stored_summaries`). A story that grew
    after the day (``partial``: its texts up to the day's end) is summarised extractively
    from those texts alone, so an old day re-exported later still shows what was known that
    day.
    """
    from pipeline.publish.summaries import stored_summaries
    from pipeline.publish.summarise import story_classification, summarise_story

    whole = [s.id for s in stories if s.id not in partial]
    summaries = stored_summaries(store, whole, settings)
    with store.session() as session:
        for story_id, texts in partial.items():
            ids = [t.article_id for t in texts if t.article_id is not None]
            summaries[story_id] = summarise_story(texts, story_classification(session, ids))
    return summaries


# --- ranking -------------------------------------------------------------------------------------


def _theme_score(theme: dict[str, object]) -> float:
    value = theme.get("score")
    return min(float(value), 1.0) if isinstance(value, int | float) else 0.0


def _base_score(item: DigestItem) -> float:
    w = RANK_WEIGHTS
    score = w["license_event"] * min(len(item.license_events), 2)
    score += w["risk_theme"] * sum(_theme_score(t) for t in item.risk_themes[:3])
    score += w["actors"] * (1.0 if item.actors else 0.0)
    score += w["sources"] * math.log1p(len(item.sources))
    return score


def _actor_types(item: DigestItem) -> tuple[str, ...]:
    return tuple(sorted({str(a.get("type", "unknown")) for a in item.actors})) or ("none",)


def rank_items(items: Iterable[DigestItem]) -> list[DigestItem]:
    """Order items by score with a greedy diversity re-rank over actor types.

    Each pick takes the item with the highest ``score - penalty``, where the penalty is
    ``RANK_WEIGHTS["repeat_actor_type"]`` times the mean number of earlier picks sharing
    each of its actor types. Penalties only grow, so a lazy heap finds each pick without
    rescoring everything. Ties break on the item id, so the order is deterministic.
    """
    items = list(items)
    seen: Counter[str] = Counter()
    penalty = RANK_WEIGHTS["repeat_actor_type"]
    types = [_actor_types(item) for item in items]
    base = [_base_score(item) for item in items]

    def value(index: int) -> float:
        kinds = types[index]
        return base[index] - penalty * sum(seen[k] for k in kinds) / len(kinds)

    def tiebreak(index: int) -> tuple[int, str]:
        ident = items[index].id
        digits = re.sub(r"\D", "", ident)
        return (int(digits) if digits else 0, ident)

    heap = [(-value(i), tiebreak(i), i) for i in range(len(items))]
    heapq.heapify(heap)
    ordered: list[DigestItem] = []
    while heap:
        _, tie, index = heapq.heappop(heap)
        current = -value(index)
        if heap and (current, tie) > heap[0][:2]:
            heapq.heappush(heap, (current, tie, index))  # stale: its value dropped
            continue
        ordered.append(items[index])
        seen.update(types[index])
    return ordered


# --- building -----------------------------------------------------------------------------------


def _site_of(site: str | None, url: str | None, fallback: str) -> str:
    if site and site.strip():
        return " ".join(site.split())
    if url:
        with contextlib.suppress(ValueError):
            host = urlsplit(url).hostname
            if host:
                return host
    return fallback


def _day_stories(
    session: Transaction, start: datetime, end: datetime
) -> tuple[list[Story], dict[int, StoredArticle]]:
    """The stories of the articles fetched in ``[start, end)`` and their member articles
    fetched before ``end``."""
    article_ids = article_ids_fetched_between(session, start, end)
    story_ids = sorted({m.story_id for m in story_memberships(session, article_ids).values()})
    stories = load_stories(session, story_ids)
    members = stored_articles(session, [m.article_id for s in stories for m in s.members])
    # Articles fetched after the day ended are not part of it: re-exporting an old day
    # later gives the same digest.
    return stories, {aid: a for aid, a in members.items() if a.fetched_at < end}


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedDay:
    """What :func:`prepare_day` did: ``articles`` newly grouped into ``stories`` stories,
    and how many stories it ``summarised``."""

    articles: int
    stories: int
    summarised: int

    def describe(self) -> str:
        """One line for the operator."""
        return (
            f"grouped {self.articles} articles into {self.stories} stories, "
            f"summarised {self.summarised}"
        )


def prepare_day(store: Store, day: date, settings: Settings) -> PreparedDay:
    """Run the stages a day's digest reads: group the day's articles into stories and
    summarise the day's stories that lack a summary of their current inputs.

    The articles are those fetched on ``day`` (in ``settings.timezone``) that have no story
    yet (an assigned article whose text changed has its signature refreshed); summaries are
    made for the stories wholly fetched by the end of the day (one that grew later is
    summarised from that day's texts when the digest is built), paraphrased when configured,
    so this may spend LLM tokens. Running it again changes nothing.

    Returns:
        The counts, for :meth:`PreparedDay.describe`.
    """
    from pipeline.publish.summaries import summarise_stories, unsummarised

    start, end = day_bounds(day, settings.timezone)
    with store.session() as session:
        article_ids = article_ids_fetched_between(session, start, end)
    grouped = [a for a in assign_stories(store, article_ids, settings=settings) if a.assigned_now]
    with store.session() as session:
        stories, current = _day_stories(session, start, end)
    whole = [s.id for s in stories if all(m.article_id in current for m in s.members)]
    missing = unsummarised(store, whole, settings)
    summarise_stories(store, missing, settings)
    return PreparedDay(len(grouped), len({a.story_id for a in grouped}), len(missing))


def build_digest(store: Store, day: date, settings: Settings) -> Digest:
    """Build the digest of ``day`` (a calendar day in ``settings.timezone``).

    Only reads: stories are those the day's articles were grouped into (an article without
    a story yet is left out: :func:`prepare_day` groups and summarises first); each story
    becomes one item with its stored summary, merged classifier results, sources (articles
    fetched up to the end of the day), and its Article 50 disclosure (reviewed form only
    after a recorded approval naming an editor).

    Args:
        store: the open database.
        day: the digest day.
        settings: ``timezone``, ``language`` and ``ai_policy_url`` are used.

    Returns:
        The digest; its items are ranked and grouped by section.
    """
    start, end = day_bounds(day, settings.timezone)
    items: list[DigestItem] = []
    latest_input = start
    with store.session() as session:
        stories, current = _day_stories(session, start, end)
        results = current_classifications(session, list(current))
        reviews = latest_reviews(session, [item_id_for_story(s.id) for s in stories])
        partial = {
            s.id: [t for t in story_texts(session, s.id) if t.article_id in current]
            for s in stories
            if any(m.article_id not in current for m in s.members)
        }
    summaries = _summaries(store, stories, partial, settings)
    for story in stories:
        members = [m.article_id for m in story.members if m.article_id in current]
        summary = summaries.get(story.id)
        if not members or summary is None:
            continue
        fetched = max(current[aid].fetched_at for aid in members)
        latest_input = max(latest_input, fetched)
        item_id = item_id_for_story(story.id)
        items.append(
            _item(
                story,
                members,
                current,
                results,
                summary,
                reviews.get(item_id),
                settings,
                generated_at=summary.created_at or fetched,
            )
        )
    ranked = rank_items(items)
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    grouped = sorted(ranked, key=lambda item: order.get(item.section, len(order)))
    updated = max(
        [latest_input]
        + [i.disclosure.generated_at for i in grouped]
        + [i.disclosure.human_review.reviewed_at for i in grouped if i.disclosure.human_review],
    )
    return Digest(
        day=day,
        generator_name=GENERATOR_NAME,
        generator_version=__version__,
        language=settings.language,
        timezone=settings.timezone,
        policy_url=settings.ai_policy_url,
        items=tuple(grouped),
        updated=updated,
    )


def _item(
    story: Story,
    members: list[int],
    articles: dict[int, StoredArticle],
    results: dict[int, tuple[Classification, ...]],
    summary: Summary,
    review: ReviewRecord | None,
    settings: Settings,
    *,
    generated_at: datetime,
) -> DigestItem:
    actors, events, themes = _cleaned(
        list(_merged_results([results.get(aid, ()) for aid in members]))
    )
    sources: list[DigestSource] = []
    seen_urls: set[str | None] = set()
    for src in story.sources:
        if src.article_id not in articles:
            continue
        article = articles[src.article_id]
        # the canonical URL: the same page reached with tracking parameters is one source
        url = article.canonical_url or src.url or article.url
        if url in seen_urls:
            continue
        seen_urls.add(url)
        site = _site_of(one_line(src.site), url, src.feed_id)
        sources.append(DigestSource(site, clean_text(url) or None, src.published))
    if not sources:  # an article without a feed entry (inserted directly)
        for aid in members:
            article = articles[aid]
            url = article.canonical_url or article.url
            published = article.published_feed or article.published_extracted
            site = _site_of(one_line(article.site_name), url, "")
            sources.append(DigestSource(site, clean_text(url) or None, published))
    first = articles[members[0]]
    disclosure = disclosure_for(
        summary.method,
        review=review if review is not None and review.covers(summary) else None,
        settings=settings,
        generated_at=generated_at,
        model=summary.model,
    )
    # no text arrived for any source: there is nothing to summarise, only a title to show
    title_only = all(articles[aid].pending_text for aid in members)
    return DigestItem(
        id=item_id_for_story(story.id),
        section=section_for(events, themes, actors),
        title=one_line(story.title or first.title),
        at_a_glance="" if title_only else clean_text(summary.at_a_glance).strip(),
        sections=()
        if title_only
        else tuple(
            SummarySection(one_line(s.heading), clean_text(s.text).strip())
            for s in summary.sections
        ),
        sources=tuple(sources),
        actors=tuple(actors),
        license_events=tuple(events),
        risk_themes=tuple(themes),
        disclosure=disclosure,
        language=first.language,
        teaser_only=all(articles[aid].is_teaser for aid in members),
        title_only=title_only,
        summary_check={
            "method": summary.method,
            "model": summary.model,
            "ngram_overlap": summary.ngram_overlap,
        },
    )


# --- writing -------------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def digest_formats(formats: Sequence[str]) -> list[str]:
    """The asked-for formats, normalised and without repeats.

    Raises:
        ConfigError: a format is unknown, or none was given.
    """
    wanted = list(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ConfigError(
            f"unknown digest format(s) {', '.join(unknown) or '(none given)'}: "
            f"choose from {', '.join(FORMATS)}"
        )
    return wanted


def write_digest(
    store: Store,
    day: date,
    settings: Settings,
    *,
    formats: Sequence[str] = FORMATS,
    out_dir: Path,
) -> list[Path]:
    """Build the digest of ``day`` and write it as ``lumi-digest-YYYY-MM-DD.<fmt>`` files.

    Reads the store only (see :func:`build_digest`; :func:`prepare_day` runs the stages
    first). Every file is rendered first, then each is written atomically; the same stored
    data always gives byte-identical files.

    Args:
        store: the open database.
        day: the digest day (calendar day in ``settings.timezone``).
        settings: effective settings.
        formats: any of ``md``, ``html``, ``json``, ``atom`` (default all, in that order).
        out_dir: the folder to write to (created when missing).

    Returns:
        The written paths, in the order of ``formats``.

    Raises:
        ConfigError: an unknown format was asked for.
    """
    wanted = digest_formats(formats)
    digest = build_digest(store, day, settings)
    rendered = [(fmt, renderer(fmt)(digest)) for fmt in wanted]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, data in rendered:
        path = out_dir / digest_filename(day, fmt)
        _write_atomic(path, data)
        paths.append(path)
    return paths
