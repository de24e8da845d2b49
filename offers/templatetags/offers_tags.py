"""Template helpers of registry pages."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

SYNTHETIC_TAG = format_html(' <span class="tag tag-warn">{}</span>', "synthétique")


@register.simple_tag
def offer_rows(offers):
    """The rows (linked name, kind, commune, status) of a territory's list of offers, built in
    Python (a région lists 100 of them); every value is escaped by ``format_html_join``."""
    return format_html_join(
        "",
        '<tr><td><a href="{}">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                o.get_absolute_url(),
                o.name,
                SYNTHETIC_TAG if o.is_synthetic else "",
                o.kind_label,
                o.commune.name if o.commune_id else "",
                o.get_status_display(),
            )
            for o in offers
        ),
    )
