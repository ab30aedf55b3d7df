"""Renderers of a :class:`~pipeline.records.Digest`: Markdown, HTML, JSON and Atom.

Each renderer is a pure function ``render(digest) -> bytes``: the same digest always gives
the same bytes. Feed-supplied text is untrusted everywhere: it is escaped for the target
format, stripped of characters XML cannot carry, and only ``http(s)`` URLs become links.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.records import Digest

__all__ = ["FORMATS", "renderer"]

#: Format name -> file extension, in the default export order.
FORMATS = ("md", "html", "json", "atom")


def renderer(fmt: str) -> Callable[[Digest], bytes]:
    """The render function for ``fmt`` (one of :data:`FORMATS`).

    Raises:
        KeyError: unknown format.
    """
    if fmt == "md":
        from pipeline.publish.render.markdown import render
    elif fmt == "html":
        from pipeline.publish.render.html import render
    elif fmt == "json":
        from pipeline.publish.render.json_out import render
    elif fmt == "atom":
        from pipeline.publish.render.atom import render
    else:
        raise KeyError(fmt)
    return render
