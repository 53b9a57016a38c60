"""Global ids (Relay) in arguments: the object they name, or a clear error."""

from django.db.models import Model, QuerySet
from strawberry import relay

from geoschema.errors import bad_input, not_found


def object_from_id(global_id: relay.GlobalID, type_name: str, queryset: QuerySet, argument: str) -> Model:
    if global_id.type_name != type_name:
        raise bad_input(f"{argument} must be the id of a {type_name}, got one of a {global_id.type_name}")
    try:
        return queryset.get(pk=int(global_id.node_id))
    except (ValueError, queryset.model.DoesNotExist) as exc:
        raise not_found(f"{argument}: no {type_name} with id {global_id}") from exc
