"""suggestAllocation: for all open needs and offers of an area, the assignment that covers as much
as possible of the needs, and among those the best-scoring, without exceeding any capacity.

It is a transportation problem solved as a min-cost flow (networkx): source -> offer (capacity:
what remains of it) -> need (one edge per candidate pair, cost: minus the match score) -> sink
(capacity: what remains of the need). `max_flow_min_cost` first maximises what flows, then
minimises the cost, so coverage comes first and score breaks ties. Quantities are whole units
(an uncounted offer or need counts as one unit); each need considers its 25 nearest candidates.
The scores, and so the pledges proposed, come from the places the caller may see (matching.selectors).
"""

import math
from dataclasses import dataclass
from decimal import Decimal

import networkx as nx
from django.db.models import QuerySet
from django.utils import timezone

from matching.selectors import match_score, offers_for_need, open_with_remaining
from offers.models import Need, Offer
from offers.services import remaining

SCORE_SCALE = 1000  # networkx wants integer costs
# Each need considers its nearest candidates only: the flow stays small enough for a whole
# borough, and a far offer rarely beats twenty-five near ones.
CANDIDATES_PER_NEED = 25


@dataclass(frozen=True)
class Proposal:
    offer: Offer
    need: Need
    quantity: Decimal
    score: float


def units(thing: Offer | Need) -> int:
    """Whole units left of an offer or a need (its `remaining` annotation when it has one)."""
    left = thing.remaining if hasattr(thing, "remaining") else remaining(thing)
    return 1 if left is None else max(0, math.floor(left))


def suggest_allocation(*, needs: QuerySet[Need], offers: QuerySet[Offer], request) -> list[Proposal]:
    """Proposed pledges between `offers` and `needs` (both already restricted to an area), matched
    as the caller of `request` may see them."""
    now = timezone.now()
    allowed = set(offers.filter(status=Offer.Status.OPEN).values_list("pk", flat=True))
    graph = nx.DiGraph()
    by_key: dict[str, Offer | Need] = {}
    scores: dict[tuple[str, str], float] = {}
    for need in open_with_remaining(needs, Need.Status.OPEN, "need"):
        need_units = units(need)
        if need_units == 0:
            continue
        need_key = f"n{need.pk}"
        for offer in offers_for_need(need, request=request, limit=CANDIDATES_PER_NEED):
            if offer.pk not in allowed:
                continue
            offer_key = f"o{offer.pk}"
            if offer_key not in by_key:
                by_key[offer_key] = offer
                graph.add_edge("source", offer_key, capacity=units(offer), weight=0)
            match = match_score(offer, need, offer.distance_meters, now)
            scores[(offer_key, need_key)] = match.value
            graph.add_edge(offer_key, need_key, capacity=need_units, weight=-round(match.value * SCORE_SCALE))
        if graph.has_node(need_key):
            by_key[need_key] = need
            graph.add_edge(need_key, "sink", capacity=need_units, weight=0)
    if not graph.has_node("sink"):
        return []
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    proposals = [
        Proposal(by_key[offer_key], by_key[need_key], Decimal(quantity), scores[(offer_key, need_key)])
        for offer_key, targets in flow.items()
        if offer_key.startswith("o")
        for need_key, quantity in targets.items()
        if quantity > 0
    ]
    return sorted(proposals, key=lambda p: (-p.score, p.need.pk, p.offer.pk))
