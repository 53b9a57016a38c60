"""Global ids (Relay) in arguments: the object they name, or a clear error."""

import strawberry
from django.db.models import Model, QuerySet
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from geoschema.errors import bad_input, not_found


def object_from_id(global_id: relay.GlobalID, type_name: str, queryset: QuerySet, argument: str) -> Model:
    if global_id.type_name != type_name:
        raise bad_input(f"{argument} must be the id of {_a(type_name)}, got one of {_a(global_id.type_name)}")
    try:
        return queryset.get(pk=int(global_id.node_id))
    except (ValueError, queryset.model.DoesNotExist) as exc:
        raise not_found(f"{argument}: no {type_name} with id {global_id}") from exc


def _a(name: str) -> str:
    return f"{'an' if name[:1].upper() in 'AEIOU' else 'a'} {name}"


KEY_DIGITS_MAX = 19  # a bigint's; Python refuses to read integers past 4,300 digits


class NamesANode(FieldExtension):
    """`node(id:)`: an id that names no object the caller may see is a NOT_FOUND error (the node is
    null, as Relay clients expect, and the error says why): an unknown number, a row the caller
    may not see (the same answer: nothing tells that it exists), and an id that names no object of
    the API (an unknown type, a type that is not a Node, `Node` itself, a key that is not a number
    or longer than any primary key), which is never looked up."""

    def resolve(self, next_, source, info: strawberry.Info, **kwargs):
        global_id: relay.GlobalID = kwargs["id"]
        definition = info.schema.get_type_by_name(global_id.type_name)
        is_node = (
            isinstance(definition, StrawberryObjectDefinition)
            and not definition.is_interface
            and issubclass(definition.origin, relay.Node)
        )
        key = global_id.node_id
        valid = is_node and key.isascii() and key.isdigit() and len(key) <= KEY_DIGITS_MAX
        found = next_(source, info, **kwargs) if valid else None
        if found is None:
            shown = str(global_id) if len(str(global_id)) <= 100 else f"{str(global_id)[:100]}..."
            raise not_found(f"node: no object with the id {shown!r} that the caller may see")
        return found
