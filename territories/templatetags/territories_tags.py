from django import template

from territories.importing.reports import report_lines as _report_lines

register = template.Library()


@register.filter
def report_lines(report):
    """An import report as (label, French text) pairs."""
    return _report_lines(report)
