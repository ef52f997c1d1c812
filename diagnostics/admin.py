from django.contrib import admin

from .models import ConnectionTest, MailboxVerification, TestError, TestStep


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
    list_display = ["pk", "mailbox", "status", "provider_id", "sent_folder", "created_at", "finished_at"]
    list_filter = ["status", "provider_id", "errors__code", "created_at"]
    search_fields = ["mailbox__email", "mailbox__user__username", "provider_id"]
    list_select_related = ["mailbox"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "mailbox",
        "status",
        "settings",
        "provider_id",
        "sent_folder",
        "folders",
        "transcript",
        "message",
        "started_at",
        "finished_at",
        "deadline_at",
        "round_trip_requested",
        "capabilities",
        "round_trip",
        "domain_checks",
        "tracking_check",
    ]
    inlines = [TestStepInline, TestErrorInline]


@admin.register(MailboxVerification)
class MailboxVerificationAdmin(admin.ModelAdmin):
    list_display = ["mailbox", "sent_filing", "sent_filing_checked_at", "tracking_domain"]
    list_filter = ["sent_filing"]
    search_fields = ["mailbox__email", "tracking_domain"]
    list_select_related = ["mailbox"]
    readonly_fields = ["mailbox", "sent_filing", "sent_filing_checked_at", "updated_at"]


@admin.register(TestStep)
class TestStepAdmin(admin.ModelAdmin):
    list_display = ["test", "protocol", "name", "ok", "ms", "created_at"]
    list_filter = ["protocol", "name", "ok"]
    search_fields = ["test__mailbox__email", "detail"]
    list_select_related = ["test"]
    raw_id_fields = ["test"]


@admin.register(TestError)
class TestErrorAdmin(admin.ModelAdmin):
    list_display = ["test", "code", "reason", "protocol", "step"]
    list_filter = ["code", "reason", "protocol", "step"]
    search_fields = ["test__mailbox__email", "server_reply", "detail"]
    list_select_related = ["test"]
    raw_id_fields = ["test"]
