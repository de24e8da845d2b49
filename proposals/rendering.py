"""Markdown from contributors, rendered safely: raw HTML is never interpreted, then nh3 sanitises.

Two locks: Python-Markdown runs with its raw-HTML processors removed (a typed ``<script>`` comes out
as text), and the HTML it produces goes through nh3 with a short allow-list of tags and only
http(s)/mailto links (``javascript:`` links lose their href).
"""

import markdown
import nh3
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


class _NoRawHtml(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=[_NoRawHtml()], output_format="html")
    return mark_safe(  # sanitised by nh3 just above
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="nofollow noopener noreferrer",
        )
    )
