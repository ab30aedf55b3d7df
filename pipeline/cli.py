"""The ``lumi`` command: a thin layer that parses arguments, calls one library function and
formats what it returns.

Exit codes: 0 success, 1 the work ran but some items failed (or a named item was not found),
2 usage or configuration error. Every error is one ``error: <message>`` line on stderr;
warnings are ``warning: <message>`` lines. An unexpected exception (a bug) is reported as
``error: internal error: ...`` with exit code 1; ``lumi --verbose`` shows its traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.exceptions import TyperException

from pipeline import __version__
from pipeline.errors import ConfigError, LumiError
from pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    from pipeline.ingest.cycle import CycleReport
    from pipeline.records import ExtractedPage, FeedSource, RegistrySync
    from pipeline.store import Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # A traceback with locals would print settings, API keys included.
    pretty_exceptions_show_locals=False,
    help="Lumi: AI-industry news ingestion, classification and digests.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
feeds_app = typer.Typer(no_args_is_help=True, help="Manage and diagnose the feed registry.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema management.")
dataset_app = typer.Typer(no_args_is_help=True, help="The labelled development set.")
app.add_typer(feeds_app, name="feeds")
app.add_typer(db_app, name="db")
app.add_typer(dataset_app, name="dataset")

_state: dict[str, Any] = {}

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="File of settings (KEY=VALUE lines or YAML); env wins."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _settings() -> Settings:
    settings = _state.get("settings")
    if settings is None:
        settings = load_settings(config_file=_state.get("config"))
        _state["settings"] = settings
    return settings


# What a terminal acts on: C0 controls but tab and newline, DEL and C1 (ESC, CSI, OSC, ...).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# json.dumps escapes C0 itself; DEL and C1 it leaves raw when ensure_ascii is off.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with every control character a terminal would act on written as ``\\xNN``:
    feed titles, page text and server messages are third-party text."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _echo(message: object = "", *, err: bool = False) -> None:
    typer.echo(terminal_safe(str(message)), err=err)


def _secho(message: object, *, err: bool = False, fg: str | None = None) -> None:
    typer.secho(terminal_safe(str(message)), err=err, fg=fg)


def _emit(obj: Any) -> None:
    text = json.dumps(obj, ensure_ascii=False, default=str)
    sys.stdout.write(_JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _error(message: str) -> None:
    _secho(f"error: {_one_line(message)}", err=True, fg=typer.colors.RED)


def _warn(message: str) -> None:
    _secho(f"warning: {_one_line(message)}", err=True, fg=typer.colors.YELLOW)


def _fail(message: str, code: int) -> NoReturn:
    _error(message)
    raise typer.Exit(code)


def placeholder_warnings(settings: Settings) -> list[str]:
    """Warnings for settings still at a placeholder that would be published as is."""
    from pipeline.settings import SETTINGS

    default = next(s.default for s in SETTINGS if s.name == "ai_policy_url")
    if settings.ai_policy_url != default:
        return []
    return [
        f"LUMI_AI_POLICY_URL is not set: every AI disclosure label links to the placeholder "
        f"{default}; set it to the publisher's AI policy page"
    ]


def _warn_placeholders(settings: Settings) -> None:
    for message in placeholder_warnings(settings):
        _warn(message)


def _print_version(value: bool) -> None:
    if value:
        _echo(f"Lumi {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG level.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version.",
            callback=_print_version,
            is_eager=True,
            expose_value=False,
        ),
    ] = False,
) -> None:
    _state.clear()
    _state["config"] = config
    _state["verbose"] = verbose
    from pipeline.logs import configure_logging

    try:
        settings = _settings()
    except ConfigError as exc:
        _fail(str(exc), 2)
    configure_logging(settings, level="DEBUG" if verbose else None)


def _open_store(settings: Settings) -> Store:
    from pipeline.store import open_store
    from pipeline.store.engine import RetryPolicy

    store = open_store(settings.database_url)
    store.retry = RetryPolicy(deadline_s=settings.db_retry_seconds)
    return store


def _registry(settings: Settings) -> tuple[FeedSource, ...]:
    from pipeline.ingest.registry import load_registry

    return load_registry(settings.feeds)


# --- ingestion --------------------------------------------------------------------------


@app.command()
def fetch(
    all_feeds: Annotated[bool, typer.Option("--all", help="Poll every feed, due or not.")] = False,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="Poll only this feed id (repeatable).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Run one ingest cycle: poll due feeds, fetch new pages, extract, classify, store."""
    from pipeline.ingest.cycle import run_cycle

    settings = _settings()
    try:
        sources = _registry(settings)
        if feed:
            unknown = sorted(set(feed) - {s.id for s in sources})
            if unknown:
                _fail(f"no feed with id {', '.join(unknown)} in {settings.feeds}", 2)
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    try:
        report = run_cycle(store, settings, sources, force=all_feeds, only=feed or None)
    finally:
        store.close()
    if json_out:
        _emit(report.to_json())
    else:
        for f in report.feeds:
            status = f.http_status if f.http_status is not None else "-"
            line = f"{f.feed_id:<32} {status!s:>4} new={f.new}"
            if f.pending:
                line += f" pending={f.pending}"
            if f.error_class:
                line += f"  ERROR {f.error_class}: {f.error_message}"
            elif f.degraded:
                line += "  (degraded)"
            _echo(line)
        _echo(
            f"{len(report.feeds)} feeds polled, {report.new} new, {report.failed} failed "
            f"in {report.duration_s:.1f}s"
        )
        pending = sum(f.pending for f in report.feeds)
        if pending or report.pages_retried:
            _echo(
                f"{pending} entries waiting for their text; {report.pages_retried} pages "
                f"retried, {report.pending_filled} arrived"
            )
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def extract(
    targets: Annotated[list[str], typer.Argument(help="HTML files or http(s) URLs.")],
    json_out: JsonOpt = False,
) -> None:
    """Show what the extractor keeps from pages (title, author, date, language, text, teaser)."""
    from pipeline.ingest.extract import extract_target

    settings = _settings()
    failed = 0
    for target in targets:
        try:
            page = extract_target(target, settings)
        except LumiError as exc:
            failed += 1
            if json_out:
                _emit(
                    {"input": target, "error": {"class": type(exc).__name__, "message": str(exc)}}
                )
            else:
                _secho(f"{target}: {exc}", err=True, fg=typer.colors.RED)
            continue
        data = page_to_json(page)
        data["input"] = target
        if json_out:
            _emit(data)
        else:
            _echo(f"== {target}")
            for key in (
                "title",
                "author",
                "date",
                "site_name",
                "language",
                "is_teaser",
                "word_count",
            ):
                _echo(f"{key:>10}: {data[key]}")
            _echo("")
            _echo(data["text"])
            _echo("")
    raise typer.Exit(1 if failed else 0)


