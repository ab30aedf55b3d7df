"""Classification of stored articles: the stage between the store and ``classifiers/``.

Ingestion classifies new articles with every registered classifier; ``lumi reclassify``
re-runs them over the archive. Each stored result records the classifier's name, version
and the article's content hash, so re-running the same version on the same text stores
nothing new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from classifiers import errors as classifier_errors
from classifiers.base import MAX_TEXT_CHARS, ClassifierConfig
from pipeline import errors
from pipeline.store import Store, articles_to_classify
from pipeline.store.classifications import store_classifications

if TYPE_CHECKING:
    from pipeline.settings import Settings

from pipeline.text import looks_binary

__all__ = [
    "ClassifyStats",
    "classifier_config",
    "classify_articles",
    "classify_input",
    "load_classifiers",
    "translated_errors",
]

log = logging.getLogger("lumi.classify")


@dataclasses.dataclass(frozen=True, slots=True)
class ClassifyStats:
    """What one classification pass did."""

    articles: int
    stored: int
    unchanged: int
    classifiers: tuple[str, ...]
    duration_s: float


def classifier_config(settings: Settings) -> ClassifierConfig:
    """The classifiers' configuration taken from Lumi's settings (``LUMI_SPACY_MODEL``)."""
    return ClassifierConfig(spacy_model=str(settings.spacy_model))


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise the classifiers' own errors as their ``pipeline.errors`` counterparts."""
    try:
        yield
    except classifier_errors.UnknownClassifier as exc:
        raise errors.UnknownClassifier(str(exc)) from exc
    except classifier_errors.ClassifierNotConfigured as exc:
        raise errors.ClassifierNotConfigured(str(exc)) from exc
    except classifier_errors.ClassifierError as exc:
        raise errors.ClassifierError(str(exc)) from exc


def load_classifiers(
    only: Sequence[str] | None = None, config: ClassifierConfig | None = None
) -> list[Any]:
    """Build the registered classifiers (those missing their model or data are skipped,
    with a log line saying how to enable them).

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is not configured.
    """
    from classifiers.registry import build_all

    with translated_errors():
        return list(build_all(only=only, config=config).values())


