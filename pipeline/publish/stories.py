"""Stories: the same news from several feeds becomes one story that keeps every source.

An article joins an existing story, in this order of precedence, when

1. ``canonical_url``: it has the canonical URL of an article already in the story (and
   one article reached through several feeds is one story by construction: the store keeps
   it as one row with several sources);
2. ``near_duplicate_text``: its text is a near-duplicate of a member's text, estimated with
   MinHash over word 5-gram shingles (:func:`text_signature`, :func:`similarity`);
3. ``similar_title``: its normalised title is similar enough to a member's title
   (:func:`title_similarity`),

where 2 and 3 apply only to articles published within ``story_window_days`` of each other,
and never when the two titles name different models or versions
(:func:`titles_conflict`: "Mistral Small 3.1" is not "Mistral Small 3.2", "Magistral" is not
"Devstral"). Otherwise the article founds a new story. The reason and its score are stored
with each membership. An article keeps its story for good: an updated or re-titled article
(same key, new title or text) only refreshes its stored text signature.

MinHash is implemented here with numpy (64 multiply-shift hashes over BLAKE2b shingle
hashes) so signatures are stable across library versions and cheap to store (hex).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np

from pipeline.ingest.urls import canonical_url, is_anchor
from pipeline.records import (
    MergeReason,
    StoredArticle,
    Story,
    StoryAssignment,
    StoryMembership,
)
from pipeline.settings import SETTINGS, Settings
from pipeline.store import (
    Store,
    Transaction,
    add_membership,
    create_story,
    delete_story,
    memberships_published_between,
    refresh_membership,
    retitle_story,
    stored_articles,
    stories_first_seen_between,
    story_memberships,
    utcnow,
    widen_story,
)
from pipeline.text import words

__all__ = [
    "NUM_HASHES",
    "SHINGLE_WORDS",
    "StoryRules",
    "TextSignature",
    "article_date",
    "assign_stories",
    "containment",
    "similarity",
    "stories_between",
    "text_signature",
    "title_similarity",
    "title_tokens",
    "titles_conflict",
]

#: Hash functions per MinHash signature: standard error of a Jaccard estimate ~ 0.06.
NUM_HASHES = 64
#: Words per shingle: long enough that shared boilerplate phrases don't make bodies alike.
SHINGLE_WORDS = 5
#: Texts with fewer shingles than this (teasers, one-liners) never merge on text alone.
MIN_SHINGLES = 20
#: A shorter text this much contained in a longer one (a teaser or a trimmed copy) is the
#: same story, if it has at least MIN_CONTAINED_SHINGLES shingles.
CONTAINMENT_THRESHOLD = 0.8
MIN_CONTAINED_SHINGLES = 40
#: Texts this similar are the same article even when the titles name different things (a
#: re-titled copy); below it, a template announcement reused for two products stays apart.
SAME_TEXT = 0.75
#: Titles need this many content tokens to merge on the title alone ("Release notes" never).
MIN_TITLE_TOKENS = 3
#: Published dates this far past the fetch are feed errors; the fetch time is used instead.
_FUTURE_SLACK = timedelta(days=1)


def _seeds(label: str) -> np.ndarray:
    values = [
        int.from_bytes(hashlib.blake2b(f"{label}-{i}".encode(), digest_size=8).digest(), "big")
        for i in range(NUM_HASHES)
    ]
    return np.array(values, dtype=np.uint64)


_MASKS = _seeds("lumi-minhash-mask")
_MULTIPLIERS = _seeds("lumi-minhash-mult") | np.uint64(1)  # odd: a bijection mod 2**64
_SHIFT = np.uint64(32)


def _words(text: str) -> list[str]:
    return words(text)


# --- text signatures -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TextSignature:
    """A MinHash signature of a text's word shingles, and how many distinct shingles it had."""

    minhash: tuple[int, ...]
    shingles: int

    def to_hex(self) -> str:
        """The signature as hex (8 digits per hash), as stored in ``story_articles``."""
        return "".join(f"{v:08x}" for v in self.minhash)

    @classmethod
    def from_hex(cls, value: str, shingles: int) -> TextSignature:
        """Rebuild a signature stored with :meth:`to_hex`."""
        return cls(tuple(int(value[i : i + 8], 16) for i in range(0, len(value), 8)), shingles)


