// Publishes the browser bundle into the site: content-hashed names, brotli and gzip copies, the
// manifest the server reads, and no pile of old builds.
//
//   node .ci/assets.mjs <stage dir> <site dir>
//
// <stage dir> holds what the build produced under plain names: the clinicians' bundle (app.js,
// app_bg.wasm), the office bundle (office.js, office_bg.wasm) and app.css. Each becomes
// <site>/pkg/<stem>.<hash>.<js|wasm|css> (hash: the first 16 hex digits of its SHA-256), with
// .br (brotli quality 11) and .gz (gzip level 9) beside it, written only when missing: a
// hashed name's content never changes, so a file that exists is fresh. app.css is also kept
// under its plain name for the server's own HTML pages (sign-in, documents).
// <site>/hash.txt (the clinicians' bundle and the stylesheet) and <site>/office-hash.txt name
// the current hashes in cargo-leptos's format (`js: <hash>` lines).
// Hashed files of the previous build stay (a page already open may still ask for them); older
// ones, and the plain app.js/app_bg.wasm of builds before hashing, are removed.
// Node's built-in zlib only: no packages needed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const [stage, site] = process.argv.slice(2);
if (!stage || !site) {
  console.error('usage: node .ci/assets.mjs <stage dir> <site dir>');
  process.exit(2);
}
const pkg = join(site, 'pkg');
mkdirSync(pkg, { recursive: true });

// Each manifest and the files it names (server/src/http/assets.rs reads them).
const MANIFESTS = [
  {
    file: 'hash.txt',
    kinds: [
      { kind: 'js', from: 'app.js', stem: 'app', ext: 'js' },
      { kind: 'wasm', from: 'app_bg.wasm', stem: 'app', ext: 'wasm' },
      { kind: 'css', from: 'app.css', stem: 'app', ext: 'css' },
    ],
  },
  {
    file: 'office-hash.txt',
    kinds: [
      { kind: 'js', from: 'office.js', stem: 'office', ext: 'js' },
      { kind: 'wasm', from: 'office_bg.wasm', stem: 'office', ext: 'wasm' },
    ],
  },
];

/** Writes `path` only if its content would change (so unchanged files keep their times). */
function writeIfChanged(path, bytes) {
  if (existsSync(path) && readFileSync(path).equals(bytes)) return false;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return true;
}

/** Writes `<path>.br` and `<path>.gz` for `bytes`, unless `fresh` says they are current. */
function compressed(path, bytes, fresh) {
  if (!(fresh && existsSync(`${path}.br`))) {
    const br = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    writeIfChanged(`${path}.br`, br);
  }
  if (!(fresh && existsSync(`${path}.gz`))) {
    writeIfChanged(`${path}.gz`, gzipSync(bytes, { level: 9 }));
  }
}

function readManifest(path) {
  const hashes = {};
  if (!existsSync(path)) return hashes;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [kind, hash] = line.split(':').map((s) => s && s.trim());
    if (kind && hash) hashes[kind] = hash;
  }
  return hashes;
}

// Each file under its hashed name, and each manifest; `keep` gathers this build's names and
// the previous build's.
const keep = new Set();
for (const { file, kinds } of MANIFESTS) {
  const manifestPath = join(site, file);
  const previous = readManifest(manifestPath);
  const lines = [];
  for (const { kind, from, stem, ext } of kinds) {
    const bytes = readFileSync(join(stage, from));
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    const target = join(pkg, `${stem}.${hash}.${ext}`);
    const fresh = existsSync(target);
    if (!fresh) writeIfChanged(target, bytes);
    compressed(target, bytes, fresh);
    lines.push(`${kind}: ${hash}\n`);
    keep.add(`${stem}.${hash}.${ext}`);
    if (previous[kind]) keep.add(`${stem}.${previous[kind]}.${ext}`);
  }
  writeIfChanged(manifestPath, Buffer.from(lines.join('')));
}

// The plain stylesheet, for the pages the server writes without Leptos.
{
  const css = readFileSync(join(stage, 'app.css'));
  const plain = join(pkg, 'app.css');
  const changed = writeIfChanged(plain, css);
  compressed(plain, css, !changed);
}

// Keep this build's files and the previous build's; remove the rest.
const hashed = /^(app|office)\.[0-9a-f]{16}\.(js|wasm|css)(\.br|\.gz)?$/;
const legacy = /^(app\.js|app_bg\.wasm)(\.br|\.gz)?$/;
for (const name of readdirSync(pkg)) {
  const m = name.match(hashed);
  if (m && !keep.has(name.replace(/\.(br|gz)$/, ''))) rmSync(join(pkg, name));
  else if (legacy.test(name)) rmSync(join(pkg, name));
}
