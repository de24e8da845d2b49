"""Markdown from contributors, rendered safely and in linear time.

markdown-it-py (CommonMark) parses in time linear in its input — Python-Markdown's inline patterns
were quadratic on inputs such as 20,000 ``[`` (35 s). Two locks: the parser runs with raw HTML
disabled (a typed ``<script>`` comes out as text), and the HTML it produces goes through nh3 with a
short allow-list of tags and only http(s)/mailto links (``javascript:`` links lose their href).
Fields are also capped in size by the forms (``MAX_BODY_LENGTH``), so no request renders a book.
"""

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_BODY_LENGTH = 20_000
MAX_COMMENT_LENGTH = 5_000

# CommonMark without raw HTML, images or link reference definitions' HTML; "linkify" off (no
# extra dependency, and bare URLs stay text).
_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def render_markdown(text: str) -> str:
    html = _PARSER.render(text or "")
    return mark_safe(  # sanitised by nh3 just above
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="nofollow noopener noreferrer",
        )
    )
