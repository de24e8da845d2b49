"""Template helpers of indicator pages."""

from django import template

from territories.templatetags.territories_tags import html_rows

register = template.Library()


@register.simple_tag
def commune_class_rows(rows, estimated=False):
    """The rows (linked name and code, APL, class, ARS zonage) of the table twin of a zone's class
    map, built in Python (a département lists up to 600 communes). ``rows`` come from
    ``indicators.dashboard.sections`` with their address and APL already written; every value is
    escaped. On a phone each row is a card, each cell labelled (``data-label``)."""
    apl_label = "APL estimée" if estimated else "APL"
    return html_rows(
        '<tr><td class="stack-head" data-label=""><span class="cell"><a href="{}">{}</a>'
        ' <span class="muted">({})</span></span></td>'
        f'<td class="num" data-label="{apl_label}">{{}}</td>'
        '<td data-label="Classe">{}</td><td data-label="Zonage ARS">{}</td></tr>',
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
