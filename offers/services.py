"""Writes on offers, needs, projects and pledges: each checks who acts, validates, and runs in one
transaction, so a failure half-way writes nothing."""

from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from strawberry.utils.str_converters import to_camel_case

from accounts.models import Community
from accounts.permissions import acts_for, can_change, can_post_in
from geoschema.errors import ApiError, Code, bad_input
from offers.models import FundingPool, HelpKind, Need, Offer, Pledge, PoolTopUp, Project, is_finite
from places.models import District, DistrictPart, LocationPrecision, Organisation
from places.services import located_assign_districts


def _check_organisation(user, organisation: Organisation | None) -> None:
    if not acts_for(user, organisation):
        raise PermissionDenied(f"you are not a member of {organisation.name}")


def _check_community(user, community: Community | None) -> None:
    if not can_post_in(user, community):
        raise PermissionDenied(f"only members of {community.name} post in it")


# A patch names a field as the API does; these two are named in metres there.
_API_NAMES = {"service_radius_m": "serviceRadiusMeters", "search_radius_m": "searchRadiusMeters"}


def _api_name(field: str) -> str:
    return _API_NAMES.get(field) or to_camel_case(field)


def _refuse_nulls(model, changes: dict[str, Any]) -> None:
    """A patch's explicit null for a field that cannot be empty is a mistake of the client's, said
    before anything is written (the database would refuse it as a constraint, read as a conflict)."""
    for name, value in changes.items():
        if value is None and not model._meta.get_field(name).null:
            raise bad_input(f"{_api_name(name)} cannot be null: leave it out to keep it, or give a value")


def _as_stored(instance) -> None:
    """Give `instance`'s decimals the form the database gives back (1e3 -> 1000.00), so that what a
    mutation answers is what a later read says. Only after full_clean: a value that fits its field
    quantizes exactly; one with more decimal places than the field has was refused, never rounded."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
            setattr(instance, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places)))


def _clean_and_save(instance):
    instance.full_clean()
    _as_stored(instance)
    instance.save()
    return instance


def _save_located(instance, *, moved: bool = True):
    if instance._state.adding and instance.location_precision is None:
        # A person's place is coarse unless they choose otherwise; an organisation's is exact.
        instance.location_precision = LocationPrecision.EXACT if instance.organisation_id else LocationPrecision.BLOCK
    _clean_and_save(instance)
    if moved:
        located_assign_districts(instance)
    return instance


@transaction.atomic
def offer_create(
    *, user, organisation: Organisation | None = None, community: Community | None = None, **fields: Any
) -> Offer:
    """A new open offer by `user` (or by an organisation `user` acts for), for everyone or for the
    members of a community `user` belongs to."""
    _check_organisation(user, organisation)
    _check_community(user, community)
    return _save_located(Offer(owner=user, organisation=organisation, community=community, **fields))


@transaction.atomic
def offer_update(*, user, offer: Offer, **changes: Any) -> Offer:
    """Change an offer's fields; only its owner's side may. A field left out keeps its value; a
    null clears it where it may be empty (quantity, the time window) and is refused elsewhere."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not can_change(user, offer):
        raise PermissionDenied("only the one who made this offer may change it")
    if offer.status == Offer.Status.CLOSED:
        raise ApiError(Code.CONFLICT, "this offer is closed")
    _refuse_nulls(Offer, changes)
    for name, value in changes.items():
        setattr(offer, name, value)
    committed = committed_quantity(offer=offer)
    # A quantity that is not a finite number is left to full_clean, which refuses it.
    if is_finite(offer.quantity) and offer.quantity < committed:
        raise bad_input(f"quantity cannot go below what is already pledged ({committed})")
    if offer.quantity is None or is_finite(offer.quantity):
        # Under the offer's lock, as acceptances are: the status says what the new quantity leaves.
        offer.status = _status_for(offer, offer.quantity, committed)
    return _save_located(offer, moved="location" in changes)


