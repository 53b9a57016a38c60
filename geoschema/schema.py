"""The schema root: composes each app's Query, with the API's limits and caches."""

from datetime import datetime
from decimal import Decimal

import strawberry
from django.conf import settings
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    OperationDefinitionNode,
    get_nullable_type,
    get_operation_ast,
    type_from_ast,
)
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
from geoschema.errors import limit_exceeded
from geoschema.execution import ExecutionContext
from geoschema.routers import PrimaryForMutations
from geoschema.scalars import DATETIME_SCALAR, DECIMAL_SCALAR, GEOJSON_SCALAR, GeoJSON
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


class SelectionSetsSelectSomething(SchemaExtension):
    """A selection set selects at least one field (`SelectionSet : { Selection+ }`, the GraphQL
    spec of October 2021): graphql-core 3.3 reads `{ me {} }` unless told not to, and Strawberry's
    depth limiter then failed on it (INTERNAL). Here it is the syntax error it is."""

    def on_operation(self):
        self.execution_context.parse_options["allow_empty_selection_sets"] = False
        yield


class ListsAreBounded(SchemaExtension):
    """A list argument holds at most QUARTIER["MAX_LIST_ITEMS"] items (categories, kinds, statuses,
    days): a variable of 50,000 categories held a worker for 25 s. Checked on the variables as sent,
    by their declared types, before graphql-core reads them item by item; a list written in the
    query itself is bounded by its tokens. GeoJSON's coordinates are a scalar's, not a list argument."""

    def on_execute(self):
        context = self.execution_context
        # None when there is no operation to run by that name: graphql-core then says why.
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        variables = context.variables or {}
        for definition in (operation.variable_definitions or ()) if operation else ():
            name = definition.variable.name.value
            graphql_type = type_from_ast(context.schema._schema, definition.type)
            if name in variables and graphql_type is not None:
                problem = _longer_list(variables[name], graphql_type, f"${name}")
                if problem:
                    error = GraphQLError(problem, original_error=limit_exceeded(problem))
                    context.result = ExecutionResult(data=None, errors=[error])  # taken as the answer
                    break
        yield


def _longer_list(value, graphql_type, where: str) -> str | None:
    """Where `value`, of `graphql_type`, holds a list longer than the bound, and by how much."""
    graphql_type = get_nullable_type(graphql_type)
    if isinstance(graphql_type, GraphQLList) and isinstance(value, list):
        bound = limits["MAX_LIST_ITEMS"]
        if len(value) > bound:
            return f"{where} holds {len(value):,} items; a list argument takes at most {bound}"
        found = (_longer_list(item, graphql_type.of_type, f"{where}[{i}]") for i, item in enumerate(value))
        return next((problem for problem in found if problem), None)
    if isinstance(graphql_type, GraphQLInputObjectType) and isinstance(value, dict):
        fields = graphql_type.fields
        found = (_longer_list(v, fields[k].type, f"{where}.{k}") for k, v in value.items() if k in fields)
        return next((problem for problem in found if problem), None)
    return None


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
        relay_max_results=limits["PAGE_SIZE_MAX"],
        scalar_map={GeoJSON: GEOJSON_SCALAR, Decimal: DECIMAL_SCALAR, datetime: DATETIME_SCALAR},
    ),
    extensions=[
        DjangoOptimizerExtension,
        OneOperationOrItsName,
        PrimaryForMutations,
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=limits["MAX_TOKENS"]),
        SelectionSetsSelectSomething,
        ListsAreBounded,
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
