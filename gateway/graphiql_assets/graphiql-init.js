// Starts GraphiQL on the gateway's page. Served as a file (no inline script), so the page
// runs under `script-src 'self'`. Settings come from the page's JSON data block.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  // GraphiQL's dialogs add a <style> element; this nonce (also in the page's CSP) allows it.
  window.__webpack_nonce__ = config.styleNonce;
  // Subscriptions go over a WebSocket to the same endpoint, authenticated in
  // connection_init with the page's headers (the demo key in embedded mode).
  var socketUrl = new URL(config.url, window.location.href);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
  var wsClient = graphqlWs.createClient({
    url: socketUrl.href,
    lazy: true,
    connectionParams: function () {
      return config.headers ? JSON.parse(config.headers) : {}; // a JSON string, as GraphiQL takes it
    },
  });
  var fetcher = GraphiQL.createFetcher({ url: config.url, wsClient: wsClient });
  var props = {
    fetcher: fetcher,
    defaultQuery: config.query,
    defaultEditorToolsVisibility: config.headers ? "headers" : false,
    shouldPersistHeaders: false,
  };
  if (config.headers) {
    props.defaultHeaders = config.headers;
  }
  var container = document.getElementById("graphiql");
  container.textContent = "";
  ReactDOM.createRoot(container).render(React.createElement(GraphiQL, props));
})();
