"""Writes on posts: each checks who acts, validates and runs in one transaction."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Community
from accounts.permissions import acts_for, can_change, can_post_in
from feed.models import Post
from geoschema.errors import ApiError, Code, bad_input
from geoschema.texts import trim
from places.models import Building, District, Organisation


@transaction.atomic
def post_create(
    *,
    user,
    body: str,
    title: str = "",
    organisation: Organisation | None = None,
    building: Building | None = None,
    district: District | None = None,
    centre=None,
    radius_m: float | None = None,
    community: Community | None = None,
) -> Post:
    """A post by `user` (or an organisation they act for) to exactly one audience."""
    audiences = [building is not None, district is not None, centre is not None, community is not None]
    if sum(audiences) != 1:
        raise bad_input("address a post to exactly one of: buildingId, districtId, near, communityId")
    if centre is not None and not (radius_m and 0 < radius_m <= 5000):
        raise bad_input("a post to a radius around a place needs radiusMeters above 0 and at most 5000")
    if not acts_for(user, organisation):
        raise PermissionDenied(f"you are not a member of {organisation.name}")
    if not can_post_in(user, community):
        raise PermissionDenied(f"only members of {community.name} post in it")
    post = Post(
        owner=user,
        organisation=organisation,
        title=trim(title),
        body=trim(body),
        building=building,
        district=district,
        centre=centre,
        radius_m=radius_m if centre is not None else None,
        community=community,
    )
    post.full_clean()
    post.save()
    return post


@transaction.atomic
def post_reply(*, user, parent: Post, body: str) -> Post:
    """A reply, to the parent's audience (replies to replies attach to the thread's first post)."""
    while parent.parent_id is not None:
        parent = parent.parent
    if parent.deleted_at is not None:
        raise ApiError(Code.CONFLICT, "this post was deleted: it takes no more replies")
    reply = Post(
        owner=user,
        parent=parent,
        body=trim(body),
        building=parent.building,
        district=parent.district,
        centre=parent.centre,
        radius_m=parent.radius_m,
        community=parent.community,
    )
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def post_update(*, user, post: Post, body: str | None = None, title: str | None = None) -> Post:
    """The author's side edits a post. An edit that changes nothing (no field given, or the same
    text again) leaves it as it was, not marked edited: a client that retries an edit is harmless."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not can_change(user, post):
        raise PermissionDenied("only the post's author may edit it")
    if post.deleted_at is not None:
        raise ApiError(Code.CONFLICT, "this post was deleted")
    before = (post.body, post.title)
    if body is not None:
        post.body = trim(body)
    if title is not None:
        post.title = trim(title)
    if (post.body, post.title) == before:
        return post
    post.edited_at = timezone.now()
    post.full_clean()
    post.save()
    return post


@transaction.atomic
def post_delete(*, user, post: Post) -> Post:
    """The author's side deletes a post: its text goes, its replies stay. Deleting it again changes
    nothing: it stays deleted since the first time."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not can_change(user, post):
        raise PermissionDenied("only the post's author may delete it")
    if post.deleted_at is not None:
        return post
    post.title, post.body, post.deleted_at = "", "", timezone.now()
    post.save(update_fields=["title", "body", "deleted_at"])
    return post
