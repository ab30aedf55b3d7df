"""The digest: the stories first published on a day (or days), ranked, grouped, summarised,
labelled and rendered.

A digest day is a calendar day in ``LUMI_TIMEZONE``. A story belongs to the day it was first
published: the earliest publication time of its articles (the feed's date, else the page's,
else the time we first fetched it; a date in the future of the fetch counts as the fetch).
So ``lumi digest --date D`` works for any day of the archive, a first fetch of a feed's
back catalogue does not flood today's digest, and a story published on D but fetched days
later is in D's digest. ``--days N`` covers the N days ending on D. An article of a story
published after the digest's last day is not part of it.

Every timestamp in the output comes from stored data, never the wall clock, so exporting the
same stored data twice gives byte-identical files; files are written atomically (temporary
file, then ``os.replace``), so a reader never sees half a digest.

Building a digest only reads the store; :func:`prepare_day` runs the stages it reads (story
grouping and summaries) first, as ``lumi digest`` and the scheduled digest do.

Ranking: license events and risk themes raise a story, more sources raise it a little; a
greedy re-rank then penalises actor types already shown, so one kind of actor does not fill
the page. The best ``LUMI_DIGEST_MAX_ITEMS`` stories are full items, grouped into sections
(licensing, risk, models, other) in rank order; the rest are headlines (title and links, no
summary, so no model is asked to write them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import tempfile
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from classifiers.api import Classification, merge
from pipeline import __version__
from pipeline.errors import ConfigError, ExportError
from pipeline.faults import kill_point
from pipeline.ingest.urls import canonical_url
from pipeline.publish.label import disclosure_for, generator_version
from pipeline.publish.render import FORMATS, renderer
from pipeline.publish.render.i18n import SECTION_ORDER
from pipeline.publish.render.safety import clean_text, one_line
from pipeline.publish.review import item_id_for_story
from pipeline.publish.stories import assign_stories
from pipeline.records import (
    ArticleText,
    Digest,
    DigestHeadline,
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
    article_ids_unassigned_between,
    current_classifications,
    first_seen_range,
    latest_reviews,
    stored_articles,
    stories_first_seen_between,
    story_texts,
)

__all__ = [
    "RANK_WEIGHTS",
    "PreparedDay",
    "build_digest",
    "day_bounds",
    "digest_filename",
    "digest_formats",
    "is_off_topic",
    "period_bounds",
    "prepare_day",
    "rank_items",
    "section_for",
    "story_days",
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
    return period_bounds(day, 1, timezone)


def period_bounds(day: date, days: int, timezone: str) -> tuple[datetime, datetime]:
    """The aware UTC bounds ``[start, end)`` of the ``days`` calendar days ending on ``day``
    in ``timezone``.

    Raises:
        ConfigError: ``days`` is less than 1.
    """
    if days < 1:
        raise ConfigError(f"--days must be 1 or more, not {days}")
    zone = ZoneInfo(timezone)
    start = datetime.combine(day - timedelta(days=days - 1), time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def digest_filename(day: date, fmt: str, *, days: int = 1) -> str:
    """``lumi-digest-YYYY-MM-DD.<fmt>``; over several days
    ``lumi-digest-<first day>--<last day>.<fmt>``."""
    if days > 1:
        first = day - timedelta(days=days - 1)
        return f"lumi-digest-{first.isoformat()}--{day.isoformat()}.{fmt}"
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


_EVENT_FIELDS = ("kind", "actor", "model", "subject_kind", "from_license", "to_license")


@dataclasses.dataclass(frozen=True, slots=True)
class _Merged:
    """A story's classifier results in the digest's shape."""

    actors: list[dict[str, Any]]
    events: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    relevance: dict[str, Any] | None  # None: no article was scored for relevance


def _merged_results(per_article: Sequence[Sequence[Classification]]) -> _Merged:
    """The story's results in the digest's shape, merged (oldest article first) by
    :func:`classifiers.api.merge`, as the summariser does.

    Actors are listed subject first (the organisations that release, announce or are the
    story's subject), then those only mentioned; an organisation that is the subject of one
    article is a subject of the story. The story's relevance is its most relevant
    article's.
    """
    merged = merge(per_article)
    subjects = {
        a.name
        for classifications in per_article
        for c in classifications
        for a in c.results
        if c.output_key == "actors" and getattr(a, "role", "subject") == "subject"
    }
    actors = [
        {
            "name": a.name,
            "type": a.type,
            "role": "subject" if a.name in subjects else "mentioned",
            "evidence": a.evidence,
        }
        for a in merged.get("actors", ())
    ]
    actors.sort(key=lambda a: a["role"] != "subject")  # stable: first-seen order kept
    events = [
        {**{f: getattr(e, f) for f in _EVENT_FIELDS}, "evidence": e.evidence}
        for e in merged.get("license_events", ())
        if e.kind
    ]
    themes = [t.to_json() for t in merged.get("risk_themes", ())]
    relevance = merged.get("relevance", ())
    return _Merged(actors, events, themes, relevance[0].to_json() if relevance else None)


def is_off_topic(per_article: Sequence[Sequence[Classification]]) -> bool:
    """Whether the relevance classifier found a story (its articles' classifications)
    outside AI-industry news: no article is relevant. A story none of whose articles was
    scored for relevance (classified before the classifier existed) is kept."""
    # read through the JSON shape, so results stored by a relevance version that is no
    # longer registered still count
    verdicts = [
        bool(r.to_json().get("relevant", True))
        for classifications in per_article
        for c in classifications
        if c.output_key == "relevance"
        for r in c.results
    ]
    return bool(verdicts) and not any(verdicts)


# --- summaries ---------------------------------------------------------------------------------


def _summaries(
    store: Store,
    stories: Sequence[Story],
    partial: dict[int, list[ArticleText]],
    settings: Settings,
) -> dict[int, Summary]:
    """Each story's summary, read only.

    A story whose articles all belong to the digest's period gets its stored summary
    (paraphrased when configured; see :func:`~pipeline.publish.summaries.stored_summaries`).
    A story that grew after the period (``partial``: its texts published up to the period's
    end) is summarised extractively from those texts alone, so a day's digest shows that
    day's story, whatever was published about it later.
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


class Rankable(Protocol):
    """What :func:`rank_items` reads of an item."""

    @property
    def id(self) -> str: ...

    @property
    def actors(self) -> Sequence[dict[str, object]]: ...

    @property
    def license_events(self) -> Sequence[dict[str, object]]: ...

    @property
    def risk_themes(self) -> Sequence[dict[str, object]]: ...

    @property
    def sources(self) -> Sequence[DigestSource]: ...


_R = TypeVar("_R", bound=Rankable)


def _theme_score(theme: dict[str, object]) -> float:
    value = theme.get("score")
    return min(float(value), 1.0) if isinstance(value, int | float) else 0.0


def _base_score(item: Rankable) -> float:
    w = RANK_WEIGHTS
    score = w["license_event"] * min(len(item.license_events), 2)
    score += w["risk_theme"] * sum(_theme_score(t) for t in list(item.risk_themes)[:3])
    score += w["actors"] * (1.0 if item.actors else 0.0)
    score += w["sources"] * math.log1p(len(item.sources))
    return score


def _actor_types(item: Rankable) -> tuple[str, ...]:
    return tuple(sorted({str(a.get("type", "unknown")) for a in item.actors})) or ("none",)


def rank_items(items: Iterable[_R]) -> list[_R]:
    """Order items by score with a greedy diversity re-rank over actor types.

    Each pick takes the item with the highest ``score - penalty``, where the penalty is
    ``RANK_WEIGHTS["repeat_actor_type"]`` times the mean number of earlier picks sharing
    each of its actor types. Items with the same actor types share one penalty at every
    step, so their order among themselves never changes: each pick is the best of the heads
    of those groups, which keeps a day of thousands of stories of few actor types linear
    (a lazy heap re-scored every such story at each pick). Ties break on the item id, so
    the order is deterministic. The score reads classifier results and sources only, never
    the summary, so stories are ranked before any is summarised.
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

    ties = [tiebreak(i) for i in range(len(items))]
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, kinds in enumerate(types):
        groups.setdefault(kinds, []).append(index)
    queues = [
        deque(sorted(members, key=lambda i: (-base[i], ties[i]))) for members in groups.values()
    ]
    ordered: list[_R] = []
    while queues:
        best = min(queues, key=lambda queue: (-value(queue[0]), ties[queue[0]]))
        index = best.popleft()
        ordered.append(items[index])
        seen.update(types[index])
        if not best:
            queues.remove(best)
    return ordered


# --- the period's stories -------------------------------------------------------------------


def _host(url: str | None) -> str | None:
    if not url:
        return None
    with contextlib.suppress(ValueError):
        return urlsplit(url).hostname or None
    return None


def _site_of(site: str | None, url: str | None) -> str:
    """The publisher's name as the page gives it, else the domain of the article URL."""
    if site and site.strip():
        return " ".join(site.split())
    return _host(url) or ""


def _period_stories(
    session: Transaction, start: datetime, end: datetime
) -> tuple[list[Story], dict[int, StoredArticle]]:
    """The stories first published in ``[start, end)`` and their member articles published
    before ``end`` (a story's later coverage belongs to no earlier digest)."""
    stories = stories_first_seen_between(session, start, end)
    wanted = [m.article_id for s in stories for m in s.members if m.published < end]
    return stories, stored_articles(session, wanted)


@dataclasses.dataclass(frozen=True, slots=True)
class _Candidate:
    """A story of the period as ranking and the headline list see it (no summary yet)."""

    story: Story
    members: tuple[int, ...]
    id: str
    section: str
    title: str
    sources: tuple[DigestSource, ...]
    actors: tuple[dict[str, Any], ...]
    license_events: tuple[dict[str, Any], ...]
    risk_themes: tuple[dict[str, Any], ...]
    relevance: dict[str, Any] | None
    off_topic: bool

    @property
    def partial(self) -> bool:
        """Some of the story's articles were published after the period."""
        return len(self.members) < len(self.story.members)


def _source_key(url: str | None) -> str | None:
    """The canonical URL a source is deduplicated by (tracking parameters dropped)."""
    if not url:
        return None
    return canonical_url(url) or url


def _sources(
    story: Story, members: Sequence[int], articles: dict[int, StoredArticle]
) -> tuple[DigestSource, ...]:
    """The story's sources in the period: one per canonical URL, the earliest first."""
    sources: list[DigestSource] = []
    seen: set[str] = set()

    def add(site: str | None, url: str | None, published: datetime | None, key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        sources.append(
            DigestSource(_site_of(one_line(site), url), clean_text(url) or None, published)
        )

    for src in story.sources:
        article = articles.get(src.article_id)
        if article is None:
            continue
        # the article's canonical URL keeps an anchor's fragment; a feed URL is made canonical
        url = article.canonical_url or src.url or article.url
        key = article.canonical_url or _source_key(src.url or article.url) or f"#{article.id}"
        add(article.site_name or src.site, url, src.published, key)
    if not sources:  # articles without a feed entry (inserted directly)
        for aid in members:
            article = articles[aid]
            url = article.canonical_url or article.url
            published = article.published_feed or article.published_extracted
            add(article.site_name, url, published, _source_key(url) or f"#{aid}")
    return tuple(sources)


def _candidates(
    session: Transaction,
    stories: Sequence[Story],
    current: dict[int, StoredArticle],
    *,
    include_off_topic: bool,
) -> tuple[list[_Candidate], int]:
    """The period's stories as ranked candidates (on-topic first, then the stories outside
    AI-industry news when ``include_off_topic``) and how many of those were left out."""
    members = {s.id: [m.article_id for m in s.members if m.article_id in current] for s in stories}
    results = current_classifications(session, [a for ids in members.values() for a in ids])
    on_topic: list[_Candidate] = []
    off_topic: list[_Candidate] = []
    left_out = 0
    for story in stories:
        ids = members[story.id]
        if not ids:
            continue
        per_article = [results.get(a, ()) for a in ids]
        outside = is_off_topic(per_article)
        if outside and not include_off_topic:
            left_out += 1
            continue
        merged = _merged_results(per_article)
        actors, events, themes = _cleaned([merged.actors, merged.events, merged.themes])
        candidate = _Candidate(
            story=story,
            members=tuple(ids),
            id=item_id_for_story(story.id),
            section="off_topic" if outside else section_for(events, themes, actors),
            title=one_line(story.title or current[ids[0]].title),
            sources=_sources(story, ids, current),
            actors=tuple(actors),
            license_events=tuple(events),
            risk_themes=tuple(themes),
            relevance=_cleaned(merged.relevance),
            off_topic=outside,
        )
        (off_topic if outside else on_topic).append(candidate)
    return rank_items(on_topic) + rank_items(off_topic), left_out


def _by_section(entries: Sequence[Any]) -> list[Any]:
    """``entries`` in section order, rank order kept within a section."""
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    return sorted(entries, key=lambda entry: order.get(entry.section, len(order)))


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


def prepare_day(
    store: Store,
    day: date,
    settings: Settings,
    *,
    days: int = 1,
    include_off_topic: bool = False,
) -> PreparedDay:
    """Run the stages a digest reads: group the period's articles into stories and summarise
    the stories it will show in full that lack a summary of their current inputs.

    The period is the ``days`` calendar days ending on ``day`` (in ``settings.timezone``).
    Grouped are the articles without a story yet that were published (or fetched) in the
    period or in the story window before it (``LUMI_STORY_WINDOW_DAYS``), whatever day they
    were fetched, so a story's earlier coverage is grouped before it and dates it; an
    assigned article of the period whose text changed has its signature refreshed.
    Summarised are only the best-ranked ``settings.digest_max_items`` stories whose articles
    all belong to the period (one that grew later is summarised from the period's texts when
    the digest is built): the headline list costs no summary, so no LLM tokens. Stories the
    relevance classifier found outside AI-industry news are not summarised unless
    ``include_off_topic`` (``lumi digest --all``). Running it again changes nothing.

    Returns:
        The counts, for :meth:`PreparedDay.describe`.
    """
    from pipeline.publish.summaries import summarise_missing

    start, end = period_bounds(day, days, settings.timezone)
    window = timedelta(days=settings.story_window_days)
    with store.session() as session:
        fresh = article_ids_unassigned_between(session, start - window, end)
        stories, current = _period_stories(session, start, end)
    grouped = [
        a for a in assign_stories(store, [*fresh, *current], settings=settings) if a.assigned_now
    ]
    with store.session() as session:
        stories, current = _period_stories(session, start, end)
        ranked, _ = _candidates(session, stories, current, include_off_topic=include_off_topic)
    shown = [c.story.id for c in ranked[: settings.digest_max_items] if not c.partial]
    missing = summarise_missing(store, shown, settings)
    return PreparedDay(len(grouped), len({a.story_id for a in grouped}), len(missing))


def build_digest(
    store: Store,
    day: date,
    settings: Settings,
    *,
    days: int = 1,
    include_off_topic: bool = False,
) -> Digest:
    """Build the digest of ``day``, or of the ``days`` days ending on it (calendar days in
    ``settings.timezone``).

    Only reads: the stories are those first published in the period (an article without a
    story yet is left out: :func:`prepare_day` groups and summarises first). The best-ranked
    ``settings.digest_max_items`` become full items, each with its summary, merged
    classifier results, sources (its articles published by the period's end, one per
    canonical URL) and its Article 50 disclosure (reviewed form only after a recorded
    approval naming an editor); the rest become headlines (title and sources).

    Args:
        store: the open database.
        day: the digest's (last) day.
        settings: ``timezone``, ``language``, ``digest_max_items``, ``publication_name``,
            ``generator_name`` and ``ai_policy_url`` are used.
        days: how many days the digest covers, ending on ``day``.
        include_off_topic: also list the stories the relevance classifier found outside
            AI-industry news (in the ``off_topic`` section, last); by default they are left
            out and only counted (``Digest.left_out``).

    Returns:
        The digest; its items and headlines are ranked and grouped by section.
    """
    start, end = period_bounds(day, days, settings.timezone)
    with store.session() as session:
        stories, current = _period_stories(session, start, end)
        ranked, left_out = _candidates(
            session, stories, current, include_off_topic=include_off_topic
        )
        full = ranked[: settings.digest_max_items]
        rest = ranked[settings.digest_max_items :]
        reviews = latest_reviews(session, [c.id for c in full])
        partial = {
            c.story.id: [t for t in story_texts(session, c.story.id) if t.article_id in current]
            for c in full
            if c.partial
        }
    summaries = _summaries(store, [c.story for c in full], partial, settings)
    items: list[DigestItem] = []
    for candidate in full:
        summary = summaries.get(candidate.story.id)
        if summary is None:  # a story without any text to summarise: a headline
            rest.append(candidate)
            continue
        fetched = max(current[aid].fetched_at for aid in candidate.members)
        items.append(
            _item(
                candidate,
                current,
                summary,
                reviews.get(candidate.id),
                settings,
                generated_at=summary.created_at or fetched,
            )
        )
    rank = {c.id: i for i, c in enumerate(ranked)}
    headlines = [
        DigestHeadline(c.id, c.section, c.title, c.sources)
        for c in sorted(rest, key=lambda c: rank[c.id])
    ]
    shown = [*full, *rest]
    updated = max(
        [start]
        + [current[aid].fetched_at for c in shown for aid in c.members]
        + [i.disclosure.generated_at for i in items]
        + [i.disclosure.human_review.reviewed_at for i in items if i.disclosure.human_review],
    )
    return Digest(
        day=day,
        generator_name=settings.generator_name,
        generator_version=generator_version(__version__),
        language=settings.language,
        timezone=settings.timezone,
        policy_url=settings.ai_policy_url,
        items=tuple(_by_section(items)),
        updated=updated,
        left_out=left_out,
        first_day=day - timedelta(days=days - 1) if days > 1 else None,
        headlines=tuple(_by_section(headlines)),
        publication_name=settings.publication_name,
    )


def _item(
    candidate: _Candidate,
    articles: dict[int, StoredArticle],
    summary: Summary,
    review: ReviewRecord | None,
    settings: Settings,
    *,
    generated_at: datetime,
) -> DigestItem:
    members = candidate.members
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
        id=candidate.id,
        section=candidate.section,
        title=candidate.title,
        at_a_glance="" if title_only else clean_text(summary.at_a_glance).strip(),
        sections=()
        if title_only
        else tuple(
            SummarySection(one_line(s.heading), clean_text(s.text).strip())
            for s in summary.sections
            if s.heading.strip() or s.text.strip()
        ),
        sources=candidate.sources,
        actors=candidate.actors,
        license_events=candidate.license_events,
        risk_themes=candidate.risk_themes,
        disclosure=disclosure,
        language=articles[members[0]].language,
        teaser_only=all(articles[aid].is_teaser for aid in members),
        title_only=title_only,
        relevance=candidate.relevance,
        summary_check={
            "method": summary.method,
            "model": summary.model,
            "ngram_overlap": summary.ngram_overlap,
        },
    )


def story_days(store: Store, timezone: str) -> tuple[date, date] | None:
    """The first and the last day (in ``timezone``) on which a stored story was first
    published: the span of days whose digests hold anything (None when there is no story)."""
    with store.session() as session:
        span = first_seen_range(session)
    if span is None:
        return None
    zone = ZoneInfo(timezone)
    return span[0].astimezone(zone).date(), span[1].astimezone(zone).date()


# --- writing -------------------------------------------------------------------------------------


#: A temporary export file older than this was left by a process killed mid-export (an
#: export takes seconds); younger ones may belong to another instance writing right now.
STALE_TEMP_SECONDS = 3600


def _sweep_stale_temps(path: Path) -> None:
    """Remove the temporary files a killed export of ``path`` left behind."""
    cutoff = datetime.now().timestamp() - STALE_TEMP_SECONDS
    with contextlib.suppress(OSError):
        for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()


def _write_export(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file of one export, or none of them.

    Each file goes to a temporary file in its folder first (flushed to disk); only when all
    are written are they moved into place with os.replace. A failure on the way (folder
    read-only, disk full) removes the temporary files and leaves the previous export as it
    was: no half-written or mixed export is ever visible.
    """
    for path, _ in files:
        _sweep_stale_temps(path)
    temps: list[str] = []
    try:
        for path, data in files:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append(tmp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
        for index, ((path, _), tmp) in enumerate(zip(files, temps, strict=True)):
            if index:
                kill_point("during-export")
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
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
    days: int = 1,
    include_off_topic: bool = False,
) -> list[Path]:
    """Build the digest of ``day`` (or of the ``days`` days ending on it) and write it as
    ``lumi-digest-YYYY-MM-DD.<fmt>`` files (``lumi-digest-<first>--<last>.<fmt>`` over
    several days).

    Reads the store only (see :func:`build_digest`; :func:`prepare_day` runs the stages
    first). Every file is rendered first, then all are written together, all or none
    (:func:`_write_export`); the same stored data always gives byte-identical files.

    Args:
        store: the open database.
        day: the digest's (last) day (calendar day in ``settings.timezone``).
        settings: effective settings.
        formats: any of ``md``, ``html``, ``json``, ``atom`` (default all, in that order).
        out_dir: the folder to write to (created when missing).
        days: how many days the digest covers, ending on ``day``.
        include_off_topic: also list stories outside AI-industry news (see
            :func:`build_digest`).

    Returns:
        The written paths, in the order of ``formats``.

    Raises:
        ConfigError: an unknown format was asked for, or ``days`` is less than 1.
        ExportError: ``out_dir`` cannot be created or written (not a folder, read-only,
            full); no file of the export was replaced.
    """
    period_bounds(day, days, settings.timezone)  # refuse a bad period before any work
    wanted = digest_formats(formats)
    digest = build_digest(store, day, settings, days=days, include_off_topic=include_off_topic)
    rendered = [(fmt, renderer(fmt)(digest)) for fmt in wanted]
    out_dir = Path(out_dir)
    files = [(out_dir / digest_filename(day, fmt, days=days), data) for fmt, data in rendered]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_export(files)
    except OSError as exc:
        raise ExportError(
            f"cannot write the digest to {out_dir}: {exc.strerror or exc}; no file was "
            "replaced (make it a writable folder with free space: --out or LUMI_EXPORT_DIR)"
        ) from exc
    return [path for path, _ in files]
