"""Upper bounds on what a query can cost, checked before it runs: upstream requests,
and objects produced.

Requests: each connection is one upstream list request per parent object and
multiplies what is nested in it by its page size; `nodes(ids:)` costs one request
per id; objects by id one per parent. `CallbackSelection.callbacks` reads, for ALL,
every callback of the instance: one walk of up to CALLBACK_WALK_PAGES requests,
shared by the whole operation (the context fetches it once; over 2026-02-01 every
`CallbackDestination.callbacks` selection is read from it too), plus one lookup per
parent (the SELECTED ones, by id; real lookups past the estimate are stopped as they
happen), and multiplies what is nested in it by the callbacks it holds.

Items: every object a list produces, per parent: a connection's page, the ids of
`nodes`, and the callbacks behind each `CallbackSelection`: up to CALLBACK_WALK_ITEMS,
or, once the instance's callbacks have been read (QueryLimits reads them when the
worst case would not fit), their real number.
The answer's size follows the items, so they bound the memory and time an answer
takes to build and send.

A query whose bound passes GATEWAY_MAX_UPSTREAM_REQUESTS or GATEWAY_MAX_RESULT_ITEMS
is refused (QUERY_TOO_COMPLEX): one nested query must not spend the organisation's
upstream rate limit, or the gateway's memory, for everyone.
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
from gateway.upstream.api import MAX_CALLBACK_PAGES, MAX_EVENT_DELIVERIES, WALK_PAGE_SIZE

DEFAULT_PAGE = 20
# Context.all_callbacks reads at most this many pages of 100 (2,000 callbacks).
CALLBACK_WALK_PAGES = MAX_CALLBACK_PAGES
CALLBACK_WALK_ITEMS = CALLBACK_WALK_PAGES * WALK_PAGE_SIZE
_BY_ID = {"node", "callbackDestination", "callback"}
# Objects one lookup away from their parent (a DataLoader fetch by id each).
_LOOKUPS = {
    ("CallbackDelivery", "event"),
    ("CallbackDelivery", "destination"),
    ("CallbackEvent", "callback"),
}
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
    item_limit: int | None = None  # objects the answers may hold (None: unbounded)
    items_remaining: int = 0
    items_estimated: int = 0  # of the operation last checked

    @classmethod
    def of(cls, requests: int, items: int | None) -> RequestBudget:
        return cls(requests, requests, item_limit=items, items_remaining=items or 0)

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

    def fits(self, requests: int, items: int) -> bool:
        fits_items = self.item_limit is None or items <= self.items_remaining
        return requests <= self.remaining and fits_items

    def spend_items(self, items: int) -> None:
        self.items_estimated = items
        if self.item_limit is None:
            return
        if items > self.items_remaining:
            shared = "" if self.items_remaining == self.item_limit else " (batches share it)"
            raise too_complex(
                f"This operation could produce up to {items} objects; the limit is "
                f"{self.item_limit} per HTTP request{shared}. Ask for smaller pages or "
                "select fewer lists (`CallbackSelection.callbacks` can hold every callback "
                f"of the instance, up to {CALLBACK_WALK_ITEMS})."
            )
        self.items_remaining -= items


@dataclasses.dataclass
class _Cost:
    requests: int = 0
    items: int = 0

    def add(self, other: _Cost, times: int = 1) -> None:
        self.requests += other.requests * times
        self.items += other.items * times


class UpstreamCost:
    """`total` (upstream requests) and `items` (objects produced): the bounds for one
    operation. Fragments are costed once per (type, page) and reused, so the work is
    linear in the document, whatever its spreads."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        max_page: int = 100,
        callbacks_per_selection: int = CALLBACK_WALK_ITEMS,
    ) -> None:
        self.callbacks_per_selection = callbacks_per_selection
        self.schema = schema
        self.max_page = max_page
        self.fragments = fragments
        self.variables = _effective_variables(operation, variables or {})
        self._memo: dict[tuple[str, str, int], _Cost] = {}
        self.walks_callbacks = False
        root = schema.get_root_type(operation.operation)
        cost = _Cost() if root is None else self._walk(operation.selection_set, root, 0, ())
        pages = min(CALLBACK_WALK_PAGES, max(1, -(-callbacks_per_selection // WALK_PAGE_SIZE)))
        walk = pages if self.walks_callbacks else 0
        self.total = cost.requests + walk
        self.items = cost.items

    def _walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: Composite,
        page: int,
        seen: tuple[str, ...],
    ) -> _Cost:
        """Upstream requests and items for one `parent` object with this selection."""
        cost = _Cost()
        if selection_set is None:
            return cost
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost.add(self._field(selection, parent, page, seen))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value) if condition else parent
                cost.add(self._walk(selection.selection_set, target or parent, page, seen))
            elif isinstance(selection, FragmentSpreadNode):
                cost.add(self._spread(selection.name.value, parent, page, seen))
        return cost

    def _spread(self, name: str, parent: Composite, page: int, seen: tuple[str, ...]) -> _Cost:
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:  # cycles are another rule's error
            return _Cost()
        target = self._type(fragment.type_condition.name.value) or parent
        key = (name, target.name, page)
        if key not in self._memo:
            self._memo[key] = self._walk(fragment.selection_set, target, page, (*seen, name))
        return self._memo[key]

    def _field(self, node: FieldNode, parent: Composite, page: int, seen: tuple[str, ...]) -> _Cost:
        name = node.name.value
        definition = parent.fields.get(name)
        if name.startswith("__") or definition is None:
            return _Cost()
        child = get_named_type(definition.type)
        own, multiplier, listed = 0, 1, False
        root = parent is self.schema.query_type
        if child.name.endswith("Connection"):
            own, page = 1, self._page_size(node)
        elif name in _ITEMS and parent.name.endswith("Connection"):
            multiplier, listed = page, True
        elif root and name == "nodes":
            own = multiplier = self._count(node, "ids")
            listed = True
        elif (root and name in _BY_ID) or (parent.name, name) in _LOOKUPS:
            own = 1
        elif parent.name == "CallbackEvent" and name == "deliveries":
            own, multiplier, listed = 1, MAX_EVENT_DELIVERIES, True
        elif parent.name == "CallbackSelection" and name == "callbacks":
            self.walks_callbacks = True
            own, multiplier, listed = 1, self.callbacks_per_selection, True
        elif parent is self.schema.mutation_type:
            own = 1
        if child.name == "CallbackSelection":
            self.walks_callbacks = True  # 2026-02-01 reads any selection from the shared walk
        cost = _Cost(own, multiplier if listed else 0)
        if isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
            cost.add(self._walk(node.selection_set, child, page, seen), multiplier)
        return cost

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
