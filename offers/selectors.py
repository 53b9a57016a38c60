"""Reads on offers, needs and projects: QuerySets the GraphQL optimizer can still shape."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from offers.models import HelpKind, Need, Offer, Pledge, Project


def _exchange_filter(
    queryset: QuerySet,
    *,
    kinds: list[str] | None,
    categories: list[str] | None,
    available_from: datetime | None,
    available_until: datetime | None,
) -> QuerySet:
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    if categories:
        queryset = queryset.filter(categories__overlap=categories)
    # Windows overlap when each starts before the other ends; an open end never stops overlap.
    if available_until is not None:
        queryset = queryset.filter(Q(available_from__isnull=True) | Q(available_from__lte=available_until))
    if available_from is not None:
        queryset = queryset.filter(Q(available_until__isnull=True) | Q(available_until__gte=available_from))
    return queryset


def offers(
    *,
    kinds: list[str] | None = None,
    categories: list[str] | None = None,
    available_from: datetime | None = None,
    available_until: datetime | None = None,
) -> QuerySet[Offer]:
    """Offers of these kinds, with any of these categories, available at some time in the window."""
    return _exchange_filter(
        Offer.objects.all(),
        kinds=kinds,
        categories=categories,
        available_from=available_from,
        available_until=available_until,
    )


def needs(
    *,
    kinds: list[str] | None = None,
    categories: list[str] | None = None,
    available_from: datetime | None = None,
    available_until: datetime | None = None,
) -> QuerySet[Need]:
    """Needs of these kinds, with any of these categories, whose window meets the given one."""
    return _exchange_filter(
        Need.objects.all(),
        kinds=kinds,
        categories=categories,
        available_from=available_from,
        available_until=available_until,
    )


def projects(*, statuses: list[str] | None = None) -> QuerySet[Project]:
    """Community projects, optionally of some statuses."""
    queryset = Project.objects.all()
    return queryset.filter(status__in=statuses) if statuses else queryset


@dataclass(frozen=True)
class Funding:
    goal: Decimal | None
    pledged: Decimal
    received: Decimal
    topped_up: Decimal
    backers: int

    @property
    def raised(self) -> Decimal:
        return self.pledged + self.topped_up


def project_funding(project: Project) -> Funding:
    """Money pledged (accepted or fulfilled) and received (fulfilled) for a project's needs, pool
    top-ups, and how many distinct people or organisations back it."""
    money = Pledge.objects.filter(need__project=project, need__kind=HelpKind.MONEY, status__in=Pledge.COMMITTED)
    figures = money.aggregate(
        pledged=Coalesce(Sum("quantity"), Decimal(0)),
        received=Coalesce(Sum("quantity", filter=Q(status=Pledge.Status.FULFILLED)), Decimal(0)),
    )
    backers = {(p.offer.owner_id, p.offer.organisation_id) for p in money.select_related("offer")}
    topped = project.top_ups.aggregate(total=Coalesce(Sum("amount"), Decimal(0)))["total"]
    return Funding(project.funding_goal, figures["pledged"], figures["received"], topped, len(backers))