def _shingle_hashes(text: str) -> np.ndarray:
    # each word encoded once: a shingle's UTF-8 is its words' UTF-8 joined by spaces
    words = [w.encode() for w in _words(text)]
    if len(words) < SHINGLE_WORDS:
        grams = {b" ".join(words)} if words else set()
    else:
        grams = {
            b" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
        }
    # each shingle's 8-byte BLAKE2b digest read as a big-endian integer, all in one buffer
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(g, digest_size=8).digest() for g in grams])
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


def text_signature(text: str) -> TextSignature:
    """Compute the MinHash signature of ``text`` (case- and whitespace-insensitive).

    Args:
        text: an article's plain text.

    Returns:
        The signature; an empty text gives ``shingles == 0`` and never matches anything.
    """
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return TextSignature(tuple([0] * NUM_HASHES), 0)
    # Multiply-shift hashing: the high 32 bits of (x ^ mask) * odd are close to independent
    # per (mask, multiplier) pair; uint64 arrays wrap around silently, as wanted here.
    permuted = ((hashes[:, None] ^ _MASKS[None, :]) * _MULTIPLIERS[None, :]) >> _SHIFT
    return TextSignature(tuple(int(v) for v in permuted.min(axis=0)), int(hashes.size))


def similarity(a: TextSignature, b: TextSignature) -> float:
    """Estimated Jaccard similarity (0-1) of the two texts' shingle sets."""
    if a.shingles == 0 or b.shingles == 0:
        return 0.0
    equal = sum(1 for x, y in zip(a.minhash, b.minhash, strict=True) if x == y)
    return equal / NUM_HASHES


def containment(a: TextSignature, b: TextSignature) -> float:
    """Estimated share (0-1) of the smaller text's shingles that the other text contains."""
    jaccard = similarity(a, b)
    if jaccard == 0.0:
        return 0.0
    smaller = min(a.shingles, b.shingles)
    # |A ∩ B| = J (|A| + |B|) / (1 + J)
    return min(1.0, jaccard * (a.shingles + b.shingles) / ((1.0 + jaccard) * smaller))


# --- titles --------------------------------------------------------------------------------

_STOPWORD_TEXT = """
a an the of to in on for and or with by at from as is are was be been its it it's this
that these those now into about vs via after over up has have will your our we you their
they how why what when who new here just more than not no but so can
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
#: All-caps words too generic to name one thing.
_GENERIC = frozenset(
    {
        "ai",
        "agi",
        "api",
        "apis",
        "llm",
        "llms",
        "gpu",
        "gpus",
        "cpu",
        "ceo",
        "cto",
        "us",
        "uk",
        "eu",
        "un",
        "ml",
        "it",
        "ok",
        "faq",
        "q&a",
        "new",
    }
)
_TITLE_TOKEN = re.compile(r"[\w$€£]+(?:[-.'’][\w]+)*")


def _stem(token: str) -> str:
    if len(token) < 5 or any(c.isdigit() for c in token):
        return token
    for suffix in ("ing", "ed", "es", "s", "e"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _raw_title_tokens(title: str) -> list[str]:
    text = unicodedata.normalize("NFKC", title).replace("’", "'")
    tokens = []
    for tok in _TITLE_TOKEN.findall(text):
        if tok.lower().endswith("'s"):
            tok = tok[:-2]
        tokens.append(tok.rstrip(".'"))
    return [t for t in tokens if t]


def title_tokens(title: str) -> frozenset[str]:
    """The normalised content tokens of a title: case-folded, stemmed, stopwords dropped."""
    return frozenset(
        _stem(t.casefold()) for t in _raw_title_tokens(title) if t.casefold() not in _STOPWORDS
    )


def _norm_title(title: str) -> str:
    return " ".join(_words(title))


def title_similarity(a: str, b: str) -> float:
    """Jaccard similarity (0-1) of two titles' normalised content tokens."""
    ta, tb = title_tokens(a), title_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _identifiers(title: str) -> set[str]:
    """Tokens that name a thing: versions and numbers, camel-case or all-caps names, and
    capitalised words inside a sentence-case title (Title Case hides names, so not there)."""
    tokens = _raw_title_tokens(title)
    words = [t for t in tokens if t[:1].isalpha() and t.casefold() not in _STOPWORDS]
    capitalised = [t for t in words[1:] if t[:1].isupper()]
    title_case = len(words) > 2 and len(capitalised) >= 0.6 * (len(words) - 1)
    found = set()
    for i, tok in enumerate(tokens):
        low = tok.casefold()
        if low in _STOPWORDS or low in _GENERIC:
            continue
        if (
            any(c.isdigit() for c in tok)
            or any(c.isupper() for c in tok[1:])
            or (i > 0 and not title_case and tok[:1].isupper())
        ):
            found.add(_stem(low))
    return found


