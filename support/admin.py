from django.contrib import admin
from django.utils.html import format_html

from .models import InternalNote, Message, SavedReply, Screenshot, SupportRequest


class ScreenshotInline(admin.TabularInline):
    model = Screenshot
    extra = 0
    can_delete = False
    fields = ["link", "kind", "format", "width", "height", "size", "created_at"]
    readonly_fields = fields

    @admin.display(description="screenshot")
    def link(self, obj):
        # The permission-checking view, never the storage URL (nothing serves MEDIA_URL).
        return format_html('<a href="{}">view</a>', obj.get_absolute_url()) if obj.pk else ""


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["from_support", "author", "text", "created_at"]
    readonly_fields = fields


class NoteInline(admin.TabularInline):
    model = InternalNote
    extra = 0
    can_delete = False
    fields = ["author", "text", "created_at"]
    readonly_fields = fields


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "email", "user", "provider_id", "status", "assignee", "created_at", "updated_at"]
    list_filter = ["status", "provider_id", "created_at"]
    search_fields = ["email", "contact_email", "user__username", "message", "error_codes"]
    readonly_fields = [
        "user",
        "mailbox",
        "test",
        "email",
        "provider_id",
        "settings",
        "errors",
        "error_codes",
        "steps",
        "transcript",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["user", "assignee"]
    inlines = [MessageInline, NoteInline, ScreenshotInline]


@admin.register(Screenshot)
class ScreenshotAdmin(admin.ModelAdmin):
    list_display = ["pk", "request", "kind", "format", "width", "height", "size", "created_at"]
    list_filter = ["kind", "format", "created_at"]
    search_fields = ["request__email", "original_name"]
    exclude = ["file"]
    readonly_fields = ["request", "kind", "format", "width", "height", "size", "original_name", "uploaded_by"]
    list_select_related = ["request"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "request", "from_support", "author", "created_at"]
    list_filter = ["from_support", "created_at"]
    search_fields = ["text", "request__email", "author__username"]
    raw_id_fields = ["request"]
    list_select_related = ["request", "author"]


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    """Support staff write the answers they give often; the request page inserts them."""

    list_display = ["title", "updated_at"]
    search_fields = ["title", "text"]


@admin.register(InternalNote)
class InternalNoteAdmin(admin.ModelAdmin):
    list_display = ["pk", "request", "author", "created_at"]
    search_fields = ["text", "request__email"]
    raw_id_fields = ["request"]
    list_select_related = ["request", "author"]
