from django import template

from proposals.rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def number_fr(value):
    """A number in French notation without trailing zeros (1 500 ; 0,5 ; 66,67)."""
    if value is None:
        return ""
    number = float(value)
    if number == int(number):
        return f"{int(number):,}".replace(",", "\u202f")
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")
