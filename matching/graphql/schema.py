"""Query fields of matching: matches for a need, matches for an offer."""

import strawberry
from strawberry import relay

from geoschema.errors import bad_input, limit_exceeded
from geoschema.ids import object_from_id
from matching import selectors
from matching.graphql.types import MatchType
from offers.models import Need, Offer

MAX_MATCHES = 100


def _check_first(first: int) -> None:
    if first < 0:
        raise bad_input(f"'first' must be 0 or more, got {first}")
    if first > MAX_MATCHES:
        raise limit_exceeded(f"'first' is at most {MAX_MATCHES}, got {first}")


@strawberry.type
class Query:
    @strawberry.field(description="Offers that can serve a need, best first.")
    def matches(self, need_id: relay.GlobalID, first: int = 10) -> list[MatchType]:
        _check_first(first)
        need = object_from_id(need_id, "Need", Need.objects.all(), "needId")
        return [MatchType.from_match(m) for m in selectors.matches_for_need(need, first=first)]

    @strawberry.field(description="Needs that an offer can serve, best first.")
    def matches_for_offer(self, offer_id: relay.GlobalID, first: int = 10) -> list[MatchType]:
        _check_first(first)
        offer = object_from_id(offer_id, "Offer", Offer.objects.all(), "offerId")
        return [MatchType.from_match(m) for m in selectors.matches_for_offer(offer, first=first)]
