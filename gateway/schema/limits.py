"""Query limits: depth, aliases and tokens, refused before any upstream call.

The validation rules are built once per schema (not per request), so that
strawberry's ValidationCache, keyed by (schema, document, rules), actually hits.

Usage::

    rules = limit_rules(max_depth=10, max_aliases=30, introspection=True)
    Schema(..., extensions=[lambda: QueryLimits(rules, max_tokens=2000)])
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sized
from typing import Any, Protocol, runtime_checkable

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    get_operation_ast,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from gateway.errors import too_complex
from gateway.schema.cost import RequestBudget, UpstreamCost

Rules = tuple[type[ASTValidationRule], ...]


def limit_rules(*, max_depth: int, max_aliases: int, introspection: bool) -> Rules:
    rules: list[type[ASTValidationRule]] = [_depth_rule(max_depth), _alias_rule(max_aliases)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class QueryLimits(SchemaExtension):
    def __init__(
        self,
        rules: Rules,
        *,
        max_tokens: int,
        cost_schema: GraphQLSchema,
        max_upstream_requests: int,
        max_page_size: int,
        max_result_items: int | None = None,
    ) -> None:
        self.max_result_items = max_result_items
        self.max_page_size = max_page_size
        self.rules = rules
        self.max_tokens = max_tokens
        self.cost_schema = cost_schema
        self.max_upstream_requests = max_upstream_requests

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = context.validation_rules + self.rules
        # graphql-core stops lexing past this many tokens (see errors.LEXER_LIMIT_MESSAGE)
        context.parse_options["max_tokens"] = self.max_tokens
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        # After validation, with the variables known: refuse before any upstream call
        # (but the instance's callbacks list, when the worst case would not fit).
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            variables = context.variables
            cost = UpstreamCost(
                self.cost_schema, operation, fragments, variables, self.max_page_size
            )
            budget = getattr(context.context, "budget", None)
            if not isinstance(budget, RequestBudget):  # a caller without an HTTP request
                budget = RequestBudget.of(self.max_upstream_requests, self.max_result_items)
            if cost.walks_callbacks and not budget.fits(cost.total, cost.items):
                # The worst case (every selection holds the most callbacks a walk reads) does
                # not fit: read the shared, cached list now and count what it really holds.
                count = await _callbacks_of_instance(context.context)
                if count is not None:
                    cost = UpstreamCost(
                        self.cost_schema,
                        operation,
                        fragments,
                        variables,
                        self.max_page_size,
                        callbacks_per_selection=count,
                    )
            budget.spend(cost.total)
            budget.spend_items(cost.items)
        yield


@runtime_checkable
class _WalksCallbacks(Protocol):
    async def all_callbacks(self) -> Sized: ...


async def _callbacks_of_instance(context: object) -> int | None:
    """How many callbacks the instance has (as Context.all_callbacks reads them, once per
    request and cached), or None without a context that can tell. Its failure (no
    credential, upstream down) is the operation's error: the query needs that list."""
    if not isinstance(context, _WalksCallbacks):
        return None
    return len(await context.all_callbacks())


def _depth_rule(max_depth: int) -> type[ASTValidationRule]:
    class MaxDepthRule(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                f.name.value: f
                for f in self.context.document.definitions
                if isinstance(f, FragmentDefinitionNode)
            }
            depth = _depth(node.selection_set, fragments, {})
            if depth > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    too_complex(
                        f"Operation '{name}' is {depth} levels deep; the limit is {max_depth}."
                    )
                )

    return MaxDepthRule


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, int],
    visiting: frozenset[str] = frozenset(),
) -> int:
    """Deepest field nesting; each fragment's depth is computed once (`memo`), so
    spreads repeated at every level cost linear, not exponential, time."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection is bounded by the schema itself
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, memo, visiting))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, memo, visiting))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if name not in memo and fragment is not None and name not in visiting:
                # (cycles are another rule's error)
                memo[name] = _depth(fragment.selection_set, fragments, memo, visiting | {name})
            deepest = max(deepest, memo.get(name, 0))
    return deepest


def _alias_rule(max_aliases: int) -> type[ASTValidationRule]:
    class MaxAliasesRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1
                if self.count == max_aliases + 1:
                    self.report_error(
                        too_complex(f"The document uses more than {max_aliases} aliases.")
                    )

    return MaxAliasesRule
