// Copies the front end's npm packages into the Python package (src/dealgraph/web/static/vendor/),
// where dealgraph serves them and the wheel picks them up. Run by `npm run build` after `npm ci`.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "dealgraph", "web", "static", "vendor");
const assets = [
  ["@zazuko/yasgui", "build/yasgui.min.js", "yasgui/yasgui.min.js"],
  ["@zazuko/yasgui", "build/yasgui.min.css", "yasgui/yasgui.min.css"],
];
const versions = {};
for (const [pkg, from, to] of assets) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", pkg, from), target);
  const meta = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8"));
  versions[pkg] = { version: meta.version, license: meta.license };
}
writeFileSync(join(vendor, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`copied ${assets.length} files into ${vendor}:`, versions);