def titles_conflict(a: str, b: str) -> bool:
    """True when each title names something the other does not (a different model, product
    or version), so the two are different stories however alike the rest reads."""
    ia, ib = _identifiers(a), _identifiers(b)
    ta, tb = title_tokens(a), title_tokens(b)
    return bool(ia - tb) and bool(ib - ta)


# --- rules and dates -----------------------------------------------------------------------

_DEFAULTS = {s.name: s.default for s in SETTINGS}


@dataclasses.dataclass(frozen=True, slots=True)
class StoryRules:
    """Thresholds of story merging (from the ``story_*`` settings)."""

    window: timedelta = timedelta(days=_DEFAULTS["story_window_days"])
    title_threshold: float = _DEFAULTS["story_title_similarity"]
    text_threshold: float = _DEFAULTS["story_text_similarity"]

    @classmethod
    def from_settings(cls, settings: Settings | None) -> StoryRules:
        """The rules for ``settings`` (defaults when None)."""
        if settings is None:
            return cls()
        return cls(
            window=timedelta(days=settings.story_window_days),
            title_threshold=settings.story_title_similarity,
            text_threshold=settings.story_text_similarity,
        )


def article_date(
    published_feed: datetime | None, published_extracted: datetime | None, fetched_at: datetime
) -> datetime:
    """When an article appeared: its published date, else (or when in the future) the fetch."""
    published = published_feed or published_extracted
    if published is None or published > fetched_at + _FUTURE_SLACK:
        return fetched_at
    return published


def _row_date(row: StoredArticle) -> datetime:
    return article_date(row.published_feed, row.published_extracted, row.fetched_at)


def _urls(canonical: str | None, url: str | None) -> frozenset[str]:
    found: set[str | None] = {canonical}
    # A canonical URL with a fragment names one anchor of a shared page (a changelog entry):
    # the page's own URL would merge every entry of that page.
    if url and not is_anchor(canonical):
        with contextlib.suppress(Exception):  # an unparseable link simply never matches
            found.add(canonical_url(url))
    return frozenset(u for u in found if u)


# --- the candidate pool --------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Candidate:
    article_id: int
    story_id: int
    title: str
    tokens: frozenset[str]
    urls: frozenset[str]
    signature: TextSignature | None
    text_hash: str
    published: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class _Match:
    candidate: _Candidate
    reason: MergeReason
    score: float


