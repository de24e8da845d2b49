from django import forms

from territories.picker import TerritoryField, stored_key, stored_label

from .models import Comment, Consultation, Contribution, Measure
from .rendering import MAX_BODY_LENGTH, MAX_COMMENT_LENGTH

TERRITORY_HELP = (
    "Facultatif. Tapez un nom (« Creuse », « Guéret », « CA du Grand Guéret »), un code postal ou un "
    "code INSEE, puis choisissez dans les suggestions."
)


class ContributionForm(forms.ModelForm):
    territory = TerritoryField(label="Territoire concerné", required=False, help_text=TERRITORY_HELP)

    class Meta:
        model = Contribution
        fields = ["measure", "title", "body"]
        labels = {"measure": "Mesure concernée", "title": "Titre", "body": "Votre contribution"}
        help_texts = {
            "body": "Mise en forme Markdown (gras, italique, listes, liens) ; le HTML n’est pas interprété. "
            + f"{MAX_BODY_LENGTH:,} caractères au plus.".replace(",", "\u202f")
        }

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        _cap_length(self.fields["body"], MAX_BODY_LENGTH)
        measures = consultation.measures.all()
        if not measures.exists():
            measures = Measure.objects.all()
        self.fields["measure"].queryset = measures.select_related("programme")
        self.fields["measure"].label_from_instance = lambda m: (
            f"{m.programme.title} — n° {m.number} : {m.title}"
        )
        if self.instance.pk and self.instance.zone_level:
            self.initial["territory"] = stored_label(self.instance.zone_level, self.instance.zone_code)
        self.zone = None

    def clean_territory(self):
        self.zone = self.cleaned_data["territory"]
        return self.zone

    def save(self, commit=True):
        contribution = super().save(commit=False)
        contribution.zone_level, contribution.zone_code, contribution.zone_name = stored_key(self.zone)
        if commit:
            contribution.save()
        return contribution


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Votre commentaire"}
        help_texts = {
            "body": "Mise en forme Markdown ; le HTML n’est pas interprété. "
            f"{MAX_COMMENT_LENGTH:,} caractères au plus.".replace(",", "\u202f")
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _cap_length(self.fields["body"], MAX_COMMENT_LENGTH)


def _cap_length(field, limit):
    """A size cap per Markdown field, checked before anything is stored or rendered, with the
    length found in the message (« au plus 20 000 caractères (actuellement 25 000) »)."""
    from django.core.validators import MaxLengthValidator

    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)


class ModerationForm(forms.Form):
    status = forms.ChoiceField(
        label="Nouveau statut",
        choices=[
            (Contribution.Status.PUBLISHED, "Publiée"),
            (Contribution.Status.RETAINED, "Retenue"),
            (Contribution.Status.DISCARDED, "Écartée"),
            (Contribution.Status.DRAFT, "Brouillon (renvoyer à l’auteur)"),
        ],
    )
    reason = forms.CharField(
        label="Motif",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour retenir ou écarter une contribution ; il est affiché publiquement.",
    )

    def __init__(self, *args, statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if statuses is not None:  # a closed consultation: only the synthesis decisions
            field = self.fields["status"]
            field.choices = [(value, label) for value, label in field.choices if value in statuses]

    def clean(self):
        data = super().clean()
        if data.get("status") in Contribution.REASON_REQUIRED and not data.get("reason", "").strip():
            self.add_error("reason", "Indiquez le motif pour retenir ou écarter une contribution.")
        return data


DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ConsultationForm(forms.ModelForm):
    """Open or edit a consultation from the front (coordinators of the group, staff)."""

    scope = TerritoryField(
        label="Territoire concerné",
        required=False,
        help_text="Facultatif : la consultation porte sur ce territoire (« Creuse », « Occitanie »).",
    )

    class Meta:
        model = Consultation
        fields = ["title", "description", "rules", "opens_at", "closes_at", "measures"]
        labels = {
            "title": "Titre",
            "description": "Présentation",
            "rules": "Règles de participation",
            "opens_at": "Ouverture",
            "closes_at": "Clôture",
            "measures": "Mesures soumises à la consultation",
        }
        help_texts = {
            "description": "Mise en forme Markdown ; le HTML n’est pas interprété.",
            "rules": "Qui peut contribuer, comment les contributions sont modérées et reprises "
            "(Markdown). Affichées en tête de la consultation.",
            "opens_at": "Date et heure (heure de Paris). Dans le futur : la consultation est programmée.",
            "closes_at": "Après cette date, la consultation passe en lecture seule.",
            "measures": "Aucune cochée : toutes les mesures des programmes peuvent être commentées.",
        }
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
            "measures": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
        _cap_length(self.fields["description"], MAX_BODY_LENGTH)
        _cap_length(self.fields["rules"], MAX_BODY_LENGTH)
        measures = Measure.objects.select_related("programme").order_by("programme__order", "number")
        if group.programme_id:
            measures = measures.filter(programme_id=group.programme_id)
        self.fields["measures"].queryset = measures
        self.fields["measures"].label_from_instance = lambda m: (
            f"{m.programme.title} — n° {m.number} : {m.title}"
        )
        if self.instance.pk and self.instance.scope_level:
            self.initial["scope"] = stored_label(self.instance.scope_level, self.instance.scope_code)

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "La clôture doit suivre l’ouverture.")
        from django.utils import timezone

        if closes and closes <= timezone.now() and (not self.instance.pk or "closes_at" in self.changed_data):
            self.add_error(
                "closes_at",
                "Cette date est passée : choisissez une clôture à venir (pour clore maintenant, utilisez "
                "« Clore la consultation »).",
            )
        return data

    def save(self, commit=True):
        from django.utils.text import slugify

        consultation = super().save(commit=False)
        consultation.group = self.group
        consultation.scope_level, consultation.scope_code, consultation.scope_name = stored_key(
            self.cleaned_data.get("scope")
        )
        if not consultation.slug:
            base = slugify(consultation.title)[:60] or "consultation"
            slug, number = base, 1
            while Consultation.objects.filter(slug=slug).exists():
                number += 1
                slug = f"{base}-{number}"
            consultation.slug = slug
        if commit:
            consultation.save()
            self.save_m2m()
        return consultation