def page_to_json(page: ExtractedPage) -> dict[str, Any]:
    """The ``lumi extract --json`` object for an extracted page."""
    return {
        "url": page.url,
        "title": page.title,
        "author": page.author,
        "date": page.date.isoformat() if page.date else None,
        "site_name": page.site_name,
        "language": page.language,
        "is_teaser": page.is_teaser,
        "word_count": page.word_count,
        "description": page.description,
        "text": page.text,
    }


@app.command()
def demo(
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder (a fresh SQLite file lumi.db is created there)."),
    ] = Path("lumi-demo"),
) -> None:
    """Offline end-to-end run over the bundled sample feeds, served on a loopback port."""
    from pipeline.demo import run_demo

    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file; the demo needs a folder (new or existing)", 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"cannot create the demo folder {out}: {exc.strerror or exc}", 2)
    try:
        result = run_demo(out, _settings(), echo=_echo)
    except ConfigError as exc:
        _fail(str(exc), 2)
    raise typer.Exit(1 if result.failed else 0)


@app.command()
def run() -> None:
    """The service: scheduled polling, the daily digest, /healthz and /metrics."""
    from pipeline.ingest.cycle import run_cycle
    from pipeline.service import Service

    settings = _settings()
    _warn_placeholders(settings)
    try:
        _registry(settings)
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)

    def cycle() -> CycleReport:
        # The registry is re-read every cycle so edits to feeds.yaml apply without a restart.
        return run_cycle(store, settings, _registry(settings), holder=service.instance)

    service = Service(store, settings, cycle, digest=_digest_job(store, settings))
    try:
        service.bind()
    except ConfigError as exc:
        store.close()
        _fail(str(exc), 2)
    _echo(
        f"Lumi {__version__} running; health on "
        f"http://{settings.http_host}:{settings.http_port}/healthz (Ctrl-C stops)"
    )
    try:
        finished = service.run_forever()
    except BaseException:
        store.close()
        raise
    if not finished:
        # The abandoned job's thread cannot be stopped and would hold the interpreter's
        # exit until it ends; what it has not committed is redone after a restart.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    store.close()


