"""Limits on what people write (titles, names, descriptions, categories), shared by every model
that takes them, so that one request cannot store megabytes of text or a title that shows nothing.

A TextField's max_length binds only forms: the validators make full_clean, which every service
calls, enforce the limits too. Titles and names are trimmed by their field itself (TrimmedCharField),
when cleaned and when saved, so every path (services, admin, commands) stores them the same way."""

import re

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.deconstruct import deconstructible

DESCRIPTION_MAX_LENGTH = 5000
CATEGORIES_MAX = 20
TITLE_MAX_LENGTH = 200
NAME_MAX_LENGTH = 200

# What shows nothing. Unicode's White_Space, the control characters, and its Default_Ignorable_Code_Point
# (DerivedCoreProperties.txt: zero-width space and joiners, word joiner, byte order mark, soft hyphen,
# direction marks, variation selectors, Hangul fillers, tags...), and the braille blank. A text made only
# of these looks empty, so it is blank; `str.isspace` and the regex `\S` miss most of them.
WHITE_SPACE = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
    (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
# Invisible on their own and meaningless at either end of a text: trimmed with the spaces.
ZERO_WIDTH = ((0xAD, 0xAD), (0x180E, 0x180E), (0x200B, 0x200D), (0x2060, 0x2064), (0xFEFF, 0xFEFF))
FILLERS = ((0x2800, 0x2800), (0x3164, 0x3164), (0xFFA0, 0xFFA0))
# Blank when alone, never trimmed: the control characters, which a client has no business sending
# (PostgreSQL refuses a NUL wherever it is, and the API says so rather than dropping it)...
CONTROLS = ((0x00, 0x1F), (0x7F, 0x9F))
# ...and the invisible characters that change the one beside them (an emoji's variation selector, a
# flag's tags, the conjoining Hangul fillers) or the direction of the text around them (bidi marks).
ATTACHED = (
    (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
    (0x200E, 0x200F), (0x202A, 0x202E), (0x2065, 0x206F), (0xFE00, 0xFE0F), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip


def _run_of(spans: tuple[tuple[int, int], ...]) -> re.Pattern:
    return re.compile("[{}]*".format("".join(f"\\U{start:08x}-\\U{end:08x}" for start, end in spans)))


_EDGE = _run_of(WHITE_SPACE + ZERO_WIDTH + FILLERS)
_INVISIBLE = _run_of(WHITE_SPACE + CONTROLS + ZERO_WIDTH + FILLERS + ATTACHED)


def trim(text: str) -> str:
    """The text without the spaces and zero-width characters around it."""
    start = _EDGE.match(text).end()
    # The end's run is matched on the reversed text: a search for it would retry from every position.
    end = len(text) - _EDGE.match(text[::-1]).end()
    return text[start:end] if start < end else ""


def is_blank(text: str) -> bool:
    """Whether the text shows nothing: empty, or only spaces and invisible characters."""
    return _INVISIBLE.fullmatch(text) is not None


def blank_message(noun: str) -> str:
    return f"{noun} cannot be blank (empty, or only spaces and invisible characters)"


@deconstructible
class NotBlankValidator:
    """Refuses a text that shows nothing (is_blank)."""

    code = "only_spaces"

    def __init__(self, message: str):
        self.message = message

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and is_blank(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotBlankValidator) and self.message == other.message

    def __hash__(self) -> int:
        return hash(self.message)


class TrimmedCharField(models.CharField):
    """A CharField whose value loses the spaces and zero-width characters around it, when cleaned
    (so its limits count what is kept) and when saved."""

    def to_python(self, value):
        value = super().to_python(value)
        return trim(value) if isinstance(value, str) else value


DESCRIPTION_LIMIT = MaxLengthValidator(
    DESCRIPTION_MAX_LENGTH, "a description has at most %(limit_value)d characters (this one has %(show_value)d)"
)
CATEGORY_NOT_BLANK = NotBlankValidator("a category cannot be only spaces or invisible characters")
CATEGORIES_LIMIT = MaxLengthValidator(CATEGORIES_MAX, "give at most %(limit_value)d categories (not %(show_value)d)")


def line_field(noun: str, max_length: int, *, blank: bool = False, **kwargs) -> TrimmedCharField:
    """One line of text, trimmed, of at most `max_length` characters, whose errors name it (`noun`):
    the API reports a field's messages without its name. Unless `blank`, it cannot be empty; it is
    never only invisible characters."""
    optional = f"{noun} cannot be only invisible characters (leave it empty for none)"
    not_blank = NotBlankValidator(optional if blank else blank_message(noun))
    return TrimmedCharField(
        max_length=max_length,
        blank=blank,
        validators=[not_blank],
        error_messages={
            "blank": not_blank.message,
            "max_length": f"{noun} has at most %(limit_value)d characters (this one has %(show_value)d)",
        },
        **kwargs,
    )


def title_field(*, blank: bool = False) -> TrimmedCharField:
    """A title: trimmed, at most TITLE_MAX_LENGTH characters, never only spaces or invisible ones."""
    return line_field("a title", TITLE_MAX_LENGTH, blank=blank)


def name_field() -> TrimmedCharField:
    """A name: trimmed, at most NAME_MAX_LENGTH characters, never only spaces or invisible ones."""
    return line_field("a name", NAME_MAX_LENGTH)


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
