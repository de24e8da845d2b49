from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from territories.importing.reports import report_lines as _report_lines
from territories.text import fr_number

register = template.Library()


@register.filter
def report_lines(report):
    """An import report as (label, French text) pairs."""
    return _report_lines(report)


MISSING = mark_safe('<span class="muted">—</span>')


@register.filter
def value_cell(value, definition):
    """A stored indicator value at its definition's decimals (``{{ v|value_cell:d }}``), or a muted
    dash: the cell of indicator tables, without an ``{% include %}`` per cell."""
    number = getattr(value, "value", None)
    if number is None:
        return MISSING
    return fr_number(number, int(getattr(definition, "decimals", 0) or 0))


def html_rows(template: str, rows) -> str:
    """Table rows written in Python: ``template`` (trusted markup with ``{}`` fields) filled with
    each row's values, every value escaped unless already safe markup (``SafeString``). A few
    hundred rows through the template engine cost more than the rest of a page."""
    return mark_safe(
        "".join(
            template.format(*(v if isinstance(v, SafeString) else escape(v) for v in row)) for row in rows
        )
    )


@register.simple_tag
def commune_rows(communes):
    """The rows (code, linked name, population) of a zone's list of communes."""
    return html_rows(
        '<tr><td>{}</td><td><a href="{}">{}</a></td><td class="num">{}</td></tr>',
        ((c.code, c.get_absolute_url(), c.name, fr_number(c.population)) for c in communes),
    )
