"""Template helpers of registry pages."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from offers.models import FINESS_SOURCES, HOSPITAL_FROM_FINESS_LABEL, Offer
from territories.templatetags.territories_tags import html_rows

register = template.Library()

SYNTHETIC_TAG = format_html(' <span class="tag tag-warn">{}</span>', "synthétique")


@register.simple_tag
def offer_rows(offers):
    """The rows (linked name, kind, commune, status) of a territory's list of offers, built in
    Python from ``offers.sections.LISTED_FIELDS`` tuples (a région lists 100 of them); every value
    is escaped. On a phone each row is a card, each cell labelled (``data-label``)."""
    stem = reverse("offers:detail", args=[0]).removesuffix("0/")  # reversed once: ".../offre/"
    kinds, statuses = dict(Offer.Kind.choices), dict(Offer.Status.choices)

    def kind_label(kind, source):
        if kind == Offer.Kind.HOSPITAL and source in FINESS_SOURCES:
            return HOSPITAL_FROM_FINESS_LABEL
        return kinds.get(kind, kind)

    return html_rows(
        '<tr><td class="stack-head" data-label=""><span class="cell"><a href="{}">{}</a>{}</span></td>'
        '<td data-label="Type">{}</td><td data-label="Commune">{}</td><td data-label="Statut">{}</td></tr>',
        (
            (
                f"{stem}{int(pk)}/",
                name,
                SYNTHETIC_TAG if synthetic else "",
                kind_label(kind, source),
                commune or "",
                statuses.get(status, status),
            )
            for pk, name, kind, status, commune, source, synthetic in offers
        ),
    )


@register.simple_tag
def profession_rows(rows, region_name=None):
    """The rows of the table of professions (Assurance Maladie densities), built in Python from
    ``offers.demography.pages`` rows (already formatted); every value is escaped."""
    unit = '<span class="muted">({})</span>'
    region = '<td class="num" data-label="{}">{}</td>' if region_name else "{}{}"
    template = (
        '<tr><th scope="row"><a href="{}" title="Classer les départements">{}</a>{}</th>'
        '<td class="num" data-label="Effectif">{}</td><td class="num" data-label="Densité">{}</td>'
        + region
        + '<td class="num" data-label="France">{}</td></tr>'
    )
    return html_rows(
        template,
        (
            (
                r["ranking"],
                r["profession"],
                format_html(" " + unit, r["unit"]) if r["unit"] else "",
                r["headcount"],
                r["density"],
                region_name or "",
                (r["region"] or "—") if region_name else "",
                r["france"],
            )
            for r in rows
        ),
    )
