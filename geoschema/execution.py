"""How an operation is executed: graphql-core's executor, with two changes.

- A field whose resolver already built its whole answer as JSON (`compiled.Prebuilt`: compiled
  pages, matches) is passed on as it is, not completed field by field.
- A mutation runs in one transaction that also covers its answers: the services commit their
  writes on return, and the fields the client selects of the result are resolved after that. An
  error anywhere (a service, or a field of an answer) rolls every write of the operation back, so
  a mutation that fails writes nothing, and a client that retries after an error does not write
  twice. (The mutation fields are non-null: any error nulls the whole `data`, so a field written
  before the one that failed could not even be seen.)
- `login` is alone in its operation. It keeps its failed attempts (the rate limit counts them), so
  it cannot share the operation's transaction; beside another field its failure would null the
  whole `data` and hide what that field committed (a client retrying would write it twice). An
  operation with `login` and any other root field, however reached (fragments at the root,
  aliases), is refused with BAD_INPUT before anything runs; `login` alone runs without the
  operation's transaction, and records its attempt whatever the outcome.
"""

from django.db import transaction
from graphql import GraphQLError, OperationType
from graphql.execution.collect_fields import collect_fields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from geoschema.compiled import Prebuilt
from geoschema.errors import bad_input

# Mutations whose failure is itself recorded: `login` counts failed attempts (the rate limit).
RECORDS_FAILURES = frozenset({"login"})


class _Failed(Exception):
    """Raised inside a mutation's transaction to roll it back when its answer holds an error."""


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially=None):
        if self.operation.operation != OperationType.MUTATION:
            return super().execute_operation(serially)
        names = self._root_field_names()
        if names is None:  # the root cannot be read (nested too deeply): the executor says why
            return super().execute_operation(serially)
        if RECORDS_FAILURES & set(names):
            if len(names) > 1:
                message = (
                    f"login must be alone in its operation (this one also has {len(names) - 1} other "
                    "root field(s)): send it by itself, then the rest with the token it returns"
                )
                refused = GraphQLError(message, self.operation, original_error=bad_input(message))
                self.collected_errors.add(refused, None)
                return self.build_response(None)
            return super().execute_operation(serially)
        with transaction.atomic():
            result = super().execute_operation(serially)
            if result.errors:
                transaction.set_rollback(True)
        return result

    def _root_field_names(self) -> list[str] | None:
        """The names of the fields that the operation runs at its root, once its fragments are
        spread and its @skip/@include applied (one per response key, introspection aside); None
        when they cannot be collected."""
        root_type = self.schema.get_root_type(self.operation.operation)
        try:
            collected = collect_fields(self.schema, self.fragments, self.variable_values, root_type, self.operation)
        except (GraphQLError, RecursionError):
            return None
        names = [details[0].node.name.value for details in collected.grouped_field_set.values()]
        return [name for name in names if not name.startswith("__")]  # __typename runs nothing

    def complete_value(self, return_type, field_details_list, info, path, result, position_context):
        if isinstance(result, Prebuilt):
            return result.json
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        name = field_details_list[0].node.name.value
        if parent_type is not self.schema.mutation_type or name in RECORDS_FAILURES:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        errors = len(self.collected_errors.errors)
        try:
            with transaction.atomic():
                answer = super().execute_field(parent_type, source, field_details_list, path, position_context)
                if len(self.collected_errors.errors) > errors:
                    raise _Failed
                return answer
        except _Failed:
            pass
        if answer is None:
            return None  # the service itself failed: its error says why, and nothing was written
        # A field of the answer failed after the write: the whole field answers null (the
        # shown answer would describe what is not there), with the reason.
        failed = GraphQLError(f"{name} wrote nothing: a field of its answer failed (see the other errors)")
        self.handle_field_error(failed, self.schema.mutation_type.fields[name].type, field_details_list, path)
        return None
