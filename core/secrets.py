"""The registry of encrypted columns: every column that holds a secret under CREDENTIALS_KEYS.

Apps declare theirs in AppConfig.ready() (this floor imports no app). Key rotation and
the credentials check walk the registry, so a secret added later is rotated with the
others once it is registered. By the house rule an encrypted column's name ends in
``_encrypted``; a test over every model fails when one is not registered here.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from . import crypto

SUFFIX = "_encrypted"


@dataclass(frozen=True)
class Column:
    model: type[models.Model]
    field: str
    label: str  # what a person calls it in the commands' output: "mailbox password"

    @property
    def key(self) -> tuple[str, str]:
        return (self.model._meta.label_lower, self.field)


_columns: dict[tuple[str, str], Column] = {}


def register(model: type[models.Model], *fields: str, label: str = "") -> None:
    """Declare `fields` of `model` as encrypted with core.crypto; idempotent."""
    for field in fields:
        model._meta.get_field(field)  # a typo fails at start-up, not at rotation
        if not field.endswith(SUFFIX):
            raise ValueError(f"an encrypted column's name ends in {SUFFIX!r}: {field}")
        name = label or f"{model._meta.verbose_name} {field.removesuffix(SUFFIX).replace('_', ' ')}"
        column = Column(model, field, name)
        _columns[column.key] = column


def columns() -> list[Column]:
    return sorted(_columns.values(), key=lambda c: c.key)


def is_registered(model: type[models.Model], field: str) -> bool:
    return (model._meta.label_lower, field) in _columns


def unregistered(all_models) -> list[str]:
    """'app.model.field' of every column named like a secret that nobody registered."""
    return [
        f"{model._meta.label_lower}.{field.name}"
        for model in all_models
        for field in model._meta.concrete_fields
        if field.name.endswith(SUFFIX) and not is_registered(model, field.name)
    ]


def stored() -> Iterator[tuple[Column, object, str]]:
    """(column, row pk, ciphertext) of every non-empty stored secret."""
    for column in columns():
        rows = column.model._default_manager.exclude(**{column.field: ""}).values_list("pk", column.field)
        for pk, token in rows.order_by("pk").iterator():
            yield column, pk, token


def check() -> tuple[int, list[str]]:
    """(how many decrypt, labels of those that do not)."""
    ok, failed = 0, []
    for column, pk, token in stored():
        try:
            crypto.decrypt(token)
        except crypto.DecryptionError:
            failed.append(f"{column.label} {pk}")
        else:
            ok += 1
    return ok, failed


def rotate() -> tuple[int, list[str]]:
    """Re-encrypt every secret with the first key. Run it inside a transaction: on any
    failure the caller rolls back, as a half-rotated table is harder to repair."""
    rotated, failed = 0, []
    for column in columns():
        manager = column.model._default_manager
        rows = manager.exclude(**{column.field: ""}).select_for_update().values_list("pk", column.field)
        for pk, token in rows.order_by("pk").iterator():
            try:
                fresh = crypto.rotate(token)
            except crypto.DecryptionError:
                failed.append(f"{column.label} {pk}")
                continue
            manager.filter(pk=pk).update(**{column.field: fresh})
            rotated += 1
    return rotated, failed
