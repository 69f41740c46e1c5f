"""An upper bound on the upstream requests a query can make, checked before it runs.

Each connection is one upstream list request per parent object and multiplies what
is nested in it by its page size; `nodes(ids:)` costs one request per id;
objects by id and `CallbackSelection.callbacks` one per parent. A query whose
bound passes GATEWAY_MAX_UPSTREAM_REQUESTS is refused (QUERY_TOO_COMPLEX): one
nested query must not spend the organisation's upstream rate limit for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

DEFAULT_PAGE = 20
SELECTION_ESTIMATE = 20  # callbacks assumed behind one CallbackSelection.callbacks
_BY_ID = {"node", "callbackDestination", "callback"}
_ITEMS = {"edges", "nodes"}  # the fields of a connection that hold its page of items


class UpstreamCost:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        root = schema.get_root_type(operation.operation)
        self.total = 0 if root is None else self._walk(operation.selection_set, root, 1, 0, ())

    def _walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLObjectType,
        parents: int,
        page: int,
        seen: tuple[str, ...],
    ) -> int:
        if selection_set is None:
            return 0
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self._field(selection, parent, parents, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self._type(selection.type_condition.name.value)
                    if (selection.type_condition)
                    else parent
                )
                cost += self._walk(selection.selection_set, target or parent, parents, page, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    target = self._type(fragment.type_condition.name.value) or parent
                    cost += self._walk(fragment.selection_set, target, parents, page, (*seen, name))
        return cost

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLObjectType,
        parents: int,
        page: int,
        seen: tuple[str, ...],
    ) -> int:
        name = node.name.value
        definition = parent.fields.get(name)
        if name.startswith("__") or definition is None:
            return 0
        child = get_named_type(definition.type)
        child_type = child if isinstance(child, GraphQLObjectType) else None
        children = parents
        cost = 0
        if child.name.endswith("Connection"):
            cost, page = parents, self._page_size(node)
        elif name in _ITEMS and parent.name.endswith("Connection"):
            children = parents * page
        elif name == "nodes" and parent is self.schema.query_type:
            count = self._count(node, "ids")
            cost, children = count, count
        elif name in _BY_ID and parent is self.schema.query_type:
            cost = parents
        elif name == "callbacks" and parent.name == "CallbackSelection":
            cost, children = parents, parents * SELECTION_ESTIMATE
        elif parent is self.schema.mutation_type:
            cost = 1
        if child_type is None:
            return cost
        return cost + self._walk(node.selection_set, child_type, children, page, seen)

    def _type(self, name: str) -> GraphQLObjectType | None:
        found = self.schema.get_type(name)
        return found if isinstance(found, GraphQLObjectType) else None

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, VariableNode):
                    return self.variables.get(value.name.value)
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, ListValueNode):
                    return value.values
                return None
        return None

    def _page_size(self, node: FieldNode) -> int:
        for name in ("first", "last"):
            value = self._argument(node, name)
            if isinstance(value, int):
                return max(value, 1)  # first: 0 still fetches one item
        return DEFAULT_PAGE

    def _count(self, node: FieldNode, name: str) -> int:
        value = self._argument(node, name)
        return len(value) if isinstance(value, list | tuple) else 1
