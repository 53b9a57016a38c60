"""Posts: announcements and discussions addressed to a place, never to the whole world."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator

from geoschema.texts import NotBlankValidator, blank_message, title_field

BODY_MAX_LENGTH = 5000
BODY_NOT_BLANK = NotBlankValidator(blank_message("a post"))


def _only(audience: str) -> models.Q:
    fields = ("building", "district", "centre", "community")
    return models.Q(**{f"{f}__isnull": f != audience for f in fields})


ONE_AUDIENCE = _only("building") | _only("district") | (_only("centre") & models.Q(radius_m__gt=0)) | _only("community")


class Post(models.Model):
    """A message from a person, or from an organisation or partner they act for, addressed to one
    audience: a building, a district of any layer, a radius around a place, or a community (its
    members only). A reply belongs to its parent's audience. Deleting keeps the replies and drops
    the text."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    title = title_field(blank=True)  # optional: trimmed of its spaces, "   " is no title
    # A TextField's max_length binds only forms: the validator makes full_clean enforce it.
    body = models.TextField(
        max_length=BODY_MAX_LENGTH,
        validators=[
            BODY_NOT_BLANK,
            MaxLengthValidator(
                BODY_MAX_LENGTH, "a post has at most %(limit_value)d characters (this one has %(show_value)d)"
            ),
        ],
        error_messages={"blank": BODY_NOT_BLANK.message},
        help_text=f"At most {BODY_MAX_LENGTH} characters.",
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    building = models.ForeignKey("places.Building", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("places.District", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    centre = models.PointField(geography=True, srid=4326, null=True, blank=True)
    radius_m = models.FloatField(null=True, blank=True)
    community = models.ForeignKey(
        "accounts.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(name="post_has_one_audience", condition=ONE_AUDIENCE)]

    def __str__(self) -> str:
        return self.title or self.body[:60]
