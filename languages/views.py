from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from . import choice


@require_POST
def set_language(request):
    """Django's set_language (the cookie, and back to `next`), and for a signed-in
    person the choice saved to their account."""
    response = django_set_language(request)
    language = choice.supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        choice.save_choice(request, request.user, language)
    return response
