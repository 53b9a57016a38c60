"""GraphQL types of matching."""

from decimal import Decimal

import orjson
import strawberry

from geoschema import compiled
from matching.selectors import Match
from offers.graphql.types import NeedType, OfferType
from offers.models import Need, Offer


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
    def from_match(cls, match: Match) -> "MatchType":
        """A match as found: between the places the caller may see (matching.selectors)."""
        return cls(
            offer=match.offer,
            need=match.need,
            score=match.score.value,
            distance_meters=match.distance_m,
            reasons=[MatchReasonType(name=r.name, value=r.value, weight=r.weight) for r in match.score.reasons],
        )

    @classmethod
    def answer(cls, matches: list[Match], info: strawberry.Info) -> "list[MatchType] | compiled.Prebuilt":
        """`matches` as the field that `info` resolves selects them: built as JSON at once when the
        selection is plain (the score, the distance, the reasons, and of the offer and the need
        their columns, ids and places: geoschema.compiled.objects), through the typed path
        otherwise. The same answer either way (tests/api/test_compiled_matches.py). The offers and
        needs are read in one query each, where the typed path reads what the candidate search
        left out (a `description`) once per match: ten matches with descriptions 40 -> 21 ms, and
        no GraphQL resolution of each value (22.4 -> 21.0 ms without; 100,000 offers)."""
        return _prebuilt(matches, info) or [cls.from_match(m) for m in matches]


def _prebuilt(matches: list[Match], info: strawberry.Info) -> compiled.Prebuilt | None:
    request = info.context.request
    found = compiled.selected(info.selected_fields[0], info._raw_info.return_type)
    if found is None:
        return None
    fields, match_type = found
    dumps = compiled.dumps
    reason_fields, reason_typename, nodes = [], None, {}
    for field in fields:
        if field.name == "reasons":
            reasons = compiled.selected(field, match_type.fields["reasons"].type)
            if reasons is None:
                return None
            reason_fields, reason_typename = reasons[0], dumps(reasons[1].name)
        elif field.name in ("offer", "need"):
            model = Offer if field.name == "offer" else Need
            pks = [getattr(m, field.name).pk for m in matches]
            nodes[field.name] = compiled.objects(field, match_type.fields[field.name].type, model, pks, request)
            if nodes[field.name] is None or set(pks) - nodes[field.name].keys():
                return None  # not plain, or a row gone meanwhile: the typed path shows what was found
    answers = []
    for match in matches:
        reasons = [
            compiled.json_object(
                reason_fields,
                {
                    "name": dumps(r.name),
                    "value": dumps(float(r.value)),
                    "weight": dumps(float(r.weight)),
                    "__typename": reason_typename,
                },
            )
            for r in match.score.reasons
        ]
        values = {
            "score": dumps(float(match.score.value)),
            "distanceMeters": dumps(float(match.distance_m)),
            "reasons": f"[{','.join(reasons)}]",
            "offer": nodes.get("offer", {}).get(match.offer.pk),
            "need": nodes.get("need", {}).get(match.need.pk),
            "__typename": dumps(match_type.name),
        }
        answers.append(compiled.json_object(fields, values))
    return compiled.Prebuilt(orjson.Fragment(f"[{','.join(answers)}]"))


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
