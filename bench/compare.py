"""Benchmark: Lumi's extraction and per-article path against other extractors (on demand).

Not part of the test suite. Needs the optional ``bench`` extra (``pip install -e .[bench]``:
readability-lxml, newspaper4k, goose3) and the shared extraction data
(``../shared/data/extraction``). Three measurements, all in one process:

1. **Quality** of the extracted text and metadata:

   - scrapinghub article-extraction-benchmark (181 news pages): token P/R/F1 computed the
     way the benchmark's own ``evaluate.py`` does (``\\w+`` tokens, 4-token shingles counted
     with multiplicity, each page normalised to weight 1, mean precision and mean recall,
     F1 of the two means);
   - trafilatura's evaluation pages present here: snippets that must appear ("with") and
     must not ("without"), as P/R/F1 and accuracy over all snippets;
   - mozilla readability test pages: token F1 against ``expected.html`` and the share of
     pages whose title, byline, language and excerpt match ``expected-metadata.json``
     (whitespace, case and a leading "By" ignored).

2. **Extraction speed** on the scrapinghub pages: every extractor on the same page, one
   after the other in a rotating order (interleaved), ``--repeat`` times (default 3);
   the figure is the median over repeats of each peer's time divided by Lumi's, so a
   ratio above 1 means Lumi is faster. CPU time of this process is the main measure (the
   machine may be shared), wall time is shown beside it.

3. **Whole per-article path**: what Lumi does with fetched pages, as the real pipeline
   does it, into a fresh SQLite store: per page, as an ingest cycle does for each new entry,
   :func:`~pipeline.ingest.extract.extract_page`, :func:`~pipeline.ingest.extract.build_article`
   and :func:`~pipeline.store.store_entry` (its own transaction); per ``--batch`` articles
   (default 20), as a cycle does once with everything it stored,
   :func:`~pipeline.classify.classify_articles` and
   :func:`~pipeline.publish.stories.assign_stories`; once for all the pages, as ``lumi
   digest`` does for a day, :func:`~pipeline.publish.digest.prepare_day` (summaries for
   the stories shown in full, at most ``LUMI_DIGEST_MAX_ITEMS``, off-topic ones included)
   and the visible label of each summary. Against bare ``trafilatura.extract`` and
   newspaper4k on the same pages, interleaved the same way; with each stage's share of
   Lumi's time.

``--profile N`` adds the N functions with the most own time under cProfile for Lumi's
extraction and for the whole path, and the share of own time per package.

Usage: python bench/compare.py [--shared DIR] [--repeat R] [--limit N] [--skip-path]
       [--skip-others] [--batch B] [--profile N] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import platform
import pstats
import re
import statistics
import sys
import sysconfig
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHINGLE = 4
_TOKEN = re.compile(r"\w+")
PACKAGES = (
    "trafilatura",
    "htmldate",
    "lxml",
    "py3langid",
    "readability-lxml",
    "newspaper4k",
    "goose3",
    "spacy",
    "scikit-learn",
    "SQLAlchemy",
)


@dataclass(frozen=True, slots=True)
class Page:
    """One benchmark page: its id, raw bytes and URL."""

    key: str
    body: bytes
    url: str | None


@dataclass(frozen=True, slots=True)
class Output:
    """What an extractor returned for a page (missing fields are None)."""

    text: str
    title: str | None = None
    author: str | None = None
    language: str | None = None
    description: str | None = None


Extractor = Callable[[Page], Output]


# --- extractors ----------------------------------------------------------------------------


def _lumi(page: Page) -> Output:
    from pipeline.errors import NoExtractableText
    from pipeline.ingest.extract import extract_page

    try:
        got = extract_page(page.body, page.url)
    except NoExtractableText:
        return Output("")
    return Output(got.text, got.title, got.author, got.language, got.description)


def _trafilatura(precision: bool) -> Extractor:
    import trafilatura

    def run(page: Page) -> Output:
        return Output(trafilatura.extract(page.body, url=page.url, favor_precision=precision) or "")

    return run


def _trafilatura_metadata(page: Page) -> Output:
    """trafilatura with its metadata (quality only; the timed run extracts text alone)."""
    import trafilatura

    doc = trafilatura.bare_extraction(page.body, url=page.url, with_metadata=True)
    if doc is None:
        return Output("")
    return Output(doc.text or "", doc.title, doc.author, doc.language, doc.description)


def _decoded(page: Page) -> str:
    from pipeline.ingest.extract import decode_html

    return decode_html(page.body)


def _readability(page: Page) -> Output:
    from readability import Document

    from pipeline.ingest.extract import html_to_text

    doc = Document(_decoded(page), url=page.url)
    return Output(html_to_text(doc.summary(html_partial=True)), doc.short_title())


def _newspaper() -> Extractor:
    from newspaper import Article, Config

    config = Config()
    config.fetch_images = False
    config.memorize_articles = False

    def run(page: Page) -> Output:
        article = Article(page.url or "https://example.org/", config=config)
        article.download(input_html=_decoded(page))
        article.parse()
        return Output(
            article.text or "",
            article.title or None,
            ", ".join(article.authors) or None,
            article.meta_lang or None,
            article.meta_description or None,
        )

    return run


def _goose() -> Extractor:
    from goose3 import Goose

    goose = Goose({"enable_image_fetching": False, "http_timeout": 1})

    def run(page: Page) -> Output:
        article = goose.extract(raw_html=_decoded(page))
        return Output(
            article.cleaned_text or "",
            article.title or None,
            ", ".join(article.authors) or None,
            article.meta_lang or None,
            article.meta_description or None,
        )

    return run


def extractors() -> dict[str, Extractor]:
    """Every extractor compared, Lumi first."""
    return {
        "lumi": _lumi,
        "trafilatura": _trafilatura(False),
        "trafilatura_precision": _trafilatura(True),
        "readability_lxml": _readability,
        "newspaper4k": _newspaper(),
        "goose3": _goose(),
    }


# --- data ----------------------------------------------------------------------------------


def scrapinghub(shared: Path, limit: int = 0) -> tuple[list[Page], dict[str, str]]:
    """The scrapinghub benchmark pages and their gold article bodies."""
    root = shared / "extraction" / "scrapinghub-article-extraction-benchmark"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        Page(key, gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()), item["url"])
        for key, item in sorted(truth.items())
    ]
    pages = pages[:limit] if limit else pages
    return pages, {p.key: truth[p.key].get("articleBody") or "" for p in pages}


def trafilatura_eval(shared: Path) -> list[tuple[Page, list[str], list[str]]]:
    """trafilatura evaluation pages present here, with their with/without snippets."""
    root = shared / "extraction" / "trafilatura-eval" / "tests"
    cases = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    out = []
    for url, case in cases.items():
        for folder in ("eval", "cache"):
            path = root / folder / case["file"]
            if path.is_file():
                page = Page(case["file"], path.read_bytes(), url if "://" in url else None)
                out.append((page, list(case.get("with") or ()), list(case.get("without") or ())))
                break
    return out


def mozilla(shared: Path) -> list[tuple[Page, str, dict[str, Any]]]:
    """mozilla readability test pages: page, gold text, gold metadata."""
    from pipeline.ingest.extract import html_to_text

    root = shared / "extraction" / "mozilla-readability" / "test" / "test-pages"
    out = []
    for folder in sorted(p for p in root.iterdir() if (p / "source.html").is_file()):
        expected = folder / "expected.html"
        meta = folder / "expected-metadata.json"
        if not expected.is_file() or not meta.is_file():
            continue
        gold = html_to_text(expected.read_text(encoding="utf-8"))
        page = Page(folder.name, (folder / "source.html").read_bytes(), "http://fakehost/test/")
        out.append((page, gold, json.loads(meta.read_text(encoding="utf-8"))))
    return out


# --- metrics -------------------------------------------------------------------------------


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    span = max(1, len(tokens) - SHINGLE + 1)
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(span) if tokens[i : i + SHINGLE])


def token_prf(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Token P/R/F1 over pages as the scrapinghub benchmark computes it."""
    precisions, recalls = [], []
    for true_text, pred_text in zip(gold, predicted, strict=True):
        true, pred = _shingles(true_text), _shingles(pred_text)
        tp = sum((true & pred).values())
        fp = sum((pred - true).values())
        fn = sum((true - pred).values())
        total = tp + fp + fn
        if total:
            tp, fp, fn = tp / total, fp / total, fn / total
        exact = fp == fn == 0
        if tp + fp > 0:
            precisions.append(1.0 if exact else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if exact else tp / (tp + fn))
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def snippet_prf(results: Sequence[tuple[str, list[str], list[str]]]) -> dict[str, float]:
    """P/R/F1/accuracy over "with" (must appear) and "without" (must not) snippets."""
    tp = fn = fp = tn = 0
    for text, with_, without in results:
        tp += sum(s in text for s in with_)
        fn += sum(s not in text for s in with_)
        fp += sum(s in text for s in without)
        tn += sum(s not in text for s in without)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "accuracy": (tp + tn) / max(1, tp + fn + fp + tn),
    }


