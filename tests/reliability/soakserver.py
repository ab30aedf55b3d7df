"""The soak server: many feeds on loopback virtual hosts, publishing on a simulated clock.

A :class:`SoakPlan` fixes everything from a seed: how many feeds on how many virtual hosts
(``127.0.0.2``, ``127.0.0.3``, ... all on one port), each feed's format (RSS or Atom), GUID
style, validators (ETag, Last-Modified, both or none), poll interval, text (full, teaser or
title only, so Lumi needs the article page) and the moments its items are published over
the simulated period. :func:`feed_specs` derives the same feeds in every process.

The server (:class:`SoakServer`, run in its own process by :class:`SoakProcess`) answers a
feed with the items published by the simulated ``clock`` (the newest :data:`WINDOW`),
honours ``If-None-Match`` and ``If-Modified-Since`` with 304, serves each item's article
page, and injects faults in about ``fault_rate`` of its answers: 500, 503 with
``Retry-After``, a TCP reset mid-body, a slow answer within the client's deadline, and a
malformed feed (cut at an item boundary, a bare ``&``). A few feeds are permanently broken
("unhealthy": always 500, 404, 410 or a body that is not a feed). Some items link to the
canary port, some article pages redirect there, some items are cross-posted by a feed on
another host with tracking parameters, and some are edited after publication.

The server keeps a ledger of every item it published, per feed, with whether the feed is
healthy and whether the item was ever delivered in a successful answer, and counts the
requests in flight per virtual host (the fetcher's per-host limit must hold on each).

Every text here is generated for the soak; none is copied from anywhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import random
import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

from faultserver import Canary, Conn, Request, _Listener, _read_request, head

__all__ = [
    "FAULT_KINDS",
    "UNHEALTHY_KINDS",
    "WINDOW",
    "FeedSpec",
    "ItemSpec",
    "SoakPlan",
    "SoakProcess",
    "SoakServer",
    "feed_specs",
    "host_address",
]

#: Items a feed shows: the newest this many (more than any feed publishes in the period).
WINDOW = 60
#: Transient faults of a healthy feed's answers (and of article pages, but ``malformed``).
FAULT_KINDS = ("500", "503", "reset", "slow", "malformed")
#: How an unhealthy feed is broken, for good.
UNHEALTHY_KINDS = ("always-500", "404", "410", "not-a-feed")
#: Slow answers wait this long (real seconds) before the first byte: within any deadline
#: the soak sets, so they must succeed.
SLOW_SECONDS = (0.3, 1.2)


def host_address(index: int) -> str:
    """The loopback address of virtual host ``index`` (0-based): 127.0.0.2 onwards."""
    return f"127.0.{(index + 2) // 256}.{(index + 2) % 256}"


@dataclasses.dataclass(frozen=True, slots=True)
class SoakPlan:
    """Everything the soak's feeds are derived from.

    Args:
        feeds: number of feeds.
        hosts: number of loopback virtual hosts the feeds are spread over.
        start: the simulated moment the period starts (aware UTC).
        hours: length of the simulated period.
        fault_rate: share of answers that are transient faults.
        unhealthy_share: share of feeds broken for good.
        seed: the random seed of every choice.
    """

    feeds: int
    hosts: int
    start: datetime
    hours: float
    fault_rate: float = 0.05
    unhealthy_share: float = 0.02
    seed: int = 15

    @property
    def end(self) -> datetime:
        """The simulated moment the period ends."""
        return self.start + timedelta(hours=self.hours)


@dataclasses.dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item a feed publishes at ``published`` (and edits at ``revised_at``)."""

    guid: str | None
    link: str
    title: str
    text: str
    published: datetime
    revised_at: datetime | None = None
    revised_title: str = ""
    #: ``"own"`` (a page on the feed's host), ``"canary"`` (a link to the canary port),
    #: ``"redirect"`` (a page that redirects to the canary), ``"crosspost"`` (another
    #: feed's article, linked with tracking parameters)
    target: str = "own"

    def title_at(self, moment: datetime) -> str:
        """The title as the feed shows it at ``moment``."""
        if self.revised_at is not None and moment >= self.revised_at:
            return self.revised_title
        return self.title


