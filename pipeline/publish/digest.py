"""The daily digest: the day's stories, ranked, grouped, summarised, labelled and rendered.

A digest day is a calendar day in ``LUMI_TIMEZONE`` and covers the stories of the articles
*we fetched* that day (``articles.fetched_at``), whatever dates the feeds claim. Every
timestamp in the output comes from stored data, never the wall clock, so exporting the same
day twice gives byte-identical files; files are written atomically (temporary file, then
``os.replace``), so a reader never sees half a digest.

Ranking: license events and risk themes raise a story, more sources raise it a little; a
greedy re-rank then penalises actor types already shown, so one kind of actor does not fill
the page. Items are grouped into sections (licensing, risk, models, other) in rank order.
"""

from __future__ import annotations

import contextlib
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import GENERATOR_NAME, __version__
from pipeline.errors import ConfigError
from pipeline.publish.label import disclosure_for
from pipeline.publish.render import FORMATS, renderer
from pipeline.publish.render.i18n import SECTION_ORDER
from pipeline.publish.render.safety import clean_text, one_line
from pipeline.publish.review import ReviewRecord, item_id_for_story, latest_reviews
from pipeline.publish.stories import assign_stories, load_stories, story_texts
from pipeline.records import (
    ArticleText,
    Digest,
    DigestItem,
    DigestSource,
    Story,
    Summary,
    SummarySection,
)
from pipeline.settings import Settings
from pipeline.store import ArticleRow, ClassificationRow, Store

