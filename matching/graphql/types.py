"""GraphQL types of matching."""

from decimal import Decimal

import strawberry

from accounts.permissions import sees_exact_location, shown_distance
from matching.selectors import Match
from offers.graphql.types import NeedType, OfferType


@strawberry.type(name="MatchReason", description="One part of a match's score.")
class MatchReasonType:
    name: str = strawberry.field(description="distance, categories, time, capacity or recency")
    value: float = strawberry.field(description="How well this part fits, 0..1.")
    weight: float = strawberry.field(description="Its share of the score.")


@strawberry.type(name="Match", description="An offer that can serve a need, and how well.")
class MatchType:
    offer: OfferType
    need: NeedType
    score: float = strawberry.field(description="0..1, the weighted sum of the reasons.")
    distance_meters: float
    reasons: list[MatchReasonType]

    @classmethod
    def from_match(cls, match: Match, request) -> "MatchType":
        """As the caller of `request` may see it: the distance is rounded unless both places are
        exactly visible to them."""
        distance = match.distance_m
        if not sees_exact_location(request, match.need):
            distance = shown_distance(request, match.need, distance)
        return cls(
            offer=match.offer,
            need=match.need,
            score=match.score.value,
            distance_meters=shown_distance(request, match.offer, distance),
            reasons=[MatchReasonType(name=r.name, value=r.value, weight=r.weight) for r in match.score.reasons],
        )


@strawberry.type(name="NeedMatches", description="A project's need and the offers that can serve it.")
class NeedMatchesType:
    need: NeedType
    matches: list[MatchType]


@strawberry.type(name="ProposedPledge", description="One pledge of a suggested allocation.")
class ProposedPledgeType:
    offer: OfferType
    need: NeedType
    quantity: Decimal
    score: float


@strawberry.type(name="Allocation", description="Pledges that together cover as much of an area's needs as possible.")
class AllocationType:
    proposals: list[ProposedPledgeType]
    needs_covered: int = strawberry.field(description="How many needs get at least part of what they ask.")
    units_allocated: Decimal