@dataclasses.dataclass(frozen=True, slots=True)
class FeedSpec:
    """One soak feed: where it lives, how it speaks, what it publishes."""

    id: str
    host: int
    path: str
    fmt: str  # rss or atom
    guid_style: str  # uuid, tag, permalink or none (RSS without GUIDs: the link is the key)
    validators: str  # etag, lastmod, both or none
    poll_minutes: int
    text_mode: str  # full, teaser or title
    max_age: int | None  # a Cache-Control max-age hint, seconds
    unhealthy: str | None
    items: tuple[ItemSpec, ...]

    @property
    def healthy(self) -> bool:
        """True when the feed is not broken for good."""
        return self.unhealthy is None


# -- generated text ------------------------------------------------------------------------

_ORGS = (
    "Norvale Labs", "Quillion AI", "Brightmoor Systems", "Tessaract Compute", "Halden Robotics",
    "Veyra Research", "Orchard Models", "Kestrel Silicon", "Lumenfold", "Paxwell Data",
)  # fmt: skip
_THINGS = (
    "language model", "inference chip", "training cluster", "speech model", "vision model",
    "agent framework", "evaluation suite", "data set", "fine-tuning service", "model license",
)  # fmt: skip
_VERBS = (
    "releases", "opens", "licenses", "delays", "prices", "audits", "retires", "expands",
    "benchmarks", "acquires",
)  # fmt: skip
_SENTENCES = (
    "{org} said the {thing} would reach customers in {month}, after {n} weeks of tests.",
    "The company described version {v} as a step toward cheaper inference for small teams.",
    "Analysts at {org2} counted {n} comparable launches this quarter and expect more.",
    "Engineers measured a {p} percent drop in energy use per query on the new hardware.",
    "The terms allow commercial use, while redistribution of the weights needs a request.",
    "{org} will publish an evaluation report covering {n} safety tests before the launch.",
    "Regulators in {place} asked for documentation of the training data and its sources.",
    "A spokesperson for {org2} declined to comment on the {thing} and its pricing.",
    "Early users reported latency of {n} milliseconds on long documents in {place}.",
    "The project keeps its code under an open license and its data under separate terms.",
)
_PLACES = ("Berlin", "Toronto", "Nairobi", "Osaka", "Lisbon", "Austin", "Warsaw", "Seoul")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "September", "October")


def _story(rng: random.Random, serial: str) -> tuple[str, str]:
    """A (title, text) pair; ``serial`` makes the title and the text unique."""
    org, org2 = rng.sample(_ORGS, 2)
    thing = rng.choice(_THINGS)
    version = f"{rng.randint(1, 9)}.{serial}"
    title = f"{org} {rng.choice(_VERBS)} {thing} {version}"
    values = {
        "org": org,
        "org2": org2,
        "thing": thing,
        "v": version,
        "month": rng.choice(_MONTHS),
        "place": rng.choice(_PLACES),
    }
    sentences = []
    for template in rng.sample(_SENTENCES, 6):
        values["n"] = str(rng.randint(2, 900))
        values["p"] = str(rng.randint(3, 60))
        sentences.append(template.format(**values))
    # the first sentence (a teaser feed's whole description) names the unique title
    sentences.insert(0, f"{title}, the company said on {rng.choice(_DAYS)}.")
    sentences.insert(2, f"The release is tracked internally as build {serial}.")
    return title, " ".join(sentences)