def _norm(value: object) -> str:
    text = " ".join(str(value or "").split()).casefold().strip(" .,;:|-–—")
    return re.sub(r"^by\s+", "", text)


def metadata_agreement(results: Sequence[tuple[Output, dict[str, Any]]]) -> dict[str, float]:
    """Share of pages whose field equals the gold one (pages with a gold value only)."""
    fields = {"title": "title", "byline": "author", "lang": "language", "excerpt": "description"}
    out = {}
    for gold_key, attr in fields.items():
        pairs = [(getattr(o, attr), m.get(gold_key)) for o, m in results if m.get(gold_key)]
        if gold_key == "lang":
            hits = sum(_norm(p).split("-")[0] == _norm(g).split("-")[0] for p, g in pairs if p)
        else:
            hits = sum(_norm(p) == _norm(g) for p, g in pairs if p)
        out[gold_key] = hits / len(pairs) if pairs else 0.0
    return out


# --- timing --------------------------------------------------------------------------------


def _quiet(run: Extractor, page: Page) -> Output:
    try:
        return run(page)
    except Exception:  # a peer that crashes on a page extracted nothing from it
        return Output("")


def interleaved(
    runs: dict[str, Callable[[Page], Any]], pages: Sequence[Page], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, dict[str, Any]]]:
    """Time every run on every page, rotating the order per page; per-repeat CPU and wall
    seconds, and each run's results from the first repeat."""
    names = list(runs)
    cpu = {n: [0.0] * repeat for n in names}
    wall = {n: [0.0] * repeat for n in names}
    first: dict[str, dict[str, Any]] = {n: {} for n in names}
    for r in range(repeat):
        for i, page in enumerate(pages):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                w0, c0 = time.perf_counter(), time.process_time()
                result = runs[name](page)
                cpu[name][r] += time.process_time() - c0
                wall[name][r] += time.perf_counter() - w0
                if r == 0:
                    first[name][page.key] = result
    return cpu, wall, first


