"""Reads on events: QuerySets the GraphQL optimizer can still shape."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from events.models import Event


def events(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    categories: list[str] | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Event]:
    """Events that overlap [start, end] (an open end never stops overlap; with neither end given,
    those not over yet), with any of `categories`, annotated with `registered`."""
    queryset = Event.objects.all()
    if start is None and end is None:
        start = timezone.now()
    if start is not None:
        queryset = queryset.filter(ends_at__gt=start)
    if end is not None:
        queryset = queryset.filter(starts_at__lt=end)
    if categories:
        queryset = queryset.filter(categories__overlap=categories)
    if not include_cancelled:
        queryset = queryset.filter(status=Event.Status.SCHEDULED)
    return queryset
