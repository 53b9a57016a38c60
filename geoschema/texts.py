"""Limits on what people write (titles, names, descriptions, categories), shared by every model
that takes them, so that one request cannot store megabytes of text or a title of only spaces.

A TextField's max_length binds only forms: the validators make full_clean, which every service
calls, enforce the limits too."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models

DESCRIPTION_MAX_LENGTH = 5000
CATEGORIES_MAX = 20
TITLE_NOT_BLANK = RegexValidator(r"\S", "a title cannot be only spaces", code="only_spaces")
NAME_NOT_BLANK = RegexValidator(r"\S", "a name cannot be only spaces", code="only_spaces")
DESCRIPTION_LIMIT = MaxLengthValidator(
    DESCRIPTION_MAX_LENGTH, "a description has at most %(limit_value)d characters (this one has %(show_value)d)"
)
CATEGORY_NOT_BLANK = RegexValidator(r"\S", "a category cannot be only spaces", code="only_spaces")
CATEGORIES_LIMIT = MaxLengthValidator(CATEGORIES_MAX, "give at most %(limit_value)d categories (not %(show_value)d)")


def description_field() -> models.TextField:
    """An optional free text of at most DESCRIPTION_MAX_LENGTH characters."""
    return models.TextField(
        blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[DESCRIPTION_LIMIT],
        help_text=f"At most {DESCRIPTION_MAX_LENGTH} characters.",
    )


def categories_field() -> ArrayField:
    """Free category tags: at most CATEGORIES_MAX, each 1 to 80 characters and not only spaces."""
    return ArrayField(
        models.CharField(max_length=80, validators=[CATEGORY_NOT_BLANK]),
        default=list,
        blank=True,
        validators=[CATEGORIES_LIMIT],
        help_text=f"At most {CATEGORIES_MAX}, each at most 80 characters.",
    )
