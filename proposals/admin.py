from django.contrib import admin

from proposals.models import (
    Amendment,
    Axis,
    Comment,
    Consultation,
    Contribution,
    Fact,
    Measure,
    Membership,
    OrientationText,
    Participation,
    Programme,
    SourceDocument,
    StatusChange,
    Support,
    Vote,
    WorkingGroup,
)


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "author", "date_text", "original_name", "file_name"]


class AxisInline(admin.TabularInline):
    model = Axis
    extra = 0


class FactInline(admin.TabularInline):
    model = Fact
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "author_kind", "date_text", "source"]
    inlines = [AxisInline, FactInline]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = [
        "programme",
        "number",
        "title",
        "theme",
        "lever",
        "status",
        "target_value",
        "indicator_code",
    ]
    list_filter = ["programme", "theme", "lever", "status"]
    search_fields = ["title", "quote"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "programme"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "opens_at", "closes_at"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["measures"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["previous_status", "status", "reason", "changed_by", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ["title", "consultation", "author", "status", "created_at"]
    list_filter = ["status", "consultation"]
    readonly_fields = ["status", "status_reason"]  # statuses change through the moderation form (historised)
    inlines = [StatusChangeInline]


admin.site.register(Support)
admin.site.register(Comment)


# Orientation text and vote: read-only in the admin. Texts are written from the front (versions,
# decisions with reasons); the vote's counters and its roll of participants cannot be edited here.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrientationText)
class OrientationTextAdmin(ReadOnlyAdmin):
    list_display = ["title", "consultation", "state", "decided_at"]
    list_filter = ["state"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = ["number", "text", "section", "author", "status", "decided_at"]
    list_filter = ["status"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["text", "opens_at", "closes_at", "quorum_percent", "eligible_count"]


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    """The roll: who has voted — never what (no such row exists)."""

    list_display = ["vote", "user", "voted_on"]
