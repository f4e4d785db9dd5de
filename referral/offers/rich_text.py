"""An offer's missions and profile as written by managers: Markdown (``- `` bullets,
``**bold**``, numbered lists, links), rendered to safe HTML for pages and to plain text for
e-mails, share texts and the JobPosting of search engines.

markdown-it-py parses (CommonMark, raw HTML off); nh3 then keeps only an allow-list of tags,
so a pasted ``<script>`` or ``javascript:`` link never reaches a page.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "h3", "h4"}
ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "breaks": a single new line is a line break, as in the plain texts written before.
    return MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable(
        "image"
    )


def _headings_down(markup: str) -> str:
    # The page has its h1 and h2: a "# Title" in the text becomes a sub-heading.
    return re.sub(r"<(/?)h[1-6]>", lambda m: f"<{m.group(1)}h3>", markup)


@lru_cache(maxsize=512)
def to_html(text: str | None) -> str:
    """``text`` (Markdown) as sanitised HTML; "" for nothing."""
    if not (text or "").strip():
        return ""
    rendered = _headings_down(_parser().render(text or ""))
    return nh3.clean(
        rendered,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def _number_items(match: re.Match[str]) -> str:
    start = re.match(r"<ol start=\"(\d+)\"", match.group(0))
    numbers = iter(range(int(start.group(1)) if start else 1, 10_000))
    return re.sub(r"\s*<li>\s*(<p>)?", lambda _m: f"\n{next(numbers)}. ", match.group(0))


def to_text(text: str | None) -> str:
    """``text`` (Markdown) as plain text: bullets as "• ", emphasis marks gone, one blank line
    between paragraphs."""
    markup = to_html(text)
    if not markup:
        return ""
    markup = re.sub(r"<ol[^>]*>.*?</ol>", _number_items, markup, flags=re.S)
    markup = re.sub(r"\s*<li>\s*(<p>)?", "\n• ", markup)
    markup = re.sub(r"<br\s*/?>", "\n", markup)
    markup = re.sub(r"</(p|h3|h4|blockquote|ul|ol)>", "\n\n", markup)
    plain = html.unescape(nh3.clean(markup, tags=set()))
    lines = [line.strip() for line in plain.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