class _Pool:
    """Assigned articles near the batch in time, indexed for quick comparison."""

    def __init__(self, rules: StoryRules):
        self.rules = rules
        self.items: list[_Candidate] = []
        self.by_url: dict[str, int] = {}
        self.by_token: dict[str, list[int]] = {}
        self.by_hash: dict[str, int] = {}
        self.sig_rows: list[int] = []  # item index of each signature row
        self.sigs = np.zeros((0, NUM_HASHES), dtype=np.uint64)
        self._pending: list[tuple[int, ...]] = []

    def add(self, cand: _Candidate) -> None:
        index = len(self.items)
        self.items.append(cand)
        for url in cand.urls:
            self.by_url.setdefault(url, index)
        for tok in cand.tokens:
            self.by_token.setdefault(tok, []).append(index)
        self.by_hash.setdefault(cand.text_hash, index)
        if cand.signature is not None and cand.signature.shingles >= MIN_SHINGLES:
            self.sig_rows.append(index)
            self._pending.append(cand.signature.minhash)

    def _matrix(self) -> np.ndarray:
        if self._pending:
            fresh = np.array(self._pending, dtype=np.uint64)
            self.sigs = np.vstack([self.sigs, fresh])
            self._pending = []
        return self.sigs

    def _near(self, cand: _Candidate, other: _Candidate) -> bool:
        return abs(cand.published - other.published) <= self.rules.window

    def match(self, new: _Candidate) -> _Match | None:
        """The best story for ``new``, or None when it is a story of its own."""
        for url in sorted(new.urls):
            if url in self.by_url:
                return _Match(self.items[self.by_url[url]], "canonical_url", 1.0)
        return self._text_match(new) or self._title_match(new)

    def _text_match(self, new: _Candidate) -> _Match | None:
        same = self.by_hash.get(new.text_hash)
        sig = new.signature
        long_enough = sig is not None and sig.shingles >= MIN_SHINGLES
        if same is not None and self._near(new, self.items[same]):
            other = self.items[same]
            # Identical text is the same article; a short teaser only with the same title too.
            if long_enough or _norm_title(new.title) == _norm_title(other.title):
                return _Match(other, "near_duplicate_text", 1.0)
        if sig is None or not long_enough:
            return None
        if not self.sig_rows:
            return None
        equal = (self._matrix() == np.array(sig.minhash, dtype=np.uint64)).mean(axis=1)
        best: _Match | None = None
        for row in np.flatnonzero(equal > 0):
            other = self.items[self.sig_rows[int(row)]]
            if not self._near(new, other) or other.signature is None:
                continue
            jaccard = float(equal[row])
            score = jaccard
            if jaccard < self.rules.text_threshold:
                if min(sig.shingles, other.signature.shingles) < MIN_CONTAINED_SHINGLES:
                    continue
                score = containment(sig, other.signature)
                if score < max(CONTAINMENT_THRESHOLD, self.rules.text_threshold):
                    continue
            if jaccard < SAME_TEXT and titles_conflict(new.title, other.title):
                continue
            if best is None or score > best.score:
                best = _Match(other, "near_duplicate_text", round(score, 4))
        return best

    def _title_match(self, new: _Candidate) -> _Match | None:
        if len(new.tokens) < MIN_TITLE_TOKENS:
            return None
        seen: set[int] = set()
        best: tuple[float, timedelta] | None = None
        best_index = -1
        for tok in sorted(new.tokens):
            for index in self.by_token.get(tok, ()):
                if index in seen:
                    continue
                seen.add(index)
                other = self.items[index]
                if len(other.tokens) < MIN_TITLE_TOKENS or not self._near(new, other):
                    continue
                score = len(new.tokens & other.tokens) / len(new.tokens | other.tokens)
                if score < self.rules.title_threshold or titles_conflict(new.title, other.title):
                    continue
                # Ties go to the nearest in time, then to the earliest assigned.
                key = (score, -abs(new.published - other.published))
                if best is None or key > best or (key == best and index < best_index):
                    best, best_index = key, index
        if best is None:
            return None
        return _Match(self.items[best_index], "similar_title", round(best[0], 4))


def _candidate(row: StoredArticle, story_id: int, signature: TextSignature | None) -> _Candidate:
    return _Candidate(
        article_id=row.id,
        story_id=story_id,
        title=row.title,
        tokens=title_tokens(row.title),
        urls=_urls(row.canonical_url, row.url),
        signature=signature,
        text_hash=row.content_hash,
        published=_row_date(row),
    )


def _signature_for(row: StoredArticle) -> TextSignature | None:
    # A teaser says too little to be a near-duplicate of anything; titles still match it.
    if row.is_teaser or not row.text.strip():
        return None
    return text_signature(row.text)


def _load_pool(session: Transaction, rules: StoryRules, lo: datetime, hi: datetime) -> _Pool:
    pool = _Pool(rules)
    for member, article in memberships_published_between(session, lo, hi):
        signature = (
            TextSignature.from_hex(member.signature, member.shingles) if member.signature else None
        )
        cand = _candidate(article, member.story_id, signature)
        cand.published = member.published_at
        pool.add(cand)
    return pool


