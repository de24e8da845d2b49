"""Template helpers of indicator pages."""

from django import template

from territories.templatetags.territories_tags import html_rows

register = template.Library()


@register.simple_tag
def commune_class_rows(rows):
    """The rows (linked name and code, APL, class, ARS zonage) of the table twin of a zone's class
    map, built in Python (a département lists up to 600 communes). ``rows`` come from
    ``indicators.dashboard.sections`` with their address and APL already written; every value is
    escaped."""
    return html_rows(
        '<tr><td><a href="{}">{}</a> <span class="muted">({})</span></td><td class="num">{}</td>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (
                r["url"],
                r["name"],
                r["code"],
                r["apl"],
                r["class"].label if r["class"] is not None else "non calculé",
                (r["class"].ars_zone if r["class"] is not None else "") or "—",
            )
            for r in rows
        ),
    )