def _batches(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def classify_articles(
    store: Store,
    article_ids: Sequence[int],
    *,
    only: Sequence[str] | None = None,
    classifiers: list[Any] | None = None,
    config: ClassifierConfig | None = None,
) -> ClassifyStats:
    """Classify stored articles and store each classifier's result.

    Args:
        store: the open database.
        article_ids: which articles.
        only: classifier names (``actors`` or ``actors.v1``) to run; default all.
        classifiers: already built classifiers (reuse across calls).
        config: the classifiers' configuration (:func:`classifier_config`).
    """
    from classifiers.api import classify_batch
    from classifiers.base import make_document
    from pipeline.store.feeds import article_publishers

    started = time.perf_counter()
    active = classifiers if classifiers is not None else load_classifiers(only, config)
    stored = unchanged = done = 0
    for batch in _batches(list(article_ids), 200):
        with store.session() as session:
            articles = articles_to_classify(session, batch)
            publishers = article_publishers(session, [a.id for a in articles])
            docs = [
                make_document(
                    a.text, title=a.title, language=a.language, publisher=publishers.get(a.id)
                )
                for a in articles
            ]
            with translated_errors():
                found = classify_batch(docs, active)
            rows = [
                (article.id, c.classifier, c.version, article.content_hash, c.to_json())
                for article, classifications in zip(articles, found, strict=True)
                for c in classifications
            ]
            new = store_classifications(session, rows)
            stored += new
            unchanged += len(rows) - new
            done += len(articles)
    return ClassifyStats(
        done,
        stored,
        unchanged,
        tuple(f"{c.name}.{c.version}" for c in active),
        time.perf_counter() - started,
    )


# --- one-off classification of files, URLs and stdin (``lumi classify``) --------------------

#: Languages the classifiers are written and trained for. Actor names match in any language;
#: license phrasing is written for these; the risk-theme model is trained on English only.
SUPPORTED_LANGUAGES = ("en",)
LICENSE_LANGUAGES = ("en", "de", "fr", "es", "zh")


@dataclasses.dataclass(frozen=True, slots=True)
class ClassifyInput:
    """One input of ``lumi classify``, read and prepared."""

    name: str
    title: str
    text: str
    language: str | None
    truncated: bool = False
    problem: str | None = None


def prepare_input(name: str, data: bytes, *, content_type: str | None = None) -> ClassifyInput:
    """Turn raw bytes (HTML or plain text) into a classifiable input; never raises."""
    from pipeline.errors import NoExtractableText
    from pipeline.ingest.extract import decode_html, detect_language, extract_page

    if not data.strip():
        return ClassifyInput(name, "", "", None, problem="empty input: nothing to classify")
    head = data[:2048].lstrip().lower()
    is_html = (content_type or "").startswith(("text/html", "application/xhtml")) or (
        head.startswith((b"<!doctype html", b"<html")) or b"<body" in data[:65536].lower()
    )
    if not is_html and looks_binary(data):
        return ClassifyInput(
            name, "", "", None, problem="binary input: not HTML or text, nothing classified"
        )
    if is_html:
        try:
            page = extract_page(data, None, content_type=content_type)
        except NoExtractableText as exc:
            return ClassifyInput(name, "", "", None, problem=f"no article text: {exc.message}")
        title, text, language = page.title or "", page.text, page.language
    else:
        text = (
            decode_html(data, content_type)
            if content_type
            else data.decode("utf-8", errors="replace")
        )
        lines = text.lstrip().split("\n", 2)
        title = ""
        if len(lines) >= 2 and len(lines[0]) < 200 and not lines[1].strip():
            title, text = lines[0].strip(), lines[2] if len(lines) > 2 else ""
        language = detect_language(text[:20000])
    truncated = len(text) > MAX_TEXT_CHARS
    if truncated:
        cut = text.rfind("\n", 0, MAX_TEXT_CHARS)
        text = text[: cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS]
    return ClassifyInput(name, title, text, language, truncated=truncated)


def read_input(target: str, settings: Settings, stdin: Any = None) -> ClassifyInput:
    """Read one ``lumi classify`` input: a file path, an http(s) URL or ``-`` (stdin).

    Fetch problems and unreadable files come back as an input with ``problem`` set.
    """
    import sys

    from pipeline.errors import LumiError

    if target == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return prepare_input("-", stream.read())
    if target.startswith(("http://", "https://")):
        from pipeline.ingest.fetch import PAGE_ACCEPT, fetch_url

        try:
            result = fetch_url(target, settings, accept=PAGE_ACCEPT)
        except LumiError as exc:
            return ClassifyInput(target, "", "", None, problem=f"fetch failed: {exc}")
        return prepare_input(target, result.body, content_type=result.headers.get("content-type"))
    try:
        with open(target, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return ClassifyInput(target, "", "", None, problem=f"cannot read {target}: {exc.strerror}")
    return prepare_input(target, data)


def classify_input(
    inp: ClassifyInput, settings: Settings, *, only: Sequence[str] | None = None
) -> dict[str, Any]:
    """Classify one prepared input: the output-contract object (design.md section 6), plus
    ``input`` and, where relevant, ``warnings`` and ``error``.

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is not configured.
    """
    from classifiers.api import classify_batch, output_keys, report
    from classifiers.base import make_document
    from pipeline.publish.label import disclosure_for
    from pipeline.publish.summarise import summarise_story
    from pipeline.records import ArticleText
    from pipeline.store import utcnow

    if inp.problem and not inp.text:
        return {
            "input": inp.name,
            "title": inp.title,
            "language": inp.language,
            **{key: [] for key in output_keys()},
            "summary": None,
            "disclosure": None,
            "classifiers": {},
            "error": {"class": "unusable_input", "message": inp.problem},
        }
    active = load_classifiers(only, classifier_config(settings))
    doc = make_document(inp.text, title=inp.title, language=inp.language)
    with translated_errors():
        (found,) = classify_batch([doc], active, extras=True)
    out = report(doc, found).to_json()
    summary = summarise_story([ArticleText(title=inp.title, text=inp.text)], out)
    out["summary"] = summary.to_json()
    out["disclosure"] = disclosure_for(
        summary.method, settings=settings, generated_at=utcnow().replace(microsecond=0)
    ).to_json()
    warnings = []
    if inp.truncated:
        warnings.append(
            f"input longer than {MAX_TEXT_CHARS} characters: classified the first {len(inp.text)}"
        )
    if inp.language and inp.language not in SUPPORTED_LANGUAGES:
        missed = "risk themes are English-only"
        if inp.language not in LICENSE_LANGUAGES:
            missed = f"license phrasing ({', '.join(LICENSE_LANGUAGES)}) and {missed}"
        warnings.append(
            f"language '{inp.language}' is not fully supported: actor names are matched, "
            f"but {missed} and may be missed"
        )
    if not inp.text.strip():
        warnings.append("no text to classify")
    return {"input": inp.name, **out, **({"warnings": warnings} if warnings else {})}