# --- assignment ----------------------------------------------------------------------------


def _assignment(member: StoryMembership, *, now: bool) -> StoryAssignment:
    return StoryAssignment(
        article_id=member.article_id,
        story_id=member.story_id,
        reason=member.reason,
        score=member.score,
        matched_article_id=member.matched_article_id,
        assigned_now=now,
    )


def _refresh(session: Transaction, member: StoryMembership, article: StoredArticle) -> None:
    """An updated article keeps its story; only its signature (and the title) follow."""
    signature = _signature_for(article)
    refresh_membership(
        session,
        article.id,
        text_hash=article.content_hash,
        signature=signature.to_hex() if signature else None,
        shingles=signature.shingles if signature else 0,
    )
    if member.reason == "new_story":
        retitle_story(session, member.story_id, article.title, now=utcnow())


def assign_stories(
    store: Store, article_ids: Iterable[int], *, settings: Settings | None = None
) -> list[StoryAssignment]:
    """Put each article into a story: an existing one it duplicates, else a new one.

    Idempotent: an article that already has a story keeps it (an updated text refreshes its
    stored signature only), so calling this again changes nothing. New articles are
    processed oldest first, so articles of the same batch merge with each other too.

    Args:
        store: the open database.
        article_ids: ids of stored articles (unknown ids are skipped).
        settings: effective settings (``story_*`` thresholds); None uses the defaults.

    Returns:
        One assignment per known article, in the order of ``article_ids`` (duplicates
        removed).
    """
    rules = StoryRules.from_settings(settings)
    wanted = list(dict.fromkeys(article_ids))
    if not wanted:
        return []
    results: dict[int, StoryAssignment] = {}
    with store.session() as session:
        articles = stored_articles(session, wanted)
        members = story_memberships(session, wanted)
        for article_id, member in members.items():
            if member.text_hash != articles[article_id].content_hash:
                _refresh(session, member, articles[article_id])
            results[article_id] = _assignment(member, now=False)
        fresh = sorted(
            (row for aid, row in articles.items() if aid not in members),
            key=lambda row: (_row_date(row), row.id),
        )
        if fresh:
            lo = _row_date(fresh[0]) - rules.window
            hi = _row_date(fresh[-1]) + rules.window
            pool = _load_pool(session, rules, lo, hi)
            for row in fresh:
                results[row.id] = _assign_one(session, pool, row)
    return [results[aid] for aid in wanted if aid in results]


def _assign_one(session: Transaction, pool: _Pool, row: StoredArticle) -> StoryAssignment:
    signature = _signature_for(row)
    cand = _candidate(row, 0, signature)
    match = pool.match(cand)
    now = utcnow()
    created_story: int | None = None
    if match is None:
        story_id = create_story(session, row.title, cand.published, now=now)
        created_story = story_id
        reason: MergeReason = "new_story"
        score, matched = 1.0, None
    else:
        story_id = match.candidate.story_id
        reason, score, matched = match.reason, match.score, match.candidate.article_id
    membership = StoryMembership(
        article_id=row.id,
        story_id=story_id,
        reason=reason,
        score=score,
        matched_article_id=matched,
        published_at=cand.published,
        text_hash=row.content_hash,
        signature=signature.to_hex() if signature else None,
        shingles=signature.shingles if signature else 0,
        merged_at=now,
    )
    if not add_membership(session, membership):
        # A concurrent run assigned this article first: its answer stands.
        if created_story is not None:
            delete_story(session, created_story)
        return _assignment(story_memberships(session, [row.id])[row.id], now=False)
    if match is not None:
        widen_story(session, story_id, cand.published, now=now)
    cand.story_id = story_id
    pool.add(cand)
    return StoryAssignment(row.id, story_id, reason, score, matched, assigned_now=True)


# --- reading stories -----------------------------------------------------------------------


def stories_between(store: Store, start: datetime, end: datetime) -> list[Story]:
    """Stories first seen in ``[start, end)`` (aware datetimes), oldest first."""
    with store.session() as session:
        return stories_first_seen_between(session, start, end)
