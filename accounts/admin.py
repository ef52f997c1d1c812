from django.contrib import admin

from .models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["email", "user", "provider_id", "status", "sent_folder", "last_tested_at", "created_at"]
    list_filter = ["status", "provider_id", "smtp_security", "imap_security", "sent_folder_chosen"]
    search_fields = ["email", "username", "user__username", "smtp_host", "imap_host"]
    list_select_related = ["user"]
    exclude = ["password_encrypted"]
    readonly_fields = ["status", "sent_folder", "last_tested_at"]
