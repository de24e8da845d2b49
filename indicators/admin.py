from django.contrib import admin
from django.db.models import Max

from indicators.models import (
    AgePopulation,
    AgeWeight,
    ClassificationRule,
    ComputationRun,
    DatasetUpload,
    IndicatorDefinition,
    PublishedIndicatorValue,
)


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "unit", "order"]


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    """Thresholds are editable; a rule already used by a run is never changed in place: saving it
    creates a new version (the old one is retired), so every run keeps the rule it was computed with."""

    list_display = [
        "version",
        "underserved_below",
        "fragile_below",
        "emergency_minutes",
        "is_active",
        "created_at",
    ]
    readonly_fields = ["version", "created_at"]

    def save_model(self, request, obj, form, change):
        next_version = (ClassificationRule.objects.aggregate(m=Max("version"))["m"] or 0) + 1
        if change and obj.pk and obj.runs.exists():
            ClassificationRule.objects.filter(pk=obj.pk).update(is_active=False)
            obj.pk = None
            obj.version = next_version
            obj.is_active = True
        elif not change:
            obj.version = next_version
        if obj.is_active:
            ClassificationRule.objects.exclude(pk=obj.pk).update(is_active=False)
        super().save_model(request, obj, form, change)


@admin.register(ComputationRun)
class ComputationRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "is_current", "progress", "trigger", "started_at", "duration"]
    list_filter = ["status", "trigger"]
    readonly_fields = [f.name for f in ComputationRun._meta.fields] + ["datasets"]

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by importers only (provenance): viewable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PublishedIndicatorValue)
class PublishedIndicatorValueAdmin(ReadOnlyAdmin):
    list_display = ["indicator_code", "millesime", "variant", "commune", "value", "is_active", "dataset"]
    list_filter = ["indicator_code", "millesime", "variant", "is_active"]
    search_fields = ["commune__code", "commune__name"]
    list_select_related = ["commune", "dataset"]


@admin.register(DatasetUpload)
class DatasetUploadAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "original_name", "status", "dry_run", "uploaded_by", "dataset"]
    list_filter = ["kind", "status"]


@admin.register(AgePopulation)
class AgePopulationAdmin(ReadOnlyAdmin):
    list_display = ["commune", "band", "population", "is_active", "dataset"]
    list_filter = ["is_active", "band"]
    search_fields = ["commune__code", "commune__name"]
    list_select_related = ["commune", "dataset"]


@admin.register(AgeWeight)
class AgeWeightAdmin(ReadOnlyAdmin):
    list_display = ["band", "weight", "is_active", "dataset"]
