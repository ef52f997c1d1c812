"""Django's makemessages, set up for this project: it also collects the network core's
N_() words (diagnostics/net/words.py), and leaves out what is not the app's."""

from django.core.management.commands import makemessages

# Not the app's words: tests, benchmarks, generated and collected files.
IGNORED = ["tests/*", "bench/*", "var/*", "staticfiles/*", "node_modules/*", "locale/*"]
# The JavaScript catalogue holds static/js alone (templates/live/early.js is inlined by a
# template and has no words).
IGNORED_JS = ["templates/*", "*/migrations/*"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        if options.get("domain") == "djangojs":
            options["ignore_patterns"] += IGNORED_JS
        return super().handle(*args, **options)
