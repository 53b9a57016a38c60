"""Query fields of matching: matches for a need, matches for an offer."""

from decimal import Decimal

import strawberry
from strawberry import relay

from accounts.permissions import only_visible, seen_communities, visible_layers
from geoschema.errors import bad_input, limit_exceeded
from geoschema.ids import object_from_id
from matching import selectors
from matching.allocation import suggest_allocation
from matching.graphql.types import AllocationType, MatchType, NeedMatchesType, ProposedPledgeType
from offers.models import Need, Offer, Project
from places.graphql.inputs import district_from_id
from places.graphql.schema import layer_or_error

MAX_MATCHES = 100


def _check_first(first: int) -> None:
    if first < 0:
        raise bad_input(f"'first' must be 0 or more, got {first}")
    if first > MAX_MATCHES:
        raise limit_exceeded(f"'first' is at most {MAX_MATCHES}, got {first}")


@strawberry.type
class Query:
    @strawberry.field(description="Offers that can serve a need, best first.")
    def matches(self, info: strawberry.Info, need_id: relay.GlobalID, first: int = 10) -> list[MatchType]:
        _check_first(first)
        request = info.context.request
        need = object_from_id(need_id, "Need", only_visible(Need.objects.all(), request), "needId")
        return MatchType.answer(selectors.matches_for_need(need, request=request, first=first), info)

    @strawberry.field(description="Needs that an offer can serve, best first.")
    def matches_for_offer(self, info: strawberry.Info, offer_id: relay.GlobalID, first: int = 10) -> list[MatchType]:
        _check_first(first)
        request = info.context.request
        offer = object_from_id(offer_id, "Offer", only_visible(Offer.objects.all(), request), "offerId")
        matches = selectors.matches_for_offer(offer, request=request, first=first, seen=seen_communities(request))
        return MatchType.answer(matches, info)

    @strawberry.field(description="For each open need of a project, the offers that can serve it.")
    def project_matches(
        self, info: strawberry.Info, project_id: relay.GlobalID, first: int = 5
    ) -> list[NeedMatchesType]:
        _check_first(first)
        request = info.context.request
        project = object_from_id(project_id, "Project", only_visible(Project.objects.all(), request), "projectId")
        return [
            NeedMatchesType(
                need=need,
                matches=[
                    MatchType.from_match(m) for m in selectors.matches_for_need(need, request=request, first=first)
                ],
            )
            for need in project.needs.filter(status=Need.Status.OPEN).order_by("id")
        ]

    @strawberry.field(
        description="Pledges that cover as much as possible of the open needs of an area, best-scoring among "
        "equals, within every capacity: a min-cost flow over the candidate matches."
    )
    def suggest_allocation(
        self, info: strawberry.Info, district_id: relay.GlobalID | None = None, layer: str | None = None
    ) -> AllocationType:
        if (district_id is None) == (layer is None):
            raise bad_input("give either districtId or layer: the area to allocate in")
        if district_id is not None:
            visible = visible_layers(info.context.request.user)
            district = district_from_id(district_id, "districtId", visible)
            area = {"districts": district}
        else:
            area = {"districts__layer": layer_or_error(info, layer)}
        request = info.context.request
        proposals = suggest_allocation(
            needs=only_visible(Need.objects.filter(**area), request).distinct(),
            offers=only_visible(Offer.objects.filter(**area), request).distinct(),
            request=request,
        )
        return AllocationType(
            proposals=[
                ProposedPledgeType(offer=p.offer, need=p.need, quantity=p.quantity, score=p.score) for p in proposals
            ],
            needs_covered=len({p.need.pk for p in proposals}),
            units_allocated=sum((p.quantity for p in proposals), Decimal(0)),
        )