def ratios(seconds: dict[str, list[float]], reference: str) -> dict[str, float]:
    """Median over repeats of each run's time divided by ``reference``'s: how many times
    faster the reference is (above 1: the reference is faster)."""
    return {
        name: statistics.median(s / ref for s, ref in zip(times, seconds[reference], strict=True))
        for name, times in seconds.items()
    }


# --- whole per-article path ----------------------------------------------------------------


class LumiPath:
    """Lumi's work on fetched pages as an ingest cycle and the day's digest do it, into one
    SQLite store.

    Per page (what a cycle does for each new entry): extract, build the article, store it
    in its own transaction. Per ``batch`` of pages (what a cycle does once with all the
    articles it stored, :func:`pipeline.ingest.cycle` ``_after_store``): classify them and
    assign them to stories. Once for all the pages (what ``lumi digest`` does for a day,
    :func:`pipeline.publish.digest.prepare_day`): summarise the stories the digest shows
    in full (at most ``LUMI_DIGEST_MAX_ITEMS``, off-topic stories included), then the
    visible label of each summary. Every page is dated the same day, so all of them are one
    day's news.
    """

    STAGES = ("extract", "build", "store", "classify", "stories", "summarise", "label")

    def __init__(self, folder: Path, batch: int = 20) -> None:
        from pipeline.classify import classifier_config, load_classifiers
        from pipeline.records import FeedSource
        from pipeline.settings import load_settings
        from pipeline.store import open_store
        from pipeline.store.feeds import sync_feeds

        self.settings = load_settings(env={})
        self.store = open_store(f"sqlite:///{folder}/bench.db")
        with self.store.session() as session:
            sync_feeds(session, [FeedSource("bench", "https://bench.example/feed", "b", "en")])
        self.config = classifier_config(self.settings)
        self.classifiers = load_classifiers(config=self.config)
        self.stage_s = dict.fromkeys(self.STAGES, 0.0)
        self.now = datetime.now(UTC)
        self.batch = batch
        self.pending: list[int] = []

    def close(self) -> None:
        self.store.close()

    def __call__(self, page: Page) -> int | None:
        """Extract, build and store one page; the cycle's batch stages once ``batch``
        articles wait. Returns the stored article's id."""
        from pipeline.errors import NoExtractableText
        from pipeline.ingest.extract import build_article, extract_page
        from pipeline.records import FeedEntry
        from pipeline.store import store_entry

        clock = time.process_time
        t = clock()
        try:
            extracted = extract_page(page.body, page.url)
        except NoExtractableText:
            self.stage_s["extract"] += clock() - t
            return None
        t = self._lap("extract", t)
        entry = FeedEntry(
            feed_id="bench",
            dedupe_key=f"url:{page.url}#{page.key}",
            guid=None,
            url=page.url,
            canonical_url=f"{page.url}#{page.key}",
            title=extracted.title or "",
            summary="",
            content="",
            author=None,
            published=self.now,
            updated=None,
        )
        article = build_article(entry, extracted, fetched_at=self.now)
        t = self._lap("build", t)
        stored = store_entry(self.store, article, entry)
        self._lap("store", t)
        self.pending.append(stored.article_id)
        if len(self.pending) >= self.batch:
            self.end_cycle()
        return stored.article_id

    def end_cycle(self) -> None:
        """Classify the stored articles and group them into stories, as a cycle does once
        it has stored its entries."""
        from pipeline.classify import classify_articles
        from pipeline.publish.stories import assign_stories

        if not self.pending:
            return
        t = time.process_time()
        classify_articles(
            self.store, self.pending, classifiers=self.classifiers, config=self.config
        )
        t = self._lap("classify", t)
        assign_stories(self.store, self.pending, settings=self.settings)
        self._lap("stories", t)
        self.pending = []

    def digest(self) -> list[str]:
        """Summarise the day's stories the digest shows in full, then read each stored
        summary back and give it its visible label."""
        from zoneinfo import ZoneInfo

        from pipeline.publish.digest import period_bounds, prepare_day
        from pipeline.publish.label import disclosure_for, labelled_summary
        from pipeline.publish.stories import stories_between
        from pipeline.store.summaries import latest_summary

        self.end_cycle()
        day = self.now.astimezone(ZoneInfo(self.settings.timezone)).date()
        t = time.process_time()
        # every story may be shown (``lumi digest --all``): the pages are general news, most
        # of it outside the AI news a real day's digest summarises, and leaving it out would
        # leave most of the summariser's work out of the measure
        prepare_day(self.store, day, self.settings, include_off_topic=True)
        t = self._lap("summarise", t)
        labels = []
        stories = stories_between(self.store, *period_bounds(day, 1, self.settings.timezone))
        with self.store.session() as session:
            for story in stories:
                summary = latest_summary(session, story.id)
                if summary is None:
                    continue
                disclosure = disclosure_for(
                    summary.method, settings=self.settings, generated_at=self.now
                )
                labels.append(labelled_summary(disclosure, summary.at_a_glance))
        self._lap("label", t)
        return labels

    def _lap(self, stage: str, started: float) -> float:
        now = time.process_time()
        self.stage_s[stage] += now - started
        return now


