from django.contrib import admin

from .models import ConnectionTest, TestError, TestStep


class TestStepInline(admin.TabularInline):
    model = TestStep
    extra = 0
    can_delete = False
    readonly_fields = ["protocol", "name", "ok", "ms", "detail"]


class TestErrorInline(admin.TabularInline):
    model = TestError
    extra = 0
    can_delete = False
    readonly_fields = ["code", "reason", "protocol", "step", "detail", "server_reply", "suggestion"]


@admin.register(ConnectionTest)
class ConnectionTestAdmin(admin.ModelAdmin):
    list_display = ["pk", "mailbox", "status", "sent_folder", "created_at", "finished_at"]
    list_filter = ["status", "errors__code", "created_at"]
    search_fields = ["mailbox__email"]
    readonly_fields = [
        "mailbox",
        "status",
        "settings",
        "sent_folder",
        "message",
        "started_at",
        "finished_at",
        "deadline_at",
    ]
    inlines = [TestStepInline, TestErrorInline]


@admin.register(TestError)
class TestErrorAdmin(admin.ModelAdmin):
    list_display = ["test", "code", "reason", "protocol", "step"]
    list_filter = ["code", "reason", "protocol"]
    search_fields = ["test__mailbox__email", "server_reply"]