def _digest_job(store: Store, settings: Settings) -> Any:
    try:
        from pipeline.publish.digest import prepare_day, write_digest
    except ImportError:
        return None

    def job(day: Any) -> object:
        # prepare_day is idempotent, so a transient database fault re-runs it whole
        prepared = store.retrying(prepare_day, day, settings)
        log = logging.getLogger("lumi.digest")
        log.info(
            "articles grouped into stories", extra={"stage": "stories", "count": prepared.articles}
        )
        log.info("stories summarised", extra={"stage": "summarise", "count": prepared.summarised})
        return write_digest(store, day, settings, out_dir=Path(settings.export_dir))

    return job


# --- classification -------------------------------------------------------------------


@app.command()
def classify(
    targets: Annotated[
        list[str], typer.Argument(help="HTML or text files, http(s) URLs, or - for stdin.")
    ],
    json_out: JsonOpt = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this classifier (repeatable).")
    ] = None,
) -> None:
    """Classify articles without storing them: actors, license events, risk themes,
    summary and disclosure, with the evidence for each."""
    from pipeline.classify import classify_input, read_input

    settings = _settings()
    failed = 0
    for target in targets:
        try:
            result = classify_input(read_input(target, settings), settings, only=only)
        except LumiError as exc:
            _fail(str(exc), 2)
        failed += "error" in result
        if json_out:
            _emit(result)
        else:
            _echo(_classification_text(result))
    raise typer.Exit(1 if failed else 0)


def _classification_text(r: dict[str, Any]) -> str:
    lines = [f"== {r['input']}: {r.get('title') or '(no title)'}  [language: {r['language']}]"]
    if "error" in r:
        lines.append(f"   error: {r['error']['message']}")
        return "\n".join(lines)
    for w in r.get("warnings", []):
        lines.append(f"   warning: {w}")
    lines.append("Actors:" if r["actors"] else "Actors: none")
    for a in r["actors"]:
        lines.append(f"  - {a['name']} ({a['type']})\n      evidence: {a['evidence']}")
    lines.append("License events:" if r["license_events"] else "License events: none")
    for e in r["license_events"]:
        change = f"{e['from_license'] or '?'} -> {e['to_license']}"
        lines.append(
            f"  - {e['kind']}: {e['actor'] or '?'} / {e['model'] or '?'}  {change}\n"
            f"      evidence: {e['evidence']}"
        )
    lines.append("Risk themes:" if r["risk_themes"] else "Risk themes: none")
    for t in r["risk_themes"]:
        lines.append(f"  - {t['theme']} ({t['score']:.2f})\n      evidence: {t['evidence']}")
    if r.get("summary"):
        if r.get("disclosure"):
            lines.append(f"[{r['disclosure']['label_text']}]")
        lines.append(f"At a glance: {r['summary']['at_a_glance']}")
        for sec in r["summary"]["sections"]:
            lines.append(f"{sec['heading']} {sec['text']}")
    lines.append("Classifiers: " + ", ".join(f"{k}.{v}" for k, v in r["classifiers"].items()))
    return "\n".join(lines) + "\n"