# --- profiling -----------------------------------------------------------------------------

_STDLIB = sysconfig.get_paths()["stdlib"] + "/"
_PACKAGE = re.compile(r"site-packages/([A-Za-z0-9_]+)|/(pipeline|classifiers)/")


def profile(run: Callable[[], Any], top: int) -> dict[str, Any]:
    """Own time per function and per package under cProfile."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    by_package: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, calls, own, cum, _callers) in raw.items():
        match = _PACKAGE.search(filename)
        package = (match.group(1) or match.group(2)) if match else "python/builtins"
        by_package[package] = by_package.get(package, 0.0) + own
        short = filename.split("site-packages/")[-1].split(str(REPO) + "/")[-1]
        if short.startswith(_STDLIB):
            short = short[len(_STDLIB) :]
        rows.append(
            {
                "function": f"{short}:{line}:{func}",
                "calls": calls,
                "own_share": round(own / total, 4),
                "cumulative_share": round(cum / total, 4),
            }
        )
    rows.sort(key=lambda r: -r["own_share"])
    packages = {k: round(v / total, 4) for k, v in sorted(by_package.items(), key=lambda x: -x[1])}
    return {"total_s": round(total, 3), "own_time_by_package": packages, "top": rows[:top]}


# --- the run -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Cores, Python and the versions of the packages measured."""
    import os

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": load,
        "packages": versions,
    }


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}


