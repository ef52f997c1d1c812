from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.roles import ROLES, grant, revoke


class Command(BaseCommand):
    help = "Make a user support staff or a connection admin (or take the role away with --remove)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument("--remove", action="store_true", help="take the role away instead")

    def handle(self, *args, username, role, remove, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if remove:
            revoke(user, role)
            self.stdout.write(f"{username} is no longer in {ROLES[role].group}.")
        else:
            grant(user, role)
            self.stdout.write(f"{username} is now in {ROLES[role].group} (staff account).")