__all__ = [
    "RANK_WEIGHTS",
    "build_digest",
    "day_bounds",
    "digest_filename",
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


def _version_key(version: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", version)
    return (int(digits) if digits else 0, version)


def _classifications(
    session: Session, hashes: dict[int, str]
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """article id -> classifier name -> result list, for each article's current text.

    When several versions classified the same text, the newest version wins.
    """
    best: dict[tuple[int, str], tuple[tuple[int, str], int, Any]] = {}
    ids = list(hashes)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(
                ClassificationRow.id,
                ClassificationRow.article_id,
                ClassificationRow.classifier,
                ClassificationRow.version,
                ClassificationRow.content_hash,
                ClassificationRow.result,
            ).where(ClassificationRow.article_id.in_(chunk))
        )
        for row_id, article_id, name, version, content_hash, result in rows:
            if content_hash != hashes[article_id] or not isinstance(result, list):
                continue
            key = (article_id, name)
            rank = (_version_key(version), row_id, result)
            if key not in best or rank[:2] > best[key][:2]:
                best[key] = rank
    out: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for (article_id, name), (_, _, result) in best.items():
        out.setdefault(article_id, {})[name] = [r for r in result if isinstance(r, dict)]
    return out


def _cleaned(value: Any) -> Any:
    """``value`` with every string passed through :func:`clean_text` (feed text is untrusted)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def _merge_results(
    per_article: Sequence[dict[str, list[dict[str, Any]]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Merge the articles' results (oldest article first): actors by name, events by
    identity, themes by the highest score."""
    actors: dict[str, dict[str, Any]] = {}
    events: dict[tuple[Any, ...], dict[str, Any]] = {}
    themes: dict[str, dict[str, Any]] = {}
    for results in per_article:
        for actor in results.get("actors", []):
            name = actor.get("name")
            if isinstance(name, str) and name not in actors:
                actors[name] = {
                    "name": name,
                    "type": actor.get("type", "unknown"),
                    "evidence": actor.get("evidence", ""),
                }
        for event in results.get("license_events", []):
            fields = ("kind", "actor", "model", "from_license", "to_license")
            key = tuple(event.get(f) for f in fields)
            if event.get("kind") and key not in events:
                events[key] = {f: event.get(f) for f in fields}
                events[key]["evidence"] = event.get("evidence", "")
        for theme in results.get("risk_themes", []):
            name = theme.get("theme")
            score = float(theme.get("score", 0.0) or 0.0)
            if isinstance(name, str) and (name not in themes or score > themes[name]["score"]):
                themes[name] = {
                    "theme": name,
                    "score": round(score, 4),
                    "evidence": theme.get("evidence", ""),
                }
    ranked_themes = sorted(themes.values(), key=lambda t: (-t["score"], t["theme"]))
    return list(actors.values()), list(events.values()), ranked_themes


# --- summaries ---------------------------------------------------------------------------------


def _summaries(
    store: Store,
    stories: Sequence[Story],
    partial: dict[int, list[ArticleText]],
    settings: Settings,
) -> dict[int, Summary]:
    """Each story's summary.

    Stories wholly fetched by the end of the day get their stored summary (computed and
    stored on first use, paraphrased when configured). A story that grew after the day
    (``partial``: its texts up to the day's end) is summarised extractively from those
    texts alone, so an old day re-exported later still shows what was known that day.
    """
    from pipeline.publish.summarise import story_classification, summarise_stories, summarise_story

    whole = [s.id for s in stories if s.id not in partial]
    summaries = summarise_stories(store, whole, settings)
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


def _day_articles(session: Session, start: datetime, end: datetime) -> list[int]:
    return list(
        session.scalars(
            select(ArticleRow.id)
            .where(ArticleRow.fetched_at >= start, ArticleRow.fetched_at < end)
            .order_by(ArticleRow.id)
        )
    )


def build_digest(store: Store, day: date, settings: Settings) -> Digest:
    """Build the digest of ``day`` (a calendar day in ``settings.timezone``).

    Stories are those of the articles fetched that day; each story becomes one item with
    its summary (computed and stored on first use), merged classifier results, sources
    (articles fetched up to the end of the day), and its Article 50 disclosure (reviewed
    form only after a recorded approval naming an editor).

    Args:
        store: the open database.
        day: the digest day.
        settings: ``timezone``, ``language`` and ``ai_policy_url`` are used.

    Returns:
        The digest; its items are ranked and grouped by section.
    """
    start, end = day_bounds(day, settings.timezone)
    with store.session() as session:
        article_ids = _day_articles(session, start, end)
    assignments = assign_stories(store, article_ids, settings=settings)
    story_ids = sorted({a.story_id for a in assignments})
    items: list[DigestItem] = []
    latest_input = start
    with store.session() as session:
        stories = load_stories(session, story_ids)
        member_ids = [m.article_id for s in stories for m in s.members]
        rows = {
            row.id: row
            for chunk_start in range(0, len(member_ids), 500)
            for row in session.scalars(
                select(ArticleRow).where(
                    ArticleRow.id.in_(member_ids[chunk_start : chunk_start + 500])
                )
            )
        }
        # Articles fetched after the day ended are not part of it: re-exporting an old day
        # later gives the same digest.
        current = {aid: row for aid, row in rows.items() if row.fetched_at < end}
        results = _classifications(session, {aid: r.content_hash for aid, r in current.items()})
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
    articles: dict[int, ArticleRow],
    results: dict[int, dict[str, list[dict[str, Any]]]],
    summary: Summary,
    review: ReviewRecord | None,
    settings: Settings,
    *,
    generated_at: datetime,
) -> DigestItem:
    actors, events, themes = _cleaned(
        list(_merge_results([results.get(aid, {}) for aid in members]))
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


def write_digest(
    store: Store,
    day: date,
    settings: Settings,
    *,
    formats: Sequence[str] = FORMATS,
    out_dir: Path,
) -> list[Path]:
    """Build the digest of ``day`` and write it as ``lumi-digest-YYYY-MM-DD.<fmt>`` files.

    Every file is rendered first, then each is written atomically; the same stored data
    always gives byte-identical files.

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
    wanted = list(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ConfigError(
            f"unknown digest format(s) {', '.join(unknown) or '(none given)'}: "
            f"choose from {', '.join(FORMATS)}"
        )
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