@app.command("eval")
def eval_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="Labelled JSON Lines (text or html plus expected "
            "actors, license_events, risk_themes)."
        ),
    ],
    json_out: JsonOpt = False,
    passages: Annotated[
        bool,
        typer.Option(
            "--passages",
            help="FILE holds labelled passages (passages-*.jsonl): score license events "
            "per split and language (detected from the records when not given).",
        ),
    ] = False,
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="Passages only: score only this split (repeatable)."),
    ] = None,
    errors: Annotated[
        bool, typer.Option("--errors", help="Passages only: list every passage scored wrong.")
    ] = False,
) -> None:
    """Score the classifiers against a labelled file: P/R/F1 per label, micro and macro.

    Passages of the labelled development set are flagged: the report is then in-sample.
    A file of labelled passages (``--passages``) is scored for license events on
    (kind, to_license), with model and actor accuracy over matched events."""
    from classifiers.base import Document, make_document
    from classifiers.evaluate import (
        batch_classify,
        evaluate,
        format_report,
        read_items,
    )
    from pipeline.classify import classifier_config, load_classifiers, prepare_input

    def document(item: dict[str, Any]) -> Document:
        if item.get("text") is not None:
            return make_document(item["text"], title=item.get("title", ""))
        inp = prepare_input(
            str(item.get("id", "")), str(item.get("html", "")).encode(), content_type="text/html"
        )
        return make_document(inp.text, title=item.get("title") or inp.title, language=inp.language)

    if passages or _is_passage_file(file):
        _eval_passages(file, split, errors, json_out)
        return
    with _eval_errors(file):
        run = batch_classify(load_classifiers(config=classifier_config(_settings())), document)
        report = evaluate(read_items(file), run)
    if json_out:
        _emit(report.to_json())
    else:
        _echo(format_report(report))


@contextlib.contextmanager
def _eval_errors(file: Path) -> Iterator[None]:
    """Unreadable or unlabelled evaluation input is a usage error (exit 2)."""
    from classifiers.evaluate import NoLabelledItems

    try:
        yield
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}", 2)
    except NoLabelledItems as exc:
        _fail(f"{file}: {exc}", 2)
    except ValueError as exc:
        _fail(str(exc), 2)


def _is_passage_file(file: Path) -> bool:
    from classifiers.evaluate import is_passage_record, read_items

    try:
        first = next(read_items(file), None)
    except (OSError, ValueError):
        return False  # the ordinary path reports the problem
    return first is not None and is_passage_record(first)


def _eval_passages(file: Path, splits: list[str] | None, errors: bool, json_out: bool) -> None:
    from classifiers.evaluate import (
        evaluate_license_passages,
        format_passage_report,
        passage_document,
        read_items,
    )
    from classifiers.registry import get
    from pipeline.classify import classifier_config

    with _eval_errors(file):
        classifier = get("license_events", classifier_config(_settings()))
        report = evaluate_license_passages(
            read_items(file),
            lambda item: classifier.classify(passage_document(item)),
            splits=set(splits) if splits else None,
            keep_errors=errors,
        )
    if json_out:
        _emit(report.to_json())
    else:
        _echo(format_passage_report(report))


