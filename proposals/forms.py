from django import forms

from proposals.models import (
    Amendment,
    Comment,
    Consultation,
    Contribution,
    Measure,
    OrientationText,
    TextSection,
    WorkingGroup,
)
from proposals.rendering import MAX_BODY_LENGTH, MAX_COMMENT_LENGTH
from territories.picker import TerritoryField, TerritoryListField, stored_key, stored_label

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


# Orientation text, amendments and vote ------------------------------------------------------------


def _datetime_field(label, help_text="", required=True):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class OrientationTextForm(forms.ModelForm):
    amendments_open_at = _datetime_field("Ouverture des amendements", required=False)
    amendments_close_at = _datetime_field(
        "Clôture des amendements",
        "Laissez les deux dates vides tant que la période d’amendement n’est pas fixée.",
        required=False,
    )

    class Meta:
        model = OrientationText
        fields = ["title", "amendments_open_at", "amendments_close_at"]
        labels = {"title": "Titre du texte d’orientation"}

    def clean(self):
        data = super().clean()
        opens, closes = data.get("amendments_open_at"), data.get("amendments_close_at")
        if bool(opens) != bool(closes):
            self.add_error("amendments_close_at", "Donnez l’ouverture et la clôture, ou aucune des deux.")
        elif opens and closes <= opens:
            self.add_error("amendments_close_at", "La clôture des amendements doit suivre leur ouverture.")
        return data


class SectionForm(forms.Form):
    title = forms.CharField(label="Titre de la section", max_length=300)
    body = forms.CharField(
        label="Texte",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Mise en forme Markdown ; le HTML n’est pas interprété.",
    )
    contributions = forms.ModelMultipleChoiceField(
        label="Contributions reprises",
        queryset=Contribution.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Les contributions publiques de la consultation que cette section reprend.",
    )
    measures = forms.ModelMultipleChoiceField(
        label="Mesures concernées",
        queryset=Measure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    territory_search = TerritoryField(
        label="Ajouter un territoire",
        required=False,
        help_text="Tapez un nom puis choisissez une suggestion : il rejoint la liste ci-dessous.",
    )
    territories = TerritoryListField(
        label="Territoires concernés",
        required=False,
        help_text="Un territoire par ligne (nom, code INSEE ou code postal).",
    )

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        _cap_length(self.fields["body"], MAX_BODY_LENGTH)
        self.fields["territory_search"].widget.attrs["data-append-to"] = "id_territories"
        self.fields["contributions"].queryset = (
            consultation.contributions.filter(status__in=Contribution.PUBLIC_STATUSES)
            .select_related("author", "measure__programme")
            .order_by("-created_at")
        )
        self.fields["contributions"].label_from_instance = lambda c: (
            f"« {c.title} » — {c.author.get_username()}, {c.get_status_display().lower()}"
        )
        measures = consultation.measures.all()
        if not measures.exists():
            measures = Measure.objects.all()
        self.fields["measures"].queryset = measures.select_related("programme")
        self.fields["measures"].label_from_instance = lambda m: (
            f"{m.programme.title} — n° {m.number} : {m.title}"
        )

    def clean_territory_search(self):
        return None  # a helper that fills the list; what is typed and not chosen is ignored


class AmendmentForm(forms.Form):
    body = forms.CharField(
        label="Rédaction proposée pour la section",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Le texte de la section tel que vous proposez de l’écrire (Markdown).",
    )
    rationale = forms.CharField(
        label="Exposé des motifs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Pourquoi cette rédaction (Markdown, facultatif).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _cap_length(self.fields["body"], MAX_BODY_LENGTH)
        _cap_length(self.fields["rationale"], MAX_COMMENT_LENGTH)


class AmendmentDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label="Décision",
        choices=[
            (Amendment.Status.ACCEPTED, "Accepter (sa rédaction remplace celle de la section)"),
            (Amendment.Status.MERGED, "Fusionner (reprendre l’amendement dans une rédaction retravaillée)"),
            (Amendment.Status.REFUSED, "Refuser"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Motif",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Public. Obligatoire pour refuser ou fusionner.",
    )
    merged_body = forms.CharField(
        label="Rédaction fusionnée de la section",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Seulement pour « Fusionner » : le texte de la section qui reprend l’amendement.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _cap_length(self.fields["merged_body"], MAX_BODY_LENGTH)
        _cap_length(self.fields["reason"], MAX_COMMENT_LENGTH)

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if (
            status in (Amendment.Status.REFUSED, Amendment.Status.MERGED)
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", "Indiquez le motif : il est affiché avec l’amendement.")
        if status == Amendment.Status.MERGED and not data.get("merged_body", "").strip():
            self.add_error("merged_body", "Donnez la rédaction de la section qui reprend l’amendement.")
        return data


class VoteForm(forms.Form):
    closes_at = _datetime_field(
        "Clôture du vote", "Date et heure (heure de Paris) ; passé ce moment, aucun bulletin n’est reçu."
    )
    quorum_percent = forms.IntegerField(
        label="Quorum (% des membres appelés à voter)",
        min_value=0,
        max_value=100,
        initial=25,
        help_text="Sous ce taux de participation, le texte n’est pas adopté. 0 : pas de quorum.",
    )
    groups = forms.ModelMultipleChoiceField(
        label="Groupes appelés à voter",
        queryset=WorkingGroup.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Leurs membres (inscrits avant l’ouverture du vote) votent une fois chacun.",
    )

    def clean_closes_at(self):
        from django.utils import timezone

        closes = self.cleaned_data["closes_at"]
        if closes <= timezone.now():
            raise forms.ValidationError("Cette date est passée : choisissez une clôture à venir.")
        return closes


class PointForm(forms.Form):
    """A point left open: two or three alternative wordings of one section."""

    section = forms.ModelChoiceField(label="Section concernée", queryset=TextSection.objects.none())
    title = forms.CharField(
        label="Question posée", max_length=300, help_text="Par exemple : « Faut-il réguler l’installation ? »"
    )
    option_1_label = forms.CharField(label="Option A", max_length=300)
    option_1_text = forms.CharField(
        label="Rédaction de la section si l’option A l’emporte",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Vide : la section garde sa rédaction actuelle.",
    )
    option_2_label = forms.CharField(label="Option B", max_length=300)
    option_2_text = forms.CharField(
        label="Rédaction de la section si l’option B l’emporte",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    option_3_label = forms.CharField(label="Option C (facultative)", max_length=300, required=False)
    option_3_text = forms.CharField(
        label="Rédaction de la section si l’option C l’emporte",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, text, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = text.sections.all()
        self.fields["section"].label_from_instance = lambda s: f"Section {s.number} — {s.title}"
        for n in (1, 2, 3):
            _cap_length(self.fields[f"option_{n}_text"], MAX_BODY_LENGTH)

    def clean(self):
        data = super().clean()
        labels = [data.get(f"option_{n}_label", "").strip() for n in (1, 2, 3)]
        if data.get("option_3_text", "").strip() and not labels[2]:
            self.add_error("option_3_label", "Nommez l’option C ou videz sa rédaction.")
        named = [label for label in labels if label]
        if len(set(label.casefold() for label in named)) != len(named):
            self.add_error("option_2_label", "Deux options portent le même nom.")
        if any(label.casefold() == "abstention" for label in named):
            self.add_error("option_1_label", "« Abstention » est ajoutée d’office à chaque point.")
        return data

    def options(self):
        data = self.cleaned_data
        return [
            (data[f"option_{n}_label"], data.get(f"option_{n}_text", ""))
            for n in (1, 2, 3)
            if data.get(f"option_{n}_label", "").strip()
        ]