def run_bench(
    shared: Path,
    *,
    repeat: int = 3,
    limit: int = 0,
    path: bool = True,
    others: bool = True,
    top: int = 0,
    batch: int = 20,
) -> dict[str, Any]:
    """Measure quality, extraction speed and (with ``path``) the whole per-article path."""
    runs = extractors()
    pages, gold = scrapinghub(shared, limit)
    for run in runs.values():  # models, stoplists and caches load outside the timed part
        _quiet(run, pages[0])
    timed = {name: (lambda p, r=run: _quiet(r, p)) for name, run in runs.items()}
    cpu, wall, outputs = interleaved(timed, pages, repeat)
    keys = [p.key for p in pages]
    result: dict[str, Any] = {
        "machine": machine(),
        "pages": len(pages),
        "repeat": repeat,
        "scrapinghub": {
            name: _rounded(
                token_prf([gold[k] for k in keys], [outputs[name][k].text for k in keys])
            )
            for name in runs
        },
        "extraction_speed": {
            "cpu_s_median": {n: round(statistics.median(s), 3) for n, s in cpu.items()},
            "wall_s_median": {n: round(statistics.median(s), 3) for n, s in wall.items()},
            "pages_per_cpu_s": {
                n: round(len(pages) / statistics.median(s), 2) for n, s in cpu.items()
            },
            "lumi_speed_vs": _rounded(ratios(cpu, "lumi")),
            "lumi_speed_vs_wall": _rounded(ratios(wall, "lumi")),
        },
    }

    eval_pages = trafilatura_eval(shared) if others else []
    moz = mozilla(shared) if others else []
    meta_runs = {**runs, "trafilatura": _trafilatura_metadata}
    result["trafilatura_eval"] = {"pages": len(eval_pages)}
    result["mozilla"] = {"pages": len(moz)}
    for name, run in meta_runs.items():
        got = [(_quiet(run, page).text, w, wo) for page, w, wo in eval_pages]
        result["trafilatura_eval"][name] = _rounded(snippet_prf(got))
        outs = [(_quiet(run, page), gold_text, meta) for page, gold_text, meta in moz]
        result["mozilla"][name] = {
            "text": _rounded(token_prf([g for _, g, _ in outs], [o.text for o, _, _ in outs])),
            "metadata": _rounded(metadata_agreement([(o, m) for o, _, m in outs])),
        }

    if path:
        result["whole_path"] = _whole_path(pages, runs, repeat, batch)
    if top:
        result["profile"] = {"extraction": profile(lambda: [_lumi(p) for p in pages], top)}
        if path:
            with tempfile.TemporaryDirectory() as tmp:
                lumi_path = LumiPath(Path(tmp), batch)
                result["profile"]["whole_path"] = profile(
                    lambda: ([lumi_path(p) for p in pages], lumi_path.digest()), top
                )
                lumi_path.close()
    return result


def _whole_path(
    pages: Sequence[Page], runs: dict[str, Extractor], repeat: int, batch: int
) -> dict[str, Any]:
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    stages: list[dict[str, float]] = []
    for r in range(repeat):  # a fresh store each repeat: every page is a new article
        with tempfile.TemporaryDirectory() as tmp:
            lumi_path = LumiPath(Path(tmp), batch)
            lumi_path(pages[0])  # models, caches and the summariser load untimed
            lumi_path.digest()
            lumi_path.stage_s = dict.fromkeys(LumiPath.STAGES, 0.0)
            timed: dict[str, Callable[[Page], Any]] = {
                "lumi_path": lumi_path,
                "trafilatura": lambda p: _quiet(runs["trafilatura"], p),
                "newspaper4k": lambda p: _quiet(runs["newspaper4k"], p),
            }
            # rotate from a different start each repeat
            order = list(timed)[r % 3 :] + list(timed)[: r % 3]
            c, w, _ = interleaved({k: timed[k] for k in order}, pages[1:], 1)
            # the last cycle's batch and the day's digest, after the last page
            w0, c0 = time.perf_counter(), time.process_time()
            lumi_path.digest()
            c["lumi_path"][0] += time.process_time() - c0
            w["lumi_path"][0] += time.perf_counter() - w0
            for name in timed:
                cpu.setdefault(name, []).append(c[name][0])
                wall.setdefault(name, []).append(w[name][0])
            stages.append(lumi_path.stage_s)
            lumi_path.close()
    total = {s: statistics.median(x[s] for x in stages) for s in LumiPath.STAGES}
    share = {s: round(v / (sum(total.values()) or 1.0), 4) for s, v in total.items()}
    return {
        "pages": len(pages) - 1,
        "batch": batch,
        "cpu_s_median": {n: round(statistics.median(s), 3) for n, s in cpu.items()},
        "wall_s_median": {n: round(statistics.median(s), 3) for n, s in wall.items()},
        "lumi_speed_vs": _rounded(ratios(cpu, "lumi_path")),
        "lumi_speed_vs_wall": _rounded(ratios(wall, "lumi_path")),
        "stage_share": share,
        "stage_cpu_s_median": _rounded(total),
    }


