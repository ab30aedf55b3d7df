"""The optional paraphraser against a real loopback OpenAI-compatible endpoint.

The fake endpoint below speaks ``POST /v1/chat/completions``; its ``mode`` decides whether
it answers well, slowly, with an HTTP error, with broken JSON or with the wrong shape.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_summarise import store_story

from pipeline.errors import LLMError
from pipeline.publish.llm import (
    ParaphraseRejected,
    fact_check,
    parse_paraphrase,
    unsupported_terms,
)
from pipeline.publish.summaries import summarise_stories
from pipeline.publish.summarise import ngram_overlap
from pipeline.records import ArticleText
from pipeline.settings import load_settings
from pipeline.store import (
    LLMFailureRow,
    SummaryRow,
    count_rows,
    open_store,
    tokens_used,
)

TITLE = "Northwind AI releases Breeze-2 under Apache 2.0"
TEXT = (
    "Northwind AI released Breeze-2, a reasoning model with 24 billion parameters, on Monday. "
    "The model solves multi-step mathematics problems and explains each step in plain "
    "language.\n\n"
    "Breeze-2 ships under the Apache 2.0 license, replacing the research-only terms of the "
    "first Breeze. The weights can be downloaded from the company's model hub.\n\n"
    "The release puts pressure on larger labs, whose comparable models are sold only through "
    "paid cloud APIs. Banks in Germany already pilot the model for document review."
)
GOOD_ANSWER = {
    "at_a_glance": "Northwind AI released Breeze-2, a reasoning model with 24 billion "
    "parameters, on Monday.",
    "sections": [
        {"heading": "Licensing", "text": "Breeze-2 ships under the Apache 2.0 license."},
        {
            "heading": "Market structure.",
            "text": "The release puts pressure on larger labs that sell models through paid "
            "cloud APIs.",
        },
    ],
}
INVENTED = {
    "at_a_glance": "Quantum Dynamics bought Zephyr Robotics for 900 million dollars yesterday.",
    "sections": [
        {"heading": "What's new.", "text": "Shareholders cheered a surprising merger deal."},
        {"heading": "Who.", "text": "Executives from both firms spoke at a gala in Oslo."},
    ],
}
FIRST_PERSON = {
    "at_a_glance": "We released Breeze-2, a reasoning model with 24 billion parameters, on Monday.",
    "sections": GOOD_ANSWER["sections"],
}
#: close to the sources word for word, but with a number and a model name they lack
UNSUPPORTED = {
    "at_a_glance": "Northwind AI released Breeze-3, a reasoning model with 70 billion "
    "parameters, on Monday.",
    "sections": GOOD_ANSWER["sections"],
}
WITH_INTRO = dict(
    GOOD_ANSWER, intro="The weights can be downloaded from the model hub of Northwind AI."
)
USAGE = {"prompt_tokens": 400, "completion_tokens": 100, "total_tokens": 500}


class _FakeLLM(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _FakeLLM

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        mode = self.server.mode
        if mode == "slow":
            self.server.release.wait(10)  # far past the client's deadline
            return
        if mode == "http_error":
            self._send(500, b'{"error": {"message": "overloaded"}}')
            return
        if mode == "not_json":
            self._send(200, b"<html>gateway</html>")
            return
        content = {
            "ok": json.dumps(GOOD_ANSWER),
            "fenced": "```json\n" + json.dumps(GOOD_ANSWER) + "\n```",
            "malformed": "Here is your summary: Breeze-2 is great!",
            "shape": json.dumps({"summary": "Breeze-2 is out."}),
            "invented": json.dumps(INVENTED),
            "first_person": json.dumps(FIRST_PERSON),
            "unsupported": json.dumps(UNSUPPORTED),
            "intro": json.dumps(WITH_INTRO),
        }[mode]
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": self.server.requests[-1]["json"]["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}},
            ],
            "usage": USAGE,
        }
        self._send(200, json.dumps(answer).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_llm() -> Iterator[_FakeLLM]:
    server = _FakeLLM()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def story(tmp_path: Path) -> Iterator[tuple[Any, int]]:
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    story_id, _article_id = store_story(store, TITLE, TEXT)
    try:
        yield store, story_id
    finally:
        store.close()


NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)


def _settings(url: str, **changes: Any):
    values = {"llm_url": url, "llm_api_key": "sk-test", "llm_timeout": 5.0, **changes}
    return load_settings(env={}).replace(**values)


def test_paraphrase_is_used_then_served_from_cache_for_the_same_text_and_model(story, fake_llm):
    store, story_id = story
    settings = _settings(fake_llm.url)
    summary = summarise_stories(store, [story_id], settings, now=NOW)[story_id]
    assert summary.method == "llm" and summary.model == "gpt-4o-mini"
    assert summary.fallback_reason is None
    assert [s.heading for s in summary.sections] == ["Licensing.", "Market structure."]
    assert summary.ngram_overlap is not None and summary.ngram_overlap > 0.5
    assert summarise_stories(store, [story_id], settings, now=NOW)[story_id] == summary
    assert len(fake_llm.requests) == 1
    other_model = settings.replace(llm_model="local-model")
    assert summarise_stories(store, [story_id], other_model, now=NOW)[story_id].model == (
        "local-model"
    )
    assert len(fake_llm.requests) == 2


def test_request_is_an_openai_chat_completion_asking_for_json(story, fake_llm):
    store, story_id = story
    summarise_stories(store, [story_id], _settings(fake_llm.url + "/v1"), now=NOW)
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    payload = request["json"]
    assert payload["model"] == "gpt-4o-mini" and payload["temperature"] == 0
    assert [m["role"] for m in payload["messages"]] == ["system", "user"]
    assert '"at_a_glance"' in payload["messages"][0]["content"]
    assert "Breeze-2 ships under the Apache 2.0 license" in payload["messages"][1]["content"]


def test_usage_reported_by_the_endpoint_is_charged_to_the_day(story, fake_llm):
    store, story_id = story
    summarise_stories(store, [story_id], _settings(fake_llm.url), now=NOW)
    with store.session() as s:
        assert tokens_used(s, "2026-05-04") == USAGE["total_tokens"]
        assert tokens_used(s, "2026-05-05") == 0


def test_spent_budget_falls_back_to_extractive_without_calling(story, fake_llm):
    store, story_id = story
    summary = summarise_stories(
        store, [story_id], _settings(fake_llm.url, llm_daily_tokens=300), now=NOW
    )[story_id]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None and summary.fallback_reason.startswith("budget")
    assert fake_llm.requests == []


def test_timeout_falls_back_to_extractive(story, fake_llm):
    store, story_id = story
    fake_llm.mode = "slow"
    summary = summarise_stories(
        store, [story_id], _settings(fake_llm.url, llm_timeout=0.3), now=NOW
    )[story_id]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None and summary.fallback_reason.startswith("timeout")


def test_unreachable_endpoint_falls_back_to_extractive(story):
    store, story_id = story
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    summary = summarise_stories(store, [story_id], _settings(f"http://127.0.0.1:{port}"), now=NOW)[
        story_id
    ]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None
    assert summary.fallback_reason.startswith("connection")


@pytest.mark.parametrize(
    ("mode", "reason", "remembered"),
    [
        ("http_error", "http_error", False),
        ("not_json", "malformed", True),
        ("malformed", "malformed", True),
        ("shape", "shape", True),
        ("invented", "overlap", True),
        ("first_person", "checks", True),
        ("unsupported", "facts", True),
    ],
)
def test_bad_answers_fall_back_and_unusable_ones_are_not_asked_again(
    story, fake_llm, mode, reason, remembered
):
    store, story_id = story
    fake_llm.mode = mode
    settings = _settings(fake_llm.url)
    summary = summarise_stories(store, [story_id], settings, now=NOW)[story_id]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None and summary.fallback_reason.startswith(reason)
    summarise_stories(store, [story_id], settings, now=NOW)
    assert len(fake_llm.requests) == (1 if remembered else 2)
    with store.session() as s:
        assert count_rows(s, LLMFailureRow) == int(remembered)
        assert count_rows(s, SummaryRow) == 1  # the extractive one, stored once


def test_no_endpoint_means_extractive_without_a_fallback_reason(story):
    store, story_id = story
    summary = summarise_stories(store, [story_id], load_settings(env={}), now=NOW)[story_id]
    assert summary.method == "extractive" and summary.fallback_reason is None


def test_fenced_json_is_accepted_and_headings_get_their_full_stop(story, fake_llm):
    store, story_id = story
    fake_llm.mode = "fenced"
    summary = summarise_stories(store, [story_id], _settings(fake_llm.url), now=NOW)[story_id]
    assert summary.method == "llm"
    assert summary.sections[0].heading == "Licensing."


# --- faithfulness checks -----------------------------------------------------------------


def test_ngram_overlap_is_full_for_copied_sentences_and_low_for_invented_ones():
    sources = [TEXT]
    copied = "Banks in Germany already pilot the model for document review. Breeze-2 ships."
    assert ngram_overlap(copied, sources) == 1.0
    assert ngram_overlap(INVENTED["at_a_glance"], sources) == 0.0


def test_numbers_and_names_missing_from_the_sources_are_flagged():
    output = "Northwind AI released Breeze-2 with 70 billion parameters, says Nvidia. It is open."
    assert unsupported_terms(output, [TITLE, TEXT]) == ("70", "Nvidia")
    assert unsupported_terms("Breeze-2 has 24 billion parameters.", [TEXT]) == ()


def test_answers_without_the_required_shape_are_refused():
    texts = [ArticleText(TITLE, TEXT)]
    too_long = dict(GOOD_ANSWER, at_a_glance=" ".join(["word"] * 61))
    one_section = dict(GOOD_ANSWER, sections=GOOD_ANSWER["sections"][:1])
    for answer in (too_long, one_section, {"at_a_glance": "", "sections": []}):
        with pytest.raises(LLMError) as info:
            parse_paraphrase(json.dumps(answer), texts)
        assert info.value.reason == "shape"
    accepted = parse_paraphrase(json.dumps(one_section), texts, min_sections=1)
    assert accepted.sections[0].heading == "Licensing."


# --- the paraphrase passes the summary checks and the fact check ---------------------------


def test_a_first_person_paraphrase_falls_back_to_the_extractive_summary(story, fake_llm):
    store, story_id = story
    fake_llm.mode = "first_person"
    summary = summarise_stories(store, [story_id], _settings(fake_llm.url), now=NOW)[story_id]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None
    assert (
        summary.fallback_reason.startswith("checks") and "first_person" in summary.fallback_reason
    )


def test_a_paraphrase_stating_what_the_sources_lack_falls_back_and_records_it(story, fake_llm):
    store, story_id = story
    fake_llm.mode = "unsupported"
    settings = _settings(fake_llm.url)
    summary = summarise_stories(store, [story_id], settings, now=NOW)[story_id]
    assert summary.method == "extractive"
    assert summary.fallback_reason is not None and summary.fallback_reason.startswith("facts")
    assert summary.unsupported == ("3", "70", "breeze-3")
    # remembered: not asked again, and the stored failure still names the terms
    again = summarise_stories(store, [story_id], settings, now=NOW)[story_id]
    assert len(fake_llm.requests) == 1
    assert again.unsupported == ("3", "70", "breeze-3") and again.method == "extractive"


def test_a_paraphrase_intro_becomes_the_first_section_without_a_heading(story, fake_llm):
    store, story_id = story
    fake_llm.mode = "intro"
    summary = summarise_stories(store, [story_id], _settings(fake_llm.url), now=NOW)[story_id]
    assert summary.method == "llm"
    assert summary.sections[0].heading == "" and "model hub" in summary.sections[0].text
    assert [s.heading for s in summary.sections[1:]] == ["Licensing.", "Market structure."]


def test_fact_check_names_numbers_models_organisations_and_licenses_the_sources_lack():
    sources = [TITLE, TEXT]
    output = (
        "Northwind AI released Breeze-2 and gpt-oss-120b under the MIT license, says Zephyr "
        "Labs, with 24 billion parameters."
    )
    assert fact_check(output, sources) == ("120", "MIT", "Zephyr", "gpt-oss-120b")
    assert fact_check("Breeze-2 ships under the Apache 2.0 license.", sources) == ()


def test_a_paraphrase_with_a_license_the_sources_lack_is_refused_with_the_license_id():
    answer = dict(
        GOOD_ANSWER,
        sections=[
            {"heading": "Licensing.", "text": "Breeze-2 ships under the MIT license."},
            GOOD_ANSWER["sections"][1],
        ],
    )
    with pytest.raises(ParaphraseRejected) as info:
        parse_paraphrase(json.dumps(answer), [ArticleText(TITLE, TEXT)])
    assert info.value.reason == "facts" and "MIT" in info.value.unsupported
