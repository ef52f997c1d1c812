"""What error pages and error logs may show of a request: never a secret, DEBUG included.

Django's own filter steps aside under DEBUG ("your site is not safe anyway"), and it
only hides the POST fields and local variables a view names. This one is always on,
and also hides any field, variable or setting whose name says it holds a secret, so a
view that forgot `sensitive_post_parameters` still shows no password.
"""

import re

from django.views.debug import SafeExceptionReporterFilter

SECRET_NAME = re.compile(r"pass|secret|token|credential|api_?key|signature|cookie|session", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


class SecretsFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL|DATABASE_URL|REDIS_URL|BROKER",
        flags=re.IGNORECASE,
    )

    def is_active(self, request) -> bool:
        return True  # under DEBUG too

    def get_post_parameters(self, request):
        if request is None:
            return {}
        cleansed = super().get_post_parameters(request).copy()
        for name in cleansed:
            if is_secret_name(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        cleansed = super().get_cleansed_multivaluedict(request, multivaluedict)
        secret = [key for key in cleansed if is_secret_name(str(key))]
        if secret:
            cleansed = cleansed.copy()
            for key in secret:
                cleansed[key] = self.cleansed_substitute
        return cleansed

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        if isinstance(value, dict) and any(is_secret_name(str(key)) for key in value):
            return {k: self.cleansed_substitute if is_secret_name(str(k)) else v for k, v in value.items()}
        return value

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if is_secret_name(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
