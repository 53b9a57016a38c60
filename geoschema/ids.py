"""Global ids (Relay) in arguments: the object they name, or a clear error."""

import strawberry
from django.db.models import Model, QuerySet
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from geoschema.errors import bad_input, not_found


def object_from_id(global_id: relay.GlobalID, type_name: str, queryset: QuerySet, argument: str) -> Model:
    if global_id.type_name != type_name:
        raise bad_input(f"{argument} must be the id of a {type_name}, got one of a {global_id.type_name}")
    try:
        return queryset.get(pk=int(global_id.node_id))
    except (ValueError, queryset.model.DoesNotExist) as exc:
        raise not_found(f"{argument}: no {type_name} with id {global_id}") from exc


KEY_DIGITS_MAX = 19  # a bigint's; Python refuses to read integers past 4,300 digits


class NamesANode(FieldExtension):
    """`node(id:)`: an id that names no object of the API (an unknown type, a type that is not a
    Node, `Node` itself, a key that is not a number or longer than any primary key) finds nothing,
    as an unknown number does, instead of failing in the lookup."""

    def resolve(self, next_, source, info: strawberry.Info, **kwargs):
        global_id: relay.GlobalID = kwargs["id"]
        definition = info.schema.get_type_by_name(global_id.type_name)
        is_node = (
            isinstance(definition, StrawberryObjectDefinition)
            and not definition.is_interface
            and issubclass(definition.origin, relay.Node)
        )
        key = global_id.node_id
        if not is_node or not key.isascii() or not key.isdigit() or len(key) > KEY_DIGITS_MAX:
            return None
        return next_(source, info, **kwargs)
