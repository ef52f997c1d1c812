from django.contrib import admin

from .models import Alert, Check, Health, WebhookDelivery


@admin.register(Health)
class HealthAdmin(admin.ModelAdmin):
    list_display = ("mailbox", "state", "error_code", "error_reason", "last_check_at", "next_check_at")
    list_filter = ("state",)
    search_fields = ("mailbox__email",)
    raw_id_fields = ("mailbox", "paused_by")
    list_select_related = ("mailbox",)


@admin.register(Check)
class CheckAdmin(admin.ModelAdmin):
    list_display = ("mailbox", "created_at", "state", "ok", "error_code", "error_reason", "ms")
    list_filter = ("state", "ok")
    raw_id_fields = ("mailbox", "test")
    list_select_related = ("mailbox",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("user", "mailbox", "kind", "created_at", "emailed_at", "skipped")
    raw_id_fields = ("user", "mailbox", "health_check")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("user", "url", "attempts", "delivered_at", "given_up", "last_error")
    raw_id_fields = ("user",)
