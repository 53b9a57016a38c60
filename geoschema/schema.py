"""The schema root: composes each app's Query, with the API's limits and caches."""

from decimal import Decimal

import strawberry
from django.conf import settings
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from accounts.graphql.schema import Mutation as AccountsMutation
from accounts.graphql.schema import Query as AccountsQuery
from events.graphql.mutations import Mutation as EventsMutation
from events.graphql.schema import Query as EventsQuery
from feed.graphql.mutations import Mutation as FeedMutation
from feed.graphql.schema import Query as FeedQuery
from geoschema.execution import ExecutionContext
from geoschema.routers import PrimaryForMutations
from geoschema.scalars import DECIMAL_SCALAR, GEOJSON_SCALAR, GeoJSON
from matching.graphql.schema import Query as MatchingQuery
from offers.graphql.mutations import Mutation as OffersMutation
from offers.graphql.schema import Query as OffersQuery
from offers.graphql.stats import Query as StatsQuery
from places.graphql.mutations import Mutation as PlacesMutation
from places.graphql.schema import Query as PlacesQuery

Query = merge_types(
    "Query", (PlacesQuery, OffersQuery, StatsQuery, MatchingQuery, EventsQuery, FeedQuery, AccountsQuery)
)
Mutation = merge_types("Mutation", (AccountsMutation, OffersMutation, PlacesMutation, EventsMutation, FeedMutation))


class OneOperationOrItsName(SchemaExtension):
    """A document of several operations needs `operationName` (the GraphQL spec's GetOperation):
    Strawberry would run the first."""

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)] if document else []
        if context._provided_operation_name is None and len(operations) > 1:  # noqa: SLF001 - not public
            error = GraphQLError("Must provide operation name if query contains multiple operations.")
            context.result = ExecutionResult(data=None, errors=[error])  # taken as the answer: nothing runs
        yield


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Client errors are the client's to read; unexpected ones are logged by geoschema.errors."""


limits = settings.QUARTIER
# The limiters' validation rules are built once: the validation cache keys on the rule classes,
# so rules made afresh for each request would never hit it.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=limits["MAX_QUERY_DEPTH"]).validation_rules,
    *MaxAliasesLimiter(max_alias_count=limits["MAX_ALIASES"]).validation_rules,
]
schema = Schema(
    query=Query,
    mutation=Mutation,
    execution_context_class=ExecutionContext,
    config=StrawberryConfig(
        relay_max_results=limits["PAGE_SIZE_MAX"], scalar_map={GeoJSON: GEOJSON_SCALAR, Decimal: DECIMAL_SCALAR}
    ),
    extensions=[
        DjangoOptimizerExtension,
        OneOperationOrItsName,
        PrimaryForMutations,
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=limits["MAX_TOKENS"]),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
