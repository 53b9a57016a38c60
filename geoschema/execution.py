"""How an operation is executed: graphql-core's executor, with two changes.

- A field whose resolver already built its whole answer as JSON (`compiled.Prebuilt`: compiled
  pages, matches) is passed on as it is, not completed field by field.
- A mutation runs in one transaction that also covers its answers: the services commit their
  writes on return, and the fields the client selects of the result are resolved after that. An
  error anywhere (a service, or a field of an answer) rolls every write of the operation back, so
  a mutation that fails writes nothing, and a client that retries after an error does not write
  twice. (The mutation fields are non-null: any error nulls the whole `data`, so a field written
  before the one that failed could not even be seen.) An operation with `login` at its root, or
  with fragments there, is a transaction per field instead: `login` keeps its failed attempts (the
  rate limit counts them), and a fragment could hide it.
"""

from django.db import transaction
from graphql import FieldNode, GraphQLError, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from geoschema.compiled import Prebuilt

# Mutations whose failure is itself recorded: `login` counts failed attempts (the rate limit).
RECORDS_FAILURES = frozenset({"login"})


class _Failed(Exception):
    """Raised inside a mutation's transaction to roll it back when its answer holds an error."""


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially=None):
        root = self.operation.selection_set.selections
        whole = self.operation.operation == OperationType.MUTATION and all(
            isinstance(field, FieldNode) and field.name.value not in RECORDS_FAILURES for field in root
        )
        if not whole:
            return super().execute_operation(serially)
        with transaction.atomic():
            result = super().execute_operation(serially)
            if result.errors:
                transaction.set_rollback(True)
        return result

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
