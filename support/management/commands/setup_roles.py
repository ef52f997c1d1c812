from django.core.management.base import BaseCommand

from core.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = "Create or refresh the staff groups (support staff, connection admins) and their permissions."

    def handle(self, *args, **options):
        groups = ensure_roles()
        for key, group in groups.items():
            count = group.permissions.count()
            self.stdout.write(f"{ROLES[key].group}: {count} permissions (role '{key}')")
