"""The HTML digest in a real headless Chromium: the label is visible above the AI text and
no feed-supplied script runs.

Talks to Chromium over the DevTools protocol (``--remote-debugging-port=0``, then the port
from ``DevToolsActivePort``). Skipped when Chromium or ``websocket-client`` is absent.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_render import make_digest

from pipeline.publish.render.html import render as render_html
from pipeline.publish.render.i18n import digest_title
from pipeline.records import DigestItem

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
HOSTILE_TEXT = (
    "<script>document.title='pwned'</script>"
    "<img src=x onerror=\"document.title='pwned'\">"
    "<svg onload=\"document.title='pwned'\"></svg>"
)


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("headless Chromium not found (Debian: apt-get install chromium)")


class DevTools:
    """A minimal DevTools protocol client for one page."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")


@contextlib.contextmanager
def chromium_page(url: str, profile: Path) -> Iterator[DevTools]:
    """Start headless Chromium on ``url`` and yield a DevTools client for its page."""
    websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")
    binary = _chromium()
    args = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1024,900",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        url,
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ws = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        page = None
        while page is None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            page = next((t for t in targets if t.get("type") == "page"), None)
            if page is None:
                if time.monotonic() > deadline:
                    pytest.fail("Chromium opened no page")
                time.sleep(0.05)
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        tools = DevTools(ws)
        # The page starts as about:blank, already "complete": wait for our document.
        while tools.evaluate("location.href + ' ' + document.readyState") != f"{url} complete":
            if time.monotonic() > deadline:
                pytest.fail("the page did not finish loading")
            time.sleep(0.05)
        yield tools
    finally:
        if ws is not None:
            ws.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _hostile_page(tmp_path: Path) -> tuple[Path, str]:
    digest = make_digest()
    first: DigestItem = digest.items[0]
    hostile = dataclasses.replace(
        first,
        title=first.title + " " + HOSTILE_TEXT,
        at_a_glance=HOSTILE_TEXT + " " + first.at_a_glance,
    )
    digest = dataclasses.replace(digest, items=(hostile, *digest.items[1:]))
    path = tmp_path / "digest.html"
    path.write_bytes(render_html(digest))
    return path, digest_title(digest.language, digest.publication_name, digest.first, digest.day)


def _channels(css: str) -> tuple[float, float, float]:
    inner = css[css.index("(") + 1 : css.index(")")]
    r, g, b = (float(v) for v in inner.split(",")[:3])
    return r, g, b


def _contrast(fg: str, bg: str) -> float:
    def luminance(rgb: tuple[float, float, float]) -> float:
        lin = [
            (c / 255) / 12.92 if c / 255 <= 0.03928 else (((c / 255) + 0.055) / 1.055) ** 2.4
            for c in rgb
        ]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(_channels(fg)), luminance(_channels(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_label_is_visible_above_the_first_summary_and_no_script_runs(tmp_path: Path) -> None:
    page, title = _hostile_page(tmp_path)
    with chromium_page(page.as_uri(), tmp_path / "profile") as tools:
        assert tools.evaluate("document.title") == title
        assert tools.evaluate("document.images.length") == 0
        assert tools.evaluate("document.scripts.length") == 1  # the JSON-LD block
        geometry = tools.evaluate(
            """(() => {
              const article = document.querySelector('article');
              const label = article.querySelector('.ai-label');
              const glance = label.nextElementSibling;
              const style = getComputedStyle(label);
              const r = label.getBoundingClientRect();
              return {
                labelBottom: r.bottom, labelTop: r.top, labelHeight: r.height,
                labelWidth: r.width, glanceTop: glance.getBoundingClientRect().top,
                glanceText: glance.textContent, labelText: label.innerText,
                display: style.display, visibility: style.visibility,
                opacity: style.opacity, color: style.color, background: style.backgroundColor,
                fontSize: parseFloat(style.fontSize), viewport: window.innerHeight,
                policy: label.querySelector('a').href,
              };
            })()"""
        )
        screenshot = tools.call("Page.captureScreenshot", format="png")
        # the hostile text is still shown, as text
        assert "<script>document.title='pwned'</script>" in tools.evaluate(
            "document.querySelector('article h3').textContent"
        )
        assert tools.evaluate("document.title") == title
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "digest-browser.png").write_bytes(base64.b64decode(screenshot["data"]))
    assert geometry["glanceText"].startswith("At a glance:")
    assert geometry["labelBottom"] <= geometry["glanceTop"]
    assert 0 <= geometry["labelTop"] < geometry["viewport"]  # visible without scrolling
    assert geometry["labelHeight"] > 0 and geometry["labelWidth"] > 0
    assert (geometry["display"], geometry["visibility"], geometry["opacity"]) == (
        "block",
        "visible",
        "1",
    )
    assert geometry["fontSize"] >= 12
    assert _contrast(geometry["color"], geometry["background"]) >= 4.5
    assert "AI-generated summary — not reviewed by an editor." in geometry["labelText"]
    assert geometry["policy"] == "https://example.org/ai-policy"
