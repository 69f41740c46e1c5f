// Copies the browser builds the gateway serves from the installed packages into dist/.
// Run after `npm ci` (the Makefile's `graphiql` target does both). No network here.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const dist = join(here, "dist");

// served name -> file inside node_modules
const files = {
  "react.production.min.js": "react/umd/react.production.min.js",
  "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
  "graphiql.min.js": "graphiql/graphiql.min.js",
  "graphiql.min.css": "graphiql/graphiql.min.css",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const versions = {};
for (const [name, source] of Object.entries(files)) {
  copyFileSync(join(modules, source), join(dist, name));
  const pkg = source.split("/")[0];
  versions[pkg] = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}
writeFileSync(join(dist, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`graphiql assets: ${Object.keys(files).length} files in ${dist}`, versions);
