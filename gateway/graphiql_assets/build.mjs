// Copies the browser builds the gateway serves from the installed packages into dist/,
// with the licence of every installed package (graphiql.min.js bundles most of them) and
// versions.json: each served file's package, version, lockfile integrity and sha256, which
// tests/unit/test_graphiql_dist.py checks against package-lock.json.
// Run after `npm ci` (`make graphiql-dist` does both). No network here. dist/ is committed,
// so building the Python wheel or sdist needs no npm.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const dist = join(here, "dist");
const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));

// served name -> file inside node_modules
const files = {
  "react.production.min.js": "react/umd/react.production.min.js",
  "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
  "graphiql.min.js": "graphiql/graphiql.min.js",
  "graphiql.min.css": "graphiql/graphiql.min.css",
  "graphql-ws.min.js": "graphql-ws/umd/graphql-ws.min.js",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const served = {};
for (const [name, source] of Object.entries(files)) {
  copyFileSync(join(modules, source), join(dist, name));
  const pkg = source.split("/")[0];
  const locked = lock.packages[`node_modules/${pkg}`];
  served[name] = {
    package: pkg,
    version: JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version,
    integrity: locked.integrity,
    sha256: createHash("sha256").update(readFileSync(join(dist, name))).digest("hex"),
  };
}
writeFileSync(join(dist, "versions.json"), JSON.stringify(served, null, 2) + "\n");

// Every installed package's licence text, in lockfile order.
const notices = [];
for (const [path, info] of Object.entries(lock.packages)) {
  if (!path.startsWith("node_modules/")) continue;
  const dir = join(here, path);
  const licence = existsSync(dir)
    ? readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    : undefined;
  const text = licence ? readFileSync(join(dir, licence), "utf8").trim() : `License: ${info.license}`;
  notices.push(`${"=".repeat(72)}\n${path.slice("node_modules/".length)} ${info.version} (${info.license})\n${"=".repeat(72)}\n${text}\n`);
}
writeFileSync(join(dist, "THIRD_PARTY_LICENSES.txt"), notices.join("\n"));
console.log(`graphiql assets: ${Object.keys(files).length} files in ${dist}`);
