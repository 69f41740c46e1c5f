// Apollo Client against the gateway, with the typed documents graphql-codegen made from
// examples/operations: create destinations, then page through all of them with `fetchMore`,
// letting `relayStylePagination` merge the pages in the cache (forward, then backward).
//
//   npm run page-through -- http://127.0.0.1:8000/graphql
//
// METORIAL_API_KEY, if set, is sent as `Authorization: Bearer ...` (a gateway serving its
// embedded emulator needs none). Exits non-zero when anything is not as expected.
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import assert from "node:assert/strict";

import { useFragment as fragment } from "./gql";
import {
  CreateDestinationDocument,
  DeleteDestinationDocument,
  DestinationSummaryFragmentDoc,
  DestinationsDocument,
  PageInfoFieldsFragmentDoc,
  UserErrorFieldsFragmentDoc,
  type DestinationsQuery,
} from "./gql/graphql";

const url = process.argv[2] ?? process.env.GATEWAY_URL ?? "http://127.0.0.1:8000/graphql";
const apiKey = process.env.METORIAL_API_KEY;
const PAGE_SIZE = 3;

function makeClient(): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({
      uri: url,
      headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
    }),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            // Pages of one list (same order and filter) merge into one list of edges.
            callbackDestinations: relayStylePagination(["order", "callbackIds"]),
          },
        },
      },
    }),
  });
}

function ids(data: DestinationsQuery): string[] {
  return data.callbackDestinations.edges.map(
    (edge) => fragment(DestinationSummaryFragmentDoc, edge.node).destinationId,
  );
}

function pageInfo(data: DestinationsQuery) {
  return fragment(PageInfoFieldsFragmentDoc, data.callbackDestinations.pageInfo);
}

async function create(client: ApolloClient, name: string, callbackIds?: string[]) {
  const result = await client.mutate({
    mutation: CreateDestinationDocument,
    variables: {
      input: {
        name,
        url: "https://example.com/hooks/typescript",
        ...(callbackIds ? { callbacks: { type: "SELECTED", callbackIds } } : {}),
      },
    },
  });
  assert.ok(result.data, "createCallbackDestination returned no data");
  return result.data.createCallbackDestination;
}

/** Forward: `first`, then `fetchMore({ after: endCursor })` until there is no next page. */
async function pageForward(client: ApolloClient): Promise<{ ids: string[]; pages: number }> {
  const variables = { first: PAGE_SIZE };
  const query = client.watchQuery({ query: DestinationsDocument, variables });
  const subscription = query.subscribe({});
  try {
    const first = await client.query({ query: DestinationsDocument, variables });
    assert.ok(first.data);
    let data: DestinationsQuery = first.data;
    let pages = 1;
    while (pageInfo(data).hasNextPage) {
      const page = await query.fetchMore({ variables: { after: pageInfo(data).endCursor } });
      assert.ok(page.data);
      assert.ok(ids(page.data).length <= PAGE_SIZE, "fetchMore returns just the new page");
      pages += 1;
      // The cache now holds every page so far, merged by relayStylePagination.
      const merged = client.readQuery({ query: DestinationsDocument, variables });
      assert.ok(merged);
      assert.equal(ids(merged).length, ids(data).length + ids(page.data).length);
      data = merged;
    }
    return { ids: ids(data), pages };
  } finally {
    subscription.unsubscribe();
  }
}

/** Backward: `last`, then `fetchMore({ before: startCursor })`; pages are prepended. */
async function pageBackward(client: ApolloClient): Promise<{ ids: string[]; pages: number }> {
  const variables = { last: PAGE_SIZE };
  const query = client.watchQuery({ query: DestinationsDocument, variables });
  const subscription = query.subscribe({});
  try {
    const last = await client.query({ query: DestinationsDocument, variables });
    assert.ok(last.data);
    let data: DestinationsQuery = last.data;
    let pages = 1;
    while (pageInfo(data).hasPreviousPage) {
      await query.fetchMore({ variables: { before: pageInfo(data).startCursor } });
      pages += 1;
      const merged = client.readQuery({ query: DestinationsDocument, variables });
      assert.ok(merged);
      data = merged;
    }
    return { ids: ids(data), pages };
  } finally {
    subscription.unsubscribe();
  }
}

async function main(): Promise<void> {
  const writer = makeClient();
  const made: string[] = [];
  for (let i = 0; i < 2 * PAGE_SIZE + 1; i += 1) {
    const payload = await create(writer, `typescript example ${i}`);
    assert.deepEqual(payload.userErrors, []);
    assert.ok(payload.callbackDestination);
    made.push(fragment(DestinationSummaryFragmentDoc, payload.callbackDestination).destinationId);
  }
  const refused = await create(writer, "unknown callback", ["clb_doesnotexist"]);
  const errors = fragment(UserErrorFieldsFragmentDoc, refused.userErrors);
  assert.equal(refused.callbackDestination, null);
  assert.deepEqual(
    errors.map((error) => [error.code, error.field]),
    [["UNKNOWN_CALLBACK", ["input", "callbacks", "callbackIds"]]],
  );
  console.log(`created ${made.length} destinations; an unknown callback is ${errors[0]?.code}`);

  // The whole list in one request, bypassing the cache: what paging must add up to.
  const all = await writer.query({
    query: DestinationsDocument,
    variables: { first: 100 },
    fetchPolicy: "no-cache",
  });
  assert.ok(all.data);
  const expected = ids(all.data);
  assert.ok(made.every((id) => expected.includes(id)), "new destinations are listed");

  const forward = await pageForward(makeClient());
  assert.deepEqual(forward.ids, expected, "forward pages merged by relayStylePagination");
  assert.equal(forward.pages, Math.ceil(expected.length / PAGE_SIZE));
  const backward = await pageBackward(makeClient());
  assert.deepEqual(backward.ids, expected, "backward pages merged by relayStylePagination");
  console.log(
    `paged through ${expected.length} destinations with fetchMore: ` +
      `${forward.pages} pages forward, ${backward.pages} backward, ${PAGE_SIZE} per page`,
  );

  for (const id of made) {
    const result = await writer.mutate({
      mutation: DeleteDestinationDocument,
      variables: { input: { id } },
    });
    assert.deepEqual(result.data?.deleteCallbackDestination.userErrors, []);
  }
  console.log(`deleted the ${made.length} destinations it made`);
}

main().catch((error: unknown) => {
  console.error("page-through failed:", error);
  process.exit(1);
});
