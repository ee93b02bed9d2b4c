// Copies the front end's npm packages into the Python package (src/dealgraph/web/static/vendor/),
// where dealgraph serves them and the wheel picks them up. Run by `npm run build` after `npm ci`.
// Each file is also compressed here, once, with gzip and brotli (`<file>.gz`, `<file>.br` beside it):
// the server sends the variant a client accepts instead of compressing on every request.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "dealgraph", "web", "static", "vendor");
const assets = [
  ["@zazuko/yasgui", "build/yasgui.min.js", "yasgui/yasgui.min.js"],
  ["@zazuko/yasgui", "build/yasgui.min.css", "yasgui/yasgui.min.css"],
];
const encodings = {
  gz: (data) => gzipSync(data, { level: constants.Z_BEST_COMPRESSION }),
  br: (data) =>
    brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
};

// Writes `<target>.gz` and `<target>.br` when they are smaller, and returns their sizes by extension.
function compress(target) {
  const data = readFileSync(target);
  const sizes = { identity: data.length };
  for (const [extension, encode] of Object.entries(encodings)) {
    const encoded = encode(data);
    const path = `${target}.${extension}`;
    if (encoded.length < data.length) {
      writeFileSync(path, encoded);
      sizes[extension] = encoded.length;
    } else {
      rmSync(path, { force: true });
    }
  }
  return sizes;
}

const versions = {};
const sizes = {};
for (const [pkg, from, to] of assets) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", pkg, from), target);
  sizes[to] = compress(target);
  const meta = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8"));
  versions[pkg] = { version: meta.version, license: meta.license };
}
writeFileSync(join(vendor, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`copied ${assets.length} files into ${vendor}:`, versions);
console.table(sizes);