def _unit(*parts: object) -> float:
    """A repeatable number in [0, 1) from ``parts``."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def feed_specs(plan: SoakPlan, port: int, canary_port: int) -> list[FeedSpec]:
    """The plan's feeds, item by item, for a server on ``port`` and a canary on
    ``canary_port`` (the same in every process that derives them)."""
    rng = random.Random(plan.seed)
    unhealthy_count = max(1, round(plan.feeds * plan.unhealthy_share)) if plan.feeds > 1 else 0
    unhealthy_at = set(rng.sample(range(plan.feeds), unhealthy_count))
    span = plan.hours * 3600.0
    drafts: list[dict[str, Any]] = []
    for index in range(plan.feeds):
        feed_id = f"soak-{index:03d}"
        host = index % plan.hosts
        base = f"http://{host_address(host)}:{port}"
        fmt = "atom" if rng.random() < 0.3 else "rss"
        guid_style = rng.choice(("tag", "uuid", "permalink") if fmt == "atom" else
                                ("uuid", "permalink", "none", "tag"))  # fmt: skip
        per_day = rng.choice((2, 4, 8, 12, 16, 24, 32))
        count = max(1, round(per_day * plan.hours / 24.0 * rng.uniform(0.7, 1.3)))
        moments = sorted(rng.uniform(0.0, span) for _ in range(count))
        # one feed in ten arrives with a back catalogue from the day before
        if rng.random() < 0.1:
            moments = [-rng.uniform(3600.0, 20 * 3600.0) for _ in range(4)] + moments
        items = []
        for n, offset in enumerate(sorted(moments)):
            serial = f"{index}{n:03d}"
            title, text = _story(rng, serial)
            slug = f"{title.lower().replace(' ', '-').replace('.', '-')}"
            published = plan.start + timedelta(seconds=round(offset))
            roll = rng.random()
            target = "own"
            link = f"{base}/{feed_id}/{published:%Y/%m/%d}/{slug}.html"
            if roll < 0.01:
                target = "canary"
                link = f"http://127.0.0.1:{canary_port}/{feed_id}/{slug}.html"
            elif roll < 0.02:
                target = "redirect"
            if index % 4 == 1 and rng.random() < 0.5:
                link += "?utm_source=rss&utm_medium=feed"
            guid = {
                "uuid": f"urn:uuid:{_uuid(plan.seed, feed_id, n)}",
                "tag": f"tag:{host_address(host)},2026:{feed_id}/{n}",
                "permalink": link.split("?", 1)[0],
                "none": None,
            }[guid_style]
            revised_at = None
            revised_title = ""
            if rng.random() < 0.05:
                revised_at = published + timedelta(minutes=rng.randint(20, 180))
                revised_title = f"{title} (updated)"
            items.append(
                ItemSpec(guid, link, title, text, published, revised_at, revised_title, target)
            )
        drafts.append(
            {
                "id": feed_id,
                "host": host,
                "path": f"/{feed_id}/feed.{'atom' if fmt == 'atom' else 'xml'}",
                "fmt": fmt,
                "guid_style": guid_style,
                "validators": rng.choice(("etag", "lastmod", "both", "none")),
                "poll_minutes": rng.choice((30, 60, 60, 120)),
                "text_mode": rng.choice(("full", "full", "teaser", "title")),
                "max_age": rng.choice((None, None, None, 1800)),
                "unhealthy": rng.choice(UNHEALTHY_KINDS) if index in unhealthy_at else None,
                "items": items,
            }
        )
    _crosspost(rng, drafts, plan)
    return [FeedSpec(**{**d, "items": tuple(d["items"])}) for d in drafts]


def _crosspost(rng: random.Random, drafts: list[dict[str, Any]], plan: SoakPlan) -> None:
    """Give some healthy feeds a copy of another host's item: their own GUID, the same page
    with tracking parameters, published a little later (one article, two sources)."""
    healthy = [d for d in drafts if d["unhealthy"] is None and d["guid_style"] != "none"]
    for draft in healthy[::7]:
        others = [d for d in healthy if d["host"] != draft["host"] and d["items"]]
        if not others:
            continue
        source = rng.choice(others)
        original = rng.choice([i for i in source["items"] if i.target == "own"] or [None])
        if original is None:
            continue
        later = original.published + timedelta(minutes=rng.randint(5, 90))
        if later > plan.end:
            continue
        copy = ItemSpec(
            guid=f"urn:uuid:{_uuid(plan.seed, draft['id'], 'copy', original.link)}",
            link=original.link.split("?", 1)[0] + f"?utm_source={draft['id']}&utm_campaign=syn",
            title=original.title,
            text=original.text,
            published=later,
            target="crosspost",
        )
        draft["items"] = sorted([*draft["items"], copy], key=lambda i: i.published)


def _uuid(*parts: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


# -- rendering -----------------------------------------------------------------------------


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _visible(feed: FeedSpec, clock: datetime) -> list[ItemSpec]:
    return [i for i in feed.items if i.published <= clock][-WINDOW:]


def _changed_at(item: ItemSpec, clock: datetime) -> datetime:
    if item.revised_at is not None and item.revised_at <= clock:
        return item.revised_at
    return item.published


def _description(feed: FeedSpec, item: ItemSpec) -> str | None:
    if feed.text_mode == "title":
        return None
    if feed.text_mode == "teaser":
        return item.text.split(". ", 1)[0] + "."
    return item.text


def render_feed(feed: FeedSpec, items: list[ItemSpec], clock: datetime, base: str) -> bytes:
    """The feed document showing ``items`` as they stand at ``clock``, newest first."""
    title = f"Soak feed {feed.id}"
    parts: list[str] = []
    if feed.fmt == "atom":
        updated = max((_changed_at(i, clock) for i in items), default=clock)
        parts.append(
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{title}</title><id>tag:soak,2026:{feed.id}</id>"
            f'<link href="{base}/"/><updated>{updated.isoformat()}</updated>'
        )
        for item in reversed(items):
            entry = [f"<title>{escape(item.title_at(clock))}</title>"]
            entry.append(f'<link href="{escape(item.link)}"/>')
            entry.append(f"<id>{escape(item.guid or item.link)}</id>")
            entry.append(f"<published>{item.published.isoformat()}</published>")
            entry.append(f"<updated>{_changed_at(item, clock).isoformat()}</updated>")
            text = _description(feed, item)
            if text:
                entry.append(f"<summary>{escape(text)}</summary>")
            parts.append(f"<entry>{''.join(entry)}</entry>")
        parts.append("</feed>\n")
        return "".join(parts).encode()
    parts.append(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>{base}/</link>"
        "<description>A feed of the soak server.</description>"
    )
    for item in reversed(items):
        entry = [f"<title>{escape(item.title_at(clock))}</title>"]
        entry.append(f"<link>{escape(item.link)}</link>")
        if item.guid is not None:
            permalink = "true" if feed.guid_style == "permalink" else "false"
            entry.append(f'<guid isPermaLink="{permalink}">{escape(item.guid)}</guid>')
        entry.append(f"<pubDate>{_http_date(item.published)}</pubDate>")
        text = _description(feed, item)
        if text:
            entry.append(f"<description>{escape(text)}</description>")
        parts.append(f"<item>{''.join(entry)}</item>")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def _malformed(body: bytes) -> bytes:
    """The feed cut after an item or entry boundary, with a bare ``&`` in its title."""
    text = body.decode()
    close = "</item>" if "</item>" in text else "</entry>"
    cut = text.rfind(close, 0, max(len(text) // 2, text.find(close) + 1))
    if cut >= 0:
        text = text[: cut + len(close)]
    return text.replace("<title>Soak feed", "<title>Soak & feed", 1).encode()


def render_page(feed: FeedSpec, item: ItemSpec) -> bytes:
    """The article page of ``item``: a site name, the title and the text in paragraphs."""
    sentences = item.text.split(". ")
    paragraphs = [". ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    body = "".join(f"<p>{escape(p.rstrip('.'))}.</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(item.title)}</title>"
        f'<meta property="og:site_name" content="Soak Host {feed.host}">'
        f'<meta property="article:published_time" content="{item.published.isoformat()}">'
        "</head><body><nav><a href='/'>Home</a></nav><article>"
        f"<h1>{escape(item.title)}</h1>{body}</article>"
        "<footer>Soak server footer</footer></body></html>"
    ).encode()


# -- the server ----------------------------------------------------------------------------


class _CountedConn(Conn):
    """A connection that calls ``answered`` before its first byte is written.

    A request stops counting as in flight before the client can see any of its answer, so
    the client's next request (which it may send only after this answer) never overlaps
    it in the count: a peak above the fetcher's limit is the fetcher's doing, never a race.
    """

    def __init__(self, sock: socket.socket, stopping: threading.Event, answered: Any):
        super().__init__(sock, stopping)
        self._answered = answered

    def raw(self, data: bytes) -> None:
        """Write bytes as they are (the first write ends the request's in-flight count)."""
        self._answered()
        super().raw(data)

    def send(self, *args: Any, **kwargs: Any) -> None:
        """A complete response (see :meth:`Conn.send`), ending the in-flight count."""
        self._answered()
        super().send(*args, **kwargs)


class SoakServer(_Listener):
    """The soak's feeds and pages on every virtual host; see the module docstring.

    Args:
        plan: the soak plan.
        canary: the canary the feeds link to (already bound, so its port is known).
    """

    def __init__(self, plan: SoakPlan, canary: Canary):
        addresses = [(socket.AF_INET, (host_address(h), 0)) for h in range(plan.hosts)]
        super().__init__(addresses, "soakserver")
        if len(self._socks) != plan.hosts:
            raise OSError("could not bind every virtual host address on one port")
        self.plan = plan
        self.canary = canary
        self.feeds = feed_specs(plan, self.port, canary.port)
        self._by_path = {f.path: f for f in self.feeds}
        self._pages: dict[str, tuple[FeedSpec, ItemSpec]] = {}
        for feed in self.feeds:
            for item in feed.items:
                if item.target in ("own", "redirect"):
                    path = item.link.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
                    self._pages["/" + path] = (feed, item)
        self.clock = plan.start
        self.calm = False
        self._requests: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        #: (feed id, item index) of every item delivered in a successful answer
        self.delivered: set[tuple[str, int]] = set()

    def set_clock(self, moment: datetime, *, calm: bool = False) -> None:
        """Move the simulated clock; ``calm`` turns fault injection off."""
        with self._lock:
            self.clock = moment
            self.calm = calm

    def handle(self, conn: socket.socket, peer: object) -> None:
        try:
            conn.settimeout(10)
            request = _read_request(conn)
            if request is None:
                return
            host = conn.getsockname()[0]
            with self._lock:
                self.in_flight[host] += 1
                self.in_flight[""] += 1
                for key in (host, ""):
                    self.peak_in_flight[key] = max(self.peak_in_flight[key], self.in_flight[key])
            done = threading.Event()

            def answered() -> None:
                if not done.is_set():
                    done.set()
                    with self._lock:
                        self.in_flight[host] -= 1
                        self.in_flight[""] -= 1

            try:
                self._answer(_CountedConn(conn, self._stopping, answered), request)
            finally:
                answered()
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._threads.remove(threading.current_thread())

    def _fault(self, key: str) -> str | None:
        """The fault of this request to ``key``, if any (repeatable for a given order)."""
        with self._lock:
            self._requests[key] += 1
            number = self._requests[key]
            calm = self.calm
        if calm or _unit(self.plan.seed, key, number) >= self.plan.fault_rate:
            return None
        return FAULT_KINDS[int(_unit(self.plan.seed, key, number, "kind") * len(FAULT_KINDS))]

    def _answer(self, conn: Conn, request: Request) -> None:
        with self._lock:
            clock = self.clock
        feed = self._by_path.get(request.path)
        if feed is not None:
            self._feed(conn, request, feed, clock)
            return
        page = self._pages.get(request.path)
        if page is None or page[1].published > clock:
            self._count("404")
            conn.send(404, {"Content-Type": "text/plain"}, b"no such page\n")
            return
        self._page(conn, request, *page)

    def _count(self, what: str, fault: str | None = None) -> None:
        with self._lock:
            self.stats[what] += 1
            if fault:
                self.faults[fault] += 1

    def _feed(self, conn: Conn, request: Request, feed: FeedSpec, clock: datetime) -> None:
        if feed.unhealthy is not None:
            self._count("feed-unhealthy", f"unhealthy-{feed.unhealthy}")
            if feed.unhealthy == "not-a-feed":
                conn.send(200, {"Content-Type": "text/html"}, b"<html><body>Gone fishing")
                return
            code = {"always-500": 500, "404": 404, "410": 410}[feed.unhealthy]
            conn.send(code, {"Content-Type": "text/plain"}, f"status {code}\n".encode())
            return
        fault = self._fault(feed.path)
        items = _visible(feed, clock)
        base = f"http://{host_address(feed.host)}:{self.port}"
        body = render_feed(feed, items, clock, base)
        if fault is not None and fault != "slow":
            self._count("feed-fault", fault)
            self._inject(conn, fault, body)
            return
        if fault == "slow":
            self._count("feed-slow", fault)
            self._slow(conn, feed.path)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        changed = max((_changed_at(i, clock) for i in items), default=self.plan.start)
        headers = {"Content-Type": "application/atom+xml" if feed.fmt == "atom" else
                   "application/rss+xml; charset=utf-8"}  # fmt: skip
        if feed.validators in ("etag", "both"):
            headers["ETag"] = etag
        if feed.validators in ("lastmod", "both"):
            headers["Last-Modified"] = _http_date(changed)
        if feed.max_age:
            headers["Cache-Control"] = f"max-age={feed.max_age}"
        if _not_modified(request, headers, changed):
            self._count("feed-304")
            conn.send(304, {k: v for k, v in headers.items() if k != "Content-Type"})
            return
        self._count("feed-200")
        conn.send(200, headers, body)
        first = len([i for i in feed.items if i.published <= clock]) - len(items)
        with self._lock:
            self.delivered.update((feed.id, first + n) for n in range(len(items)))

    def _page(self, conn: Conn, request: Request, feed: FeedSpec, item: ItemSpec) -> None:
        if item.target == "redirect":
            self._count("page-redirect-canary")
            location = f"http://127.0.0.1:{self.canary.port}{request.path}"
            conn.send(302, {"Location": location, "Content-Type": "text/plain"})
            return
        fault = self._fault(request.path)
        body = render_page(feed, item)
        if fault is not None and fault not in ("slow", "malformed"):
            self._count("page-fault", fault)
            self._inject(conn, fault, body)
            return
        if fault is not None:
            self._count("page-slow", "slow")
            self._slow(conn, request.path)
        self._count("page-200")
        conn.send(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def _slow(self, conn: Conn, key: str) -> None:
        low, high = SLOW_SECONDS
        conn.wait(low + (high - low) * _unit(self.plan.seed, key, "slow"))

    def _inject(self, conn: Conn, fault: str, body: bytes) -> None:
        if fault == "500":
            conn.send(500, {"Content-Type": "text/plain"}, b"internal error\n")
        elif fault == "503":
            conn.send(503, {"Content-Type": "text/plain", "Retry-After": "1200"}, b"busy\n")
        elif fault == "reset":
            conn.raw(head(200, {"Content-Type": "text/xml", "Content-Length": str(len(body))}))
            conn.raw(body[: len(body) // 2])
            conn.reset()
        else:  # malformed
            conn.send(200, {"Content-Type": "application/rss+xml"}, _malformed(body))

    def ledger(self) -> list[dict[str, Any]]:
        """Every item published by the clock, per feed: the feed's health, the item's GUID,
        link, target and whether a successful answer ever delivered it."""
        with self._lock:
            clock = self.clock
            delivered = set(self.delivered)
        rows = []
        for feed in self.feeds:
            for n, item in enumerate(feed.items):
                if item.published > clock:
                    continue
                rows.append(
                    {
                        "feed_id": feed.id,
                        "index": n,
                        "healthy": feed.healthy,
                        "guid": item.guid,
                        "link": item.link,
                        "target": item.target,
                        "published": item.published.isoformat(),
                        "delivered": (feed.id, n) in delivered,
                    }
                )
        return rows


def _not_modified(request: Request, headers: dict[str, str], changed: datetime) -> bool:
    match = request.headers.get("if-none-match")
    if "ETag" in headers and match is not None:
        return match == headers["ETag"]
    since = request.headers.get("if-modified-since")
    if "Last-Modified" in headers and since:
        with contextlib.suppress(TypeError, ValueError):
            return changed.replace(microsecond=0) <= parsedate_to_datetime(since)
    return False


# -- the server process ----------------------------------------------------------------------


def _serve(plan: SoakPlan, pipe: Any) -> None:
    """The server process: start, report the ports, then obey ``pipe`` until ``stop``."""
    canary = Canary(host="127.0.0.1")
    canary.start()
    server = SoakServer(plan, canary)
    server.start()
    pipe.send(("ready", server.port, canary.port))
    try:
        while True:
            command, *args = pipe.recv()
            if command == "clock":
                server.set_clock(datetime.fromisoformat(args[0]), calm=bool(args[1]))
                pipe.send(("ok",))
            elif command == "report":
                pipe.send(
                    (
                        "report",
                        {
                            "ledger": server.ledger(),
                            "stats": dict(server.stats),
                            "faults": dict(server.faults),
                            "peak_in_flight": dict(server.peak_in_flight),
                            "canary_visits": [repr(v) for v in canary.visits],
                        },
                    )
                )
            elif command == "stop":
                break
    finally:
        server.stop()
        canary.stop()
        pipe.send(("stopped",))


class SoakProcess:
    """The soak server and its canary in a child process (so the parent's peak memory is
    Lumi's alone); use as a context manager.

    Args:
        plan: the soak plan.
    """

    def __init__(self, plan: SoakPlan):
        import multiprocessing

        self.plan = plan
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(plan, child), daemon=True)
        self.port = 0
        self.canary_port = 0

    def __enter__(self) -> SoakProcess:
        self._process.start()
        if not self._pipe.poll(60):
            self._process.kill()
            raise RuntimeError("the soak server did not start within 60 s")
        _, self.port, self.canary_port = self._pipe.recv()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError, EOFError):
            self._pipe.send(("stop",))
            if self._pipe.poll(30):
                self._pipe.recv()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _call(self, *message: Any) -> Any:
        self._pipe.send(message)
        if not self._pipe.poll(120):
            raise RuntimeError(f"the soak server did not answer {message[0]!r}")
        return self._pipe.recv()

    def set_clock(self, moment: datetime, *, calm: bool = False) -> None:
        """Move the server's simulated clock (and switch faults off when ``calm``)."""
        self._call("clock", moment.isoformat(), calm)

    def report(self) -> dict[str, Any]:
        """The ledger, the answer and fault counts, the per-host peaks, the canary visits."""
        return dict(self._call("report")[1])

    def feeds(self) -> list[FeedSpec]:
        """The plan's feeds as this server serves them."""
        return feed_specs(self.plan, self.port, self.canary_port)
