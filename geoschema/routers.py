"""Reads from streaming replicas, writes to the primary (`DATABASE_REPLICA_URLS`).

Only the API's reads go to a replica, and only when that is safe:
- a request to /graphql, /exports/ or /tiles/ reads from a replica (`ReplicaReadsMiddleware`);
- a GraphQL mutation runs wholly on the primary, its reads included (`PrimaryForMutations`): what
  it checks and locks is what it writes;
- a client that has just written reads from the primary for `READ_YOUR_WRITES_SECONDS`, so it
  always sees its own writes although replicas lag. The time of its last write is kept on its
  bearer token's row, in the primary: the API servers stay stateless.
Everything else (the admin, management commands, migrations) uses the primary only. Without
replicas, everything uses the primary, as before.
"""

import random
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from accounts.middleware import API_PREFIXES, bearer_token

_reads = ContextVar("quartier_reads", default="default")


def replicas() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class PrimaryReplicaRouter:
    """Reads where the request allows (a replica, or the primary); writes to the primary."""

    def db_for_read(self, model, **hints) -> str:
        return _reads.get()

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, first, second, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, **hints) -> bool:
        return db == "default"


def _wrote_recently(raw_token: str) -> bool:
    from accounts.models import ApiToken
    from accounts.services import token_hash

    since = timezone.now() - timedelta(seconds=settings.QUARTIER["READ_YOUR_WRITES_SECONDS"])
    return ApiToken.objects.using("default").filter(key_hash=token_hash(raw_token), last_write_at__gte=since).exists()


class ReplicaReadsMiddleware:
    """Lets an API request read from a replica, unless its client wrote within the last seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        choices = replicas()
        if not choices or not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        raw = bearer_token(request)
        alias = "default" if raw and _wrote_recently(raw) else random.choice(choices)
        reset = _reads.set(alias)
        try:
            return self.get_response(request)
        finally:
            _reads.reset(reset)


class PrimaryForMutations(SchemaExtension):
    """A mutation reads and writes on the primary, and marks its client's token as having written."""

    def on_execute(self):
        if self.execution_context.operation_type != OperationType.MUTATION:
            yield
            return
        reset = _reads.set("default")
        try:
            yield
        finally:
            _reads.reset(reset)
            request = self.execution_context.context.request
            raw = bearer_token(request)
            if raw and replicas():
                from accounts.models import ApiToken
                from accounts.services import token_hash

                ApiToken.objects.filter(key_hash=token_hash(raw)).update(last_write_at=timezone.now())
