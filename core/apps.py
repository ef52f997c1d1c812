from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs) -> None:
    """The database cache's table, made on every `migrate` (test databases included).

    Not a migration: the table depends on CACHES, which changes with REDIS_URL, and
    createcachetable does nothing when the table exists or no cache uses the database.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    """The ground floor: what every app uses, importing no app.

    Its label stays "sharedstate", the name its tables and migrations were made under.
    """

    name = "core"
    label = "sharedstate"
    verbose_name = "Shared ground floor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="sharedstate.cache_table")
