from django.contrib import admin

from .models import Note, Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["test", "reviewed_by", "reviewed_at"]
    list_filter = ["reviewed_at", "test__provider_id"]
    search_fields = ["test__mailbox__email", "reviewed_by__username"]
    raw_id_fields = ["test"]
    list_select_related = ["test", "reviewed_by"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["test", "author", "created_at", "text"]
    list_filter = ["created_at"]
    search_fields = ["text", "test__mailbox__email", "author__username"]
    raw_id_fields = ["test"]
    list_select_related = ["test", "author"]