# --- output --------------------------------------------------------------------------------


def _print(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(
        f"machine: {m['cores']} cores, Python {m['python']}, load average at start "
        f"{m['load_average_at_start']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    )
    print(
        "other processes may share the cores: runs are interleaved page by page and every "
        "ratio compares times from the same run (median over repeats)"
    )
    speed = result["extraction_speed"]
    print(
        f"\nscrapinghub, {result['pages']} pages x {result['repeat']} repeats"
        "\nextractor               P      R      F1     CPU s  pages/s  Lumi speed vs it"
    )
    for name, prf in result["scrapinghub"].items():
        print(
            f"{name:22s} {prf['precision']:.3f}  {prf['recall']:.3f}  {prf['f1']:.3f}  "
            f"{speed['cpu_s_median'][name]:6.2f}  {speed['pages_per_cpu_s'][name]:6.1f}   "
            f"{speed['lumi_speed_vs'][name]:.2f}x"
        )
    te = result["trafilatura_eval"]
    print(
        f"\ntrafilatura evaluation pages ({te['pages']}): snippets"
        "\nextractor               P      R      F1     accuracy"
    )
    for name, prf in te.items():
        if name != "pages":
            print(
                f"{name:22s} {prf['precision']:.3f}  {prf['recall']:.3f}  {prf['f1']:.3f}  "
                f"{prf['accuracy']:.3f}"
            )
    moz = result["mozilla"]
    print(
        f"\nmozilla readability pages ({moz['pages']}): text and metadata agreement"
        "\nextractor              text F1  title  byline  lang   excerpt"
    )
    for name, r in moz.items():
        if name != "pages":
            md = r["metadata"]
            print(
                f"{name:22s} {r['text']['f1']:.3f}    {md['title']:.2f}   {md['byline']:.2f}    "
                f"{md['lang']:.2f}   {md['excerpt']:.2f}"
            )
    path = result.get("whole_path")
    if path:
        print(
            f"\nwhole per-article path, {path['pages']} pages x {result['repeat']} repeats, "
            f"cycles of {path['batch']} articles, one digest"
        )
        for name, s in path["cpu_s_median"].items():
            print(
                f"{name:22s} CPU {s:7.2f} s  wall {path['wall_s_median'][name]:7.2f} s  "
                f"Lumi path speed vs it {path['lumi_speed_vs'][name]:.2f}x"
            )
        print(
            "Lumi stage shares: "
            + ", ".join(f"{k} {v:.0%}" for k, v in path["stage_share"].items())
        )
    for part, prof in (result.get("profile") or {}).items():
        print(f"\nprofile of Lumi's {part} ({prof['total_s']} s under cProfile), own time:")
        shares = prof["own_time_by_package"].items()
        print("  " + ", ".join(f"{k} {v:.0%}" for k, v in shares if v >= 0.01))
        for row in prof["top"]:
            print(f"  {row['own_share']:6.1%} {row['calls']:>8}  {row['function']}")


def main() -> int:
    """Run the benchmark and print the tables (``--json``: one JSON object)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="at most N scrapinghub pages")
    parser.add_argument("--skip-path", action="store_true", help="no whole-path measurement")
    parser.add_argument(
        "--skip-others", action="store_true", help="scrapinghub only (no trafilatura/mozilla)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=20,
        metavar="B",
        help="whole path: articles a cycle classifies and groups at once (default 20)",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="top N functions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (args.shared / "extraction").is_dir():
        print(f"no extraction data under {args.shared}/extraction", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # peers' deprecation chatter is not a result
    import logging

    logging.disable(logging.CRITICAL)
    result = run_bench(
        args.shared,
        repeat=args.repeat,
        limit=args.limit,
        path=not args.skip_path,
        others=not args.skip_others,
        top=args.profile,
        batch=args.batch,
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
