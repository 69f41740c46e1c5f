"""An upper bound on the upstream requests a query can make, checked before it runs.

Each connection is one upstream list request per parent object and multiplies what
is nested in it by its page size; `nodes(ids:)` costs one request per id;
objects by id and `CallbackSelection.callbacks` one per parent. A query whose
bound passes GATEWAY_MAX_UPSTREAM_REQUESTS is refused (QUERY_TOO_COMPLEX): one
nested query must not spend the organisation's upstream rate limit for everyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)

from gateway.errors import ErrorCode, GatewayError, too_complex

DEFAULT_PAGE = 20
SELECTION_ESTIMATE = 20  # callbacks assumed behind one CallbackSelection.callbacks
_BY_ID = {"node", "callbackDestination", "callback"}
_ITEMS = {"edges", "nodes"}  # the fields of a connection that hold its page of items

Composite = GraphQLObjectType | GraphQLInterfaceType


@dataclasses.dataclass
class RequestBudget:
    """Upstream requests one HTTP request may still spend: a batch shares one budget.

    Checked twice: the estimate before each operation runs (`spend`), and every real
    lookup as it happens (`use`), since some estimates (callbacks behind a selection)
    are guesses."""

    limit: int
    remaining: int
    used: int = 0

    def use(self) -> None:
        self.used += 1
        if self.used > self.limit:
            raise GatewayError(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"This request needed more than {self.limit} upstream requests and was stopped "
                "there. Ask for smaller pages or nest fewer connections.",
            )

    def spend(self, cost: int) -> None:
        if cost > self.remaining:
            shared = "" if self.remaining == self.limit else f" ({self.remaining} left of it)"
            raise too_complex(
                f"This operation could make up to {cost} upstream requests; the limit is "
                f"{self.limit} per HTTP request, batches included{shared}. Ask for smaller "
                "pages or nest fewer connections."
            )
        self.remaining -= cost


class UpstreamCost:
    """`total`: the bound for one operation. Fragments are costed once per (type, page)
    and reused, so the work is linear in the document, whatever its spreads."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        max_page: int = 100,
    ) -> None:
        self.schema = schema
        self.max_page = max_page
        self.fragments = fragments
        self.variables = _effective_variables(operation, variables or {})
        self._memo: dict[tuple[str, str, int], int] = {}
        root = schema.get_root_type(operation.operation)
        self.total = 0 if root is None else self._walk(operation.selection_set, root, 0, ())

    def _walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: Composite,
        page: int,
        seen: tuple[str, ...],
    ) -> int:
        """Upstream requests for one `parent` object with this selection."""
        if selection_set is None:
            return 0
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self._field(selection, parent, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value) if condition else parent
                cost += self._walk(selection.selection_set, target or parent, page, seen)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self._spread(selection.name.value, parent, page, seen)
        return cost

    def _spread(self, name: str, parent: Composite, page: int, seen: tuple[str, ...]) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:  # cycles are another rule's error
            return 0
        target = self._type(fragment.type_condition.name.value) or parent
        key = (name, target.name, page)
        if key not in self._memo:
            self._memo[key] = self._walk(fragment.selection_set, target, page, (*seen, name))
        return self._memo[key]

    def _field(self, node: FieldNode, parent: Composite, page: int, seen: tuple[str, ...]) -> int:
        name = node.name.value
        definition = parent.fields.get(name)
        if name.startswith("__") or definition is None:
            return 0
        child = get_named_type(definition.type)
        own, multiplier = 0, 1
        root = parent is self.schema.query_type
        if child.name.endswith("Connection"):
            own, page = 1, self._page_size(node)
        elif name in _ITEMS and parent.name.endswith("Connection"):
            multiplier = page
        elif root and name == "nodes":
            own = multiplier = self._count(node, "ids")
        elif root and name in _BY_ID:
            own = 1
        elif parent.name == "CallbackSelection" and name == "callbacks":
            own, multiplier = 1, SELECTION_ESTIMATE
        elif parent is self.schema.mutation_type:
            own = 1
        if not isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
            return own
        return own + multiplier * self._walk(node.selection_set, child, page, seen)

    def _type(self, name: str) -> Composite | None:
        found = self.schema.get_type(name)
        return found if isinstance(found, GraphQLObjectType | GraphQLInterfaceType) else None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    return self.variables.get(argument.value.name.value)
                return value_from_ast_untyped(argument.value)
        return None

    # Values past the maximum are the resolver's BAD_USER_INPUT to report, not a cost.
    def _page_size(self, node: FieldNode) -> int:
        for name in ("first", "last"):
            value = _integer(self._argument(node, name))
            if value is not None:
                return min(max(value, 1), self.max_page)  # first: 0 still fetches one item
        return DEFAULT_PAGE

    def _count(self, node: FieldNode, name: str) -> int:
        value = self._argument(node, name)
        return min(len(value), self.max_page) if isinstance(value, list) else 1


def _effective_variables(
    operation: OperationDefinitionNode, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The variables as execution will see them: defaults where none was given."""
    values = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    values.update(given)
    return values


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # GraphQL Int accepts 100.0
        return int(value)
    return None
