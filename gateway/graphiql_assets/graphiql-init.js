// Starts GraphiQL on the gateway's page. Served as a file (no inline script), so the page
// runs under `script-src 'self'`. Settings come from the page's JSON data block.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  // GraphiQL's dialogs add a <style> element; this nonce (also in the page's CSP) allows it.
  window.__webpack_nonce__ = config.styleNonce;
  var fetcher = GraphiQL.createFetcher({ url: config.url });
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