@app.command()
def train(
    classifier: Annotated[
        str,
        typer.Argument(help="The classifier to train: risk_themes (default) or relevance."),
    ] = "risk_themes",
    shared: Annotated[
        Path, typer.Option("--shared", help="The shared data folder the labelled set refers to.")
    ] = Path("../shared/data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "--out",
            help="Where to write the model, overwriting it (default: a new "
            "<classifier>.<version>.trained.json here; the shipped model only when named).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for every fold split.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild the risk-theme (default) or relevance model from the labelled development set
    (reproducible; prints nested cross-validated figures)."""
    if classifier not in ("risk_themes", "relevance"):
        _fail(f"unknown classifier {classifier!r} (choose risk_themes or relevance)", 2)
    if classifier == "relevance":
        _train_relevance(shared, out, seed, json_out)
        return
    from classifiers.dataset import load_labels
    from classifiers.train import format_train_report, output_path, train_risk_themes
    from pipeline.corpus import corpus_loader

    if not (shared / "corpus").is_dir():
        _fail(f"{shared} does not hold the shared corpus (pass --shared DIR)", 2)
    try:
        target = output_path(out)
    except FileExistsError as exc:
        _fail(str(exc), 2)
    report = train_risk_themes(load_labels(), corpus_loader(shared), target, seed=seed)
    if json_out:
        _emit(report.to_json())
    else:
        _echo(format_train_report(report))


def _train_relevance(shared: Path, out: Path | None, seed: int, json_out: bool) -> None:
    from classifiers.train import format_relevance_report, relevance_output_path, train_relevance
    from pipeline.corpus import relevance_examples

    if not (shared / "corpus").is_dir():
        _fail(f"{shared} does not hold the shared corpus (pass --shared DIR)", 2)
    try:
        target = relevance_output_path(out)
    except FileExistsError as exc:
        _fail(str(exc), 2)
    try:
        examples, held_out = relevance_examples(shared)
        report = train_relevance(examples, target, held_out=held_out, seed=seed)
    except OSError as exc:
        _fail(f"cannot read the shared data or write {target}: {exc}", 2)
    except (KeyError, ValueError) as exc:
        _fail(f"the relevance labels do not match {shared}: {exc}", 1)
    if json_out:
        _emit(report.to_json())
    else:
        _echo(format_relevance_report(report))


@dataset_app.command("build")
def dataset_build(
    shared: Annotated[
        Path, typer.Option("--shared", help="The shared data folder the labelled set refers to.")
    ] = Path("../shared/data"),
    out: Annotated[
        Path, typer.Option("--out", help="The evaluation JSON Lines file to write.")
    ] = Path("devset.jsonl"),
) -> None:
    """Write the labelled development set with its text as JSON Lines for ``lumi eval``."""
    from pipeline.corpus import build_dataset

    if not (shared / "corpus").is_dir():
        _fail(f"{shared} does not hold the shared corpus (pass --shared DIR)", 2)
    try:
        count = build_dataset(shared, out)
    except OSError as exc:
        _fail(f"cannot write {out} or read the corpus: {exc}", 2)
    except (KeyError, ValueError) as exc:
        _fail(f"the labelled set does not match {shared}: {exc}", 1)
    _echo(f"wrote {count} items to {out}")


@dataset_app.command("show")
def dataset_show(
    shared: Annotated[Path, typer.Argument(help="The shared data folder.")],
    file: Annotated[
        str, typer.Argument(help="Path relative to the shared folder, e.g. corpus/dev/x.xml.")
    ],
    entry: Annotated[
        int | None, typer.Option("--entry", help="Only entry number N (0-based).")
    ] = None,
) -> None:
    """Print a corpus file's entries with numbered paragraphs (what labels refer to)."""
    from pipeline.corpus import load_corpus_file

    try:
        items = load_corpus_file(shared, file)
    except OSError as exc:
        _fail(f"cannot read {shared / file}: {exc.strerror}", 2)
    except ValueError as exc:
        _fail(str(exc), 2)
    for n, item in enumerate(items):
        if entry is not None and n != entry:
            continue
        _echo(f"=== [{n}] entry={item.entry!r}\n    title={item.title!r}")
        for i, para in enumerate(item.paragraphs):
            _echo(f"  ({i}) {para}")


@app.command()
def reclassify(
    since: Annotated[
        str | None, typer.Option("--since", help="First fetch day, YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Day after the last, YYYY-MM-DD.")
    ] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this classifier.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (a local Dask cluster when Dask is installed).",
        ),
    ] = 1,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report changes, store nothing.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Re-run classifiers over stored articles; stream, show progress, report what changed."""
    from pipeline.classify import classifier_config, load_classifiers
    from pipeline.errors import ClassifierError
    from pipeline.reclassify import reclassify as run_reclassify

    settings = _settings()
    config = classifier_config(settings)
    try:
        bounds = [_day_start(d, settings) if d else None for d in (since, until)]
        if only:
            load_classifiers(only, config)
    except (ConfigError, ClassifierError) as exc:
        _fail(str(exc), 2)
    try:
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    try:
        executor, closer = _executor(workers, dask)
    except ConfigError as exc:
        store.close()
        _fail(str(exc), 2)
    try:
        with _progress_bar("reclassify") as progress:
            report = run_reclassify(
                store,
                since=bounds[0],
                until=bounds[1],
                only=only,
                dry_run=dry_run,
                executor=executor,
                progress=progress,
                config=config,
            )
    finally:
        closer()
        store.close()
    if json_out:
        _emit(report.to_json())
    else:
        for line in report.lines():
            _echo(line)
        for name, count in sorted(report.same_version_drift.items()):
            _secho(
                f"warning: {count} {name} results differ from the stored ones under the "
                "same version: a model or data file changed without a version bump; "
                "the stored results were kept",
                err=True,
                fg=typer.colors.YELLOW,
            )


@contextlib.contextmanager
def _progress_bar(label: str) -> Iterator[Any]:
    """A ``progress(done, total)`` callback drawing a rich progress bar on stderr when both
    stdout and stderr are terminals; None (no progress output) when either is piped."""
    if not (sys.stdout.isatty() and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _day_start(value: str, settings: Settings) -> Any:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    return datetime.combine(day, datetime.min.time(), ZoneInfo(settings.timezone))


#: Seconds ``lumi reclassify --dask`` waits for the scheduler before giving up.
DASK_CONNECT_TIMEOUT = 5


def _executor(workers: int, address: str | None) -> tuple[Any, Any]:
    if address is None and workers <= 1:
        return None, lambda: None
    try:
        from dask.distributed import Client
    except ImportError as exc:
        if address is not None:
            raise ConfigError("--dask needs Dask: pip install 'lumi[dask]'") from exc
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers)
        return pool, pool.shutdown
    if address is not None:
        try:
            client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address} within "
                f"{DASK_CONNECT_TIMEOUT} s: {exc}"
            ) from exc
        return client, client.close
    from pipeline.reclassify import local_cluster

    return local_cluster(workers)


# --- digest and review ------------------------------------------------------------------


@app.command()
def digest(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Day to export (YYYY-MM-DD, in LUMI_TIMEZONE): the stories first published "
            "that day; default today.",
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            min=1,
            help="Cover the N days ending on --date (files lumi-digest-FIRST--LAST.*).",
        ),
    ] = 1,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: md,html,json,atom.")
    ] = "md,html,json,atom",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default LUMI_EXPORT_DIR).")
    ] = None,
    include_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also list stories outside AI-industry news (section off_topic); by "
            "default they are left out and counted.",
        ),
    ] = False,
) -> None:
    """Group the day's articles into stories, summarise the stories shown in full that need
    it, then write the digest of the stories first published that day (or in the --days
    period) in the chosen formats."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from pipeline.publish.digest import digest_formats, prepare_day, write_digest

    settings = _settings()
    _warn_placeholders(settings)
    try:
        when = date.fromisoformat(day) if day else datetime.now(ZoneInfo(settings.timezone)).date()
    except ValueError:
        _fail(f"--date {day!r} is not a date (YYYY-MM-DD)", 2)
    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    try:
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    try:
        digest_formats(wanted)
        prepared = store.retrying(
            prepare_day, when, settings, days=days, include_off_topic=include_all
        )
        _echo(prepared.describe(), err=True)
        paths = write_digest(
            store,
            when,
            settings,
            formats=wanted,
            out_dir=out or Path(settings.export_dir),
            days=days,
            include_off_topic=include_all,
        )
    except ConfigError as exc:
        _fail(str(exc), 2)
    finally:
        store.close()
    for path in paths:
        _echo(str(path))


@app.command()
def review(
    item_id: Annotated[str, typer.Argument(help="The item id the JSON digest prints (s-<n>).")],
    approve: Annotated[
        bool | None,
        typer.Option(
            "--approve/--reject",
            help="The verdict, required: approve the item, or reject it (back to the "
            "unreviewed label).",
            show_default=False,
        ),
    ] = None,
    editor: Annotated[
        str,
        typer.Option("--editor", help="Person or organisation holding editorial responsibility."),
    ] = "",
    note: Annotated[
        str | None, typer.Option("--note", help="Remark kept in the audit trail.")
    ] = None,
) -> None:
    """Record a human review and who holds editorial responsibility (changes the disclosure)."""
    from pipeline.errors import NotFound
    from pipeline.publish.review import record_review

    if approve is None:
        _fail("a review needs a verdict: pass --approve or --reject", 2)
    settings = _settings()
    try:
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    try:
        record = record_review(store, item_id, approve=approve, editor=editor, note=note)
    except ConfigError as exc:
        _fail(str(exc), 2)
    except NotFound as exc:
        _fail(str(exc), 1)
    finally:
        store.close()
    verb = "approved" if record.approve else "rejected"
    _echo(f"{record.item_id} {verb} by {record.editor} at {record.reviewed_at.isoformat()}")


# --- feeds ------------------------------------------------------------------------------


@feeds_app.command("list")
def feeds_list(json_out: JsonOpt = False) -> None:
    """List the feeds of the registry."""
    settings = _settings()
    try:
        sources = _registry(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    if json_out:
        for s in sources:
            _emit(
                {
                    "id": s.id,
                    "url": s.url,
                    "title": s.title,
                    "language": s.language,
                    "tags": list(s.tags),
                    "poll_minutes": s.poll_minutes,
                }
            )
        return
    for s in sources:
        _echo(f"{s.id:<32} {s.language:<3} {s.url}  [{', '.join(s.tags)}]")
    _echo(f"{len(sources)} feeds in {settings.feeds}")


@feeds_app.command("check")
def feeds_check(json_out: JsonOpt = False) -> None:
    """Show every feed's state, last success, last error and next poll.

    The feeds table is synced to the registry first (feeds never polled show as ``new``);
    what that changed is said on stderr."""
    from pipeline.health import feed_states
    from pipeline.store import sync_registry

    settings = _settings()
    try:
        sources = _registry(settings)
        store = _open_store(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    try:
        synced = sync_registry(store, sources)
        states = feed_states(store)
    finally:
        store.close()
    if synced.changed:
        _echo(_sync_note(synced, settings), err=True)
    if json_out:
        for st in states:
            _emit(st)
    else:
        for st in states:
            err = f"{st['error_class']}: {st['error_message']}" if st["error_class"] else "-"
            _echo(
                f"{st['id']:<32} {st['state']:<9} articles={st['articles']}"
                f" pending={st['pending']} last_success={st['last_success_at'] or '-'}"
                f" next_poll={st['next_poll_at'] or 'now'} error={err}"
            )
    bad = sum(1 for st in states if st["state"] in ("failing", "disabled"))
    raise typer.Exit(1 if bad else 0)


def _sync_note(synced: RegistrySync, settings: Settings) -> str:
    """One line saying how syncing the feeds table to the registry changed it."""
    parts = [
        f"{len(ids)} {what} ({', '.join(ids)})"
        for what, ids in (
            ("added", synced.added),
            ("moved to a new URL", synced.moved),
            ("updated", synced.updated),
            ("removed", synced.removed),
        )
        if ids
    ]
    return f"feeds table synced to {settings.feeds}: " + "; ".join(parts)


@feeds_app.command("import-opml")
def feeds_import_opml(
    file: Annotated[Path, typer.Argument(help="OPML file to import.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the registry instead of merging.")
    ] = False,
) -> None:
    """Import feeds from OPML into the registry file (merging by URL unless --replace).

    Merging appends the new entries to the file's feeds list and keeps everything else,
    comments included; a merge that adds nothing leaves the file untouched."""
    from pipeline.ingest.registry import append_to_registry, dump_registry, import_opml

    settings = _settings()
    path = Path(settings.feeds)
    try:
        imported = import_opml(file.read_bytes())
        existing = () if replace or not path.exists() else _registry(settings)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}", 2)
    except ConfigError as exc:
        _fail(str(exc), 2)
    known_urls = {s.url for s in existing}
    known_ids = {s.id for s in existing}
    added = [s for s in imported if s.url not in known_urls and s.id not in known_ids]
    try:
        if replace or not path.exists():
            _write_atomically(path, dump_registry(added))
        elif added:
            old = path.read_text(encoding="utf-8")
            _write_atomically(path, append_to_registry(old, added))
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}", 2)
    except ConfigError as exc:
        _fail(f"{path}: {exc}", 2)
    _echo(
        f"imported {len(added)} feeds ({len(imported) - len(added)} already present) "
        f"into {settings.feeds}"
    )


@feeds_app.command("export-opml")
def feeds_export_opml(
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Export the registry as OPML 2.0."""
    from pipeline.ingest.registry import export_opml

    settings = _settings()
    try:
        text = export_opml(_registry(settings))
    except ConfigError as exc:
        _fail(str(exc), 2)
    if out:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {out}: {exc.strerror or exc}", 2)
    else:
        sys.stdout.write(text)


def _write_atomically(path: Path, text: str) -> None:
    # ``lumi run`` re-reads the registry every cycle: it must never see a half-written file.
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- storage and settings ---------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply Alembic migrations to LUMI_DATABASE_URL (SQLite or PostgreSQL)."""
    from pipeline.store import upgrade_database

    settings = _settings()
    try:
        reached = upgrade_database(settings.database_url, revision)
    except ConfigError as exc:
        _fail(str(exc), 2)
    _echo(f"database at revision {reached}")


@app.command()
def config(json_out: JsonOpt = False) -> None:
    """Print every setting's effective value, where it came from, and its help."""
    settings = _settings()
    _warn_placeholders(settings)
    rows = settings.describe()
    if json_out:
        _emit({r["name"]: r["value"] for r in rows})
        return
    for r in rows:
        _echo(f"{r['env']:<30} = {r['value']!s:<40} ({r['source']}, {r['type']})")
        _echo(f"{'':<32} {r['help']}")


def run_app(application: typer.Typer, args: list[str] | None = None) -> int:
    """Run a Typer application and turn every way it can end into an exit code.

    Usage errors print ``error: <message> (see '<command> --help')`` and give 2;
    ``ConfigError`` gives 2, any other ``LumiError`` 1. An unexpected exception prints
    ``error: internal error: <type>: <message>`` and gives 1, unless ``--verbose`` was
    given: then it propagates with its traceback.
    """
    try:
        result = application(args=args, standalone_mode=False)
    except TyperException as exc:  # Typer's (vendored Click's) usage and parameter errors
        code = int(getattr(exc, "exit_code", 2))
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            # A bare group: its help was rendered while building the message.
            if exc.format_message().strip():
                _echo(exc.format_message(), err=True)
        elif ctx is not None:
            _error(f"{exc.format_message()} (see '{ctx.command_path} --help')")
        else:
            _error(exc.format_message())
        return code
    except typer.Abort:
        _error("aborted")
        return 130
    except ConfigError as exc:
        _error(str(exc))
        return 2
    except LumiError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if _state.get("verbose"):
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(run with --verbose for the traceback, and please report it)"
        )
        return 1
    return result if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the ``lumi`` console script."""
    sys.exit(run_app(app))


if __name__ == "__main__":
    logging.basicConfig()
    main()