@transaction.atomic
def offer_close(*, user, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not can_change(user, offer):
        raise PermissionDenied("only the one who made this offer may close it")
    offer.status = Offer.Status.CLOSED
    offer.save(update_fields=["status"])
    return offer


@transaction.atomic
def project_create(
    *, user, organisation: Organisation | None = None, community: Community | None = None, **fields: Any
) -> Project:
    """A new community project carried by `user` (or an organisation they act for), for everyone or
    for the members of a community `user` belongs to."""
    _check_organisation(user, organisation)
    _check_community(user, community)
    return _save_located(Project(owner=user, organisation=organisation, community=community, **fields))


@transaction.atomic
def need_create(
    *,
    user,
    project: Project | None = None,
    organisation: Organisation | None = None,
    community: Community | None = None,
    **fields: Any,
) -> Need:
    """A new need, standing alone or part of a project its carrier manages (at the project's place
    unless another is given, and in the project's community)."""
    if project is not None:
        if not can_change(user, project):
            raise PermissionDenied("only the project's carrier may add needs to it")
        if community is not None and community.pk != project.community_id:
            raise bad_input("a project's need is posted in the project's community: leave communityId out")
        organisation = organisation or project.organisation
        community = project.community
        fields.setdefault("location", project.location)
    _check_organisation(user, organisation)
    _check_community(user, community)
    need = Need(owner=user, organisation=organisation, project=project, community=community, **fields)
    return _save_located(need)


def committed_quantity(*, offer: Offer | None = None, need: Need | None = None) -> Decimal:
    pledges = Pledge.objects.filter(status__in=Pledge.COMMITTED)
    pledges = pledges.filter(offer=offer) if offer is not None else pledges.filter(need=need)
    return pledges.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def remaining(thing: Offer | Need) -> Decimal | None:
    """What is left of an offer or a need once its accepted pledges are counted (None: uncounted)."""
    if thing.quantity is None:
        return None
    used = committed_quantity(offer=thing) if isinstance(thing, Offer) else committed_quantity(need=thing)
    return thing.quantity - used


def _status_for(thing: Offer | Need, quantity: Decimal | None, committed: Decimal) -> str:
    """The status `thing` (an offer or a need) takes when `committed` of `quantity` is taken: used
    up (EXHAUSTED, MET) when nothing remains, else OPEN. Only those two follow the quantity: a closed
    (or paused) one keeps its status."""
    used_up = Offer.Status.EXHAUSTED if isinstance(thing, Offer) else Need.Status.MET
    if thing.status not in (type(thing).Status.OPEN, used_up):
        return thing.status
    return used_up if quantity is not None and quantity - committed <= 0 else type(thing).Status.OPEN


def _follow_remaining(thing: Offer | Need) -> None:
    """Set the status of `thing` (locked by the caller) to what remains of it (`_status_for`)."""
    used = committed_quantity(offer=thing) if isinstance(thing, Offer) else committed_quantity(need=thing)
    status = _status_for(thing, thing.quantity, used)
    if status != thing.status:
        type(thing).objects.filter(pk=thing.pk).update(status=status)
        thing.status = status


def _side(thing: Offer | Need) -> tuple[set[int], set[int]]:
    """Who stands on the side of an offer or a need: its owner and its organisation; for a project's
    need, the project's owner and organisation too (a pool's top-ups are the project's)."""
    things = [thing, thing.project] if isinstance(thing, Need) and thing.project_id is not None else [thing]
    owners = {one.owner_id for one in things if one.owner_id is not None}
    return owners, {one.organisation_id for one in things if one.organisation_id is not None}


def same_side(offer: Offer, need: Need) -> bool:
    """Whether an offer and a need are on the same side: one organisation, or one person, stands on
    both (owner of one and owner or member of the organisation of the other, or member of both
    organisations). Such a pledge moves nothing between two parties, yet would count as money raised
    and draw pool top-ups: it is refused at every step."""
    (offer_owners, offer_organisations), (need_owners, need_organisations) = _side(offer), _side(need)
    if offer_owners & need_owners or offer_organisations & need_organisations:
        return True
    if not (offer_organisations or need_organisations):
        return False

    def people(owners: set[int], organisations: set[int]) -> Q:
        return Q(pk__in=owners) | Q(organisations__in=organisations)

    # Two filter() calls on a many-to-many: two joins, one person a member on both sides.
    both = get_user_model().objects.filter(people(offer_owners, offer_organisations))
    return both.filter(people(need_owners, need_organisations)).exists()


SAME_SIDE = "an offer cannot be pledged to a need of its own side (the same person, or someone who acts for both)"


@transaction.atomic
def pledge_create(*, user, offer: Offer, need: Need, quantity: Decimal) -> Pledge:
    """The offer's side proposes part of its offer for a need; the need's side then responds."""
    if not can_change(user, offer):
        raise PermissionDenied("only the one who made this offer may pledge it")
    if same_side(offer, need):
        raise PermissionDenied(SAME_SIDE)
    if not is_finite(quantity) or quantity <= 0:
        raise bad_input("a pledge's quantity must be a number more than 0")
    if offer.kind != need.kind:
        raise bad_input(f"a {offer.kind} offer cannot serve a {need.kind} need")
    if offer.community_id is not None and offer.community_id != need.community_id:
        raise bad_input("an offer posted in a community serves only that community's needs")
    if offer.status != Offer.Status.OPEN or need.status != Need.Status.OPEN:
        raise ApiError(Code.CONFLICT, "both the offer and the need must be open")
    for thing, name in ((offer, "offer"), (need, "need")):
        left = remaining(thing)
        if left is not None and quantity > left:
            raise ApiError(Code.CONFLICT, f"only {left} remain on the {name}")
    return _clean_and_save(Pledge(offer=offer, need=need, quantity=quantity, created_by=user))


@transaction.atomic
def pledge_respond(*, user, pledge: Pledge, accept: bool) -> Pledge:
    """The need's side accepts or declines a proposed pledge.

    Accepting locks the offer, then the need (always in that order, so two transactions never
    wait on each other), and checks what remains of both: of two people taking the last slot at
    once, one is accepted and the other gets CONFLICT. A pledge of a closed (or paused) offer, or to
    a closed need, is not accepted (CONFLICT), even if closed after the pledge was proposed; it may
    still be declined.
    """
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    offer = Offer.objects.select_for_update().get(pk=pledge.offer_id)
    need = Need.objects.select_for_update().get(pk=pledge.need_id)
    if not can_change(user, need):
        raise PermissionDenied("only the one who posted the need may respond to its pledges")
    if pledge.status != Pledge.Status.PROPOSED:
        raise ApiError(Code.CONFLICT, f"this pledge is already {pledge.status.lower()}")
    if accept:
        # A pledge proposed before same-side pledges were refused is not accepted either.
        if same_side(offer, need):
            raise PermissionDenied(SAME_SIDE)
        # Used up (EXHAUSTED, MET) is left to the count below, which says how much remains.
        for thing, name in ((offer, "offer"), (need, "need")):
            if thing.status in (Offer.Status.CLOSED, Offer.Status.PAUSED):
                raise ApiError(Code.CONFLICT, f"this {name} is {thing.status.lower()}: the pledge cannot be accepted")
        for thing, name in ((offer, "offer"), (need, "need")):
            left = remaining(thing)
            if left is not None and pledge.quantity > left:
                raise ApiError(Code.CONFLICT, f"only {left} remain on the {name}: the pledge cannot be accepted")
    pledge.status = Pledge.Status.ACCEPTED if accept else Pledge.Status.DECLINED
    pledge.responded_at = timezone.now()
    pledge.save(update_fields=["status", "responded_at"])
    if accept:
        _follow_remaining(offer)
        _follow_remaining(need)
        if need.kind == HelpKind.MONEY and need.project_id is not None:
            pools_top_up(pledge=pledge, project=need.project)
    return pledge


@transaction.atomic
def pledge_fulfil(*, user, pledge: Pledge) -> Pledge:
    """The need's side says an accepted pledge was received. It may, whatever the offer and the need
    have become since the pledge was accepted (closed, used up): closing stops new pledges, not the
    delivery of one already agreed. A pledge between two ends of one side is never fulfilled."""
    # The pledge's row alone is locked: fulfilling changes neither the offer nor the need.
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("offer", "need").get(pk=pledge.pk)
    if not can_change(user, pledge.need):
        raise PermissionDenied("only the one who posted the need may say it was received")
    if same_side(pledge.offer, pledge.need):
        raise PermissionDenied(SAME_SIDE)
    if pledge.status != Pledge.Status.ACCEPTED:
        raise ApiError(Code.CONFLICT, f"only an accepted pledge can be fulfilled; this one is {pledge.status.lower()}")
    pledge.status = Pledge.Status.FULFILLED
    pledge.save(update_fields=["status"])
    return pledge


@transaction.atomic
def pledge_cancel(*, user, pledge: Pledge) -> Pledge:
    """Either side withdraws a proposed or accepted pledge: its capacity and any pool top-up return."""
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    offer = Offer.objects.select_for_update().get(pk=pledge.offer_id)
    need = Need.objects.select_for_update().get(pk=pledge.need_id)
    if not (can_change(user, offer) or can_change(user, need)):
        raise PermissionDenied("only the two sides of a pledge may cancel it")
    if pledge.status not in (Pledge.Status.PROPOSED, Pledge.Status.ACCEPTED):
        raise ApiError(Code.CONFLICT, f"a {pledge.status.lower()} pledge cannot be cancelled")
    pledge.status = Pledge.Status.CANCELLED
    pledge.save(update_fields=["status"])
    pledge.top_ups.all().delete()
    _follow_remaining(offer)
    _follow_remaining(need)
    return pledge


def pools_for(project: Project) -> QuerySet[FundingPool]:
    """The active pools whose area holds the project: eligibility is decided by its exact place (the
    server's to know), not by a tag nor by the coarser place others see."""
    districts = DistrictPart.objects.filter(geometry__intersects=project.location).values("district_id")
    layers = District.objects.filter(pk__in=districts).values("layer_id")
    return FundingPool.objects.filter(active=True).filter(Q(district__in=districts) | Q(layer__in=layers))


def pools_top_up(*, pledge: Pledge, project: Project) -> list[PoolTopUp]:
    """Top up an accepted money pledge from every pool covering the project, within the pool's ratio,
    its cap per project, what is left of it, and what the project still lacks of its goal. Never for
    a pledge between two ends of one side (`same_side`): nothing changed hands."""
    top_ups = []
    if same_side(pledge.offer, pledge.need):
        return top_ups
    for pool in pools_for(project).select_for_update().order_by("id"):
        spent = pool.top_ups.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        for_project = pool.top_ups.filter(project=project).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        amount = min(pledge.quantity * pool.ratio, pool.cap_per_project - for_project, pool.total - spent)
        if project.funding_goal is not None:
            amount = min(amount, project.funding_goal - funding_raised(project))
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if amount > 0:
            top_ups.append(PoolTopUp.objects.create(pool=pool, project=project, pledge=pledge, amount=amount))
    return top_ups


def funding_raised(project: Project) -> Decimal:
    """Committed money pledges to the project's needs plus pool top-ups."""
    pledged = Pledge.objects.filter(
        need__project=project, need__kind=HelpKind.MONEY, status__in=Pledge.COMMITTED
    ).aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    topped = project.top_ups.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return pledged + topped


@transaction.atomic
def pool_create(*, user, partner: Organisation, **fields: Any) -> FundingPool:
    """A partner's pool over a district or a layer."""
    if partner.kind != Organisation.Kind.PARTNER:
        raise bad_input(f"{partner.name} is not a partner organisation")
    _check_organisation(user, partner)
    return _clean_and_save(FundingPool(partner=partner, **fields))
