# Shared steps for the two README commands (.ci/demo and .ci/test). Each step installs what it
# needs only when missing and rebuilds only what changed, so a second run is fast.
# Sourced, not run: expects `set -euo pipefail` and the repository root as the working directory.

SITE=target/site
STAGE=target/site-stage
WASM_PROFILE=wasm-release

STARTED_AT=${STARTED_AT:-$(date +%s)}
log() { printf '\n\033[1m==> [%4ss] %s\033[0m\n' "$(( $(date +%s) - STARTED_AT ))" "$*"; }

# The wasm-bindgen version the app is built against (the CLI must match it exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "Installing the wasm32-unknown-unknown target (rustup)"
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen-cli from the Rust package registry, at the version in Cargo.lock. Its own lockfile pins a
# webpki-roots release the registry no longer serves, so if the locked install fails we unpack
# the crate, move that one pin to the release before it, and install from the unpacked copy.
ensure_wasm_bindgen() {
  local want have
  want=$(wasm_bindgen_version)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  [ "$have" = "$want" ] && return 0
  log "Installing wasm-bindgen-cli $want (cargo install; once per machine)"
  if cargo install wasm-bindgen-cli --version "$want" --locked; then return 0; fi
  local src tmp
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$want" 2>/dev/null | head -n1)
  if [ -z "$src" ]; then
    echo "wasm-bindgen-cli $want source not found in the cargo registry cache" >&2
    return 1
  fi
  tmp=$(mktemp -d)
  cp -r "$src" "$tmp/cli"
  (cd "$tmp/cli" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --path . --locked)
  rm -rf "$tmp"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "Installing Chromium from Debian (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
}

# npm packages for a folder (style/ or e2e/), from its lockfile, when the lockfile changed.
# `npm install` rather than `npm ci`: npm 11 releases differ on whether a lockfile lists other
# platforms' optional packages (Tailwind's native binaries), which `npm ci` then refuses as out
# of sync. `--no-save` installs what the lockfile pins and never rewrites it, so a test run
# leaves the work tree clean.
ensure_npm() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "Installing npm packages in $dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
  fi
}

# Tailwind CSS into the staging folder; publish_assets gives it its hashed name.
build_css() {
  ensure_npm style
  log "Compiling Tailwind CSS (Tailwind v4 CLI)"
  mkdir -p "$STAGE"
  (cd style && npx --no-install tailwindcss -i main.css -o "../$STAGE/app.css" --minify 2>&1 | grep -v '^≈' || true)
  test -s "$STAGE/app.css"
}

# The browser bundles into the staging folder (target/site-stage, never served): the
# clinicians' bundle `app` (only the islands of the clinicians' pages, app's `islands` feature:
# the crate app/bundles/clinical) and the office bundle `office` (the whole app, hydrated whole:
# the crate app/bundles/office); the server picks one per page (app::shell::Bundle). The two thin
# crates share one target folder, so every dependency is built once for both.
build_wasm() {
  ensure_wasm_target
  ensure_wasm_bindgen
  build_bundle app bundle-clinical
  build_bundle office bundle-office
}

# One bundle: cargo, then wasm-bindgen and wasm-opt only when cargo's output is newer than the
# staged copy. Both run in a scratch folder and are moved in at the end, so a failed step is
# redone next time.
build_bundle() {
  local name=$1 package=$2
  log "Building the browser bundle $name ($package, $WASM_PROFILE)"
  cargo build -p "$package" --lib --target wasm32-unknown-unknown --profile "$WASM_PROFILE"
  local wasm=target/wasm32-unknown-unknown/$WASM_PROFILE/${package//-/_}.wasm
  if [ ! -f "$STAGE/${name}_bg.wasm" ] || [ "$wasm" -nt "$STAGE/${name}_bg.wasm" ]; then
    local tmp=$STAGE.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp" "$STAGE"
    wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name "$name" "$wasm"
    optimise_wasm "$tmp/${name}_bg.wasm"
    mv -f "$tmp/$name.js" "$STAGE/$name.js"
    mv -f "$tmp/${name}_bg.wasm" "$STAGE/${name}_bg.wasm"
    rm -rf "$tmp"
  fi
}

# wasm-opt -Oz from the npm package binaryen (style/package.json), only when WASM_OPT=on: here
# it saves 11% of the raw bytes but adds 10% to the brotli and 14% to the gzip bytes, so the
# default is off (figures: docs/BENCHMARKS.md, "Issue 16: page weight"). After changing it,
# remove target/site-stage so the bundle is staged again.
WASM_OPT=${WASM_OPT:-off}
optimise_wasm() {
  [ "$WASM_OPT" = on ] || return 0
  ensure_npm style
  log "Optimising the browser bundle (wasm-opt -Oz)"
  style/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers "$1" -o "$1.opt"
  mv -f "$1.opt" "$1"
}

# Content-hashed names, brotli and gzip copies and target/site/hash.txt (.ci/assets.mjs, Node's
# built-in zlib); cheap when nothing changed, since a hashed file that exists is current.
publish_assets() {
  log "Publishing the bundle under content-hashed names (brotli, gzip)"
  node .ci/assets.mjs "$STAGE" "$SITE"
}

# `cargo test` reuses what `cargo build -p server` compiled only if every crate has the same
# features in both: a dev-dependency that adds a feature to a crate recompiles that crate and
# everything above it (leptos, app and server: minutes here; docs/BENCHMARKS.md, "Build and
# test times"). Fails naming the crates whose features part (fix: server/Cargo.toml, getrandom).
check_feature_sets() {
  local build test parted
  build=$(cargo tree -p server -e normal,no-proc-macro --prefix none -f '{p} [{f}]' | sed 's/ (\*)$//' | sort -u)
  test=$(cargo tree --workspace -e normal,dev,no-proc-macro --prefix none -f '{p} [{f}]' | sed 's/ (\*)$//' | sort -u)
  parted=$(comm -23 <(printf '%s\n' "$build") <(printf '%s\n' "$test"))
  if [ -n "$parted" ]; then
    echo "These crates are built with other features by cargo test than by cargo build -p server," >&2
    echo "so the tests would compile them (and all above them) again:" >&2
    printf '%s\n' "$parted" | sed 's/^/  /' >&2
    return 1
  fi
}

build_server() {
  log "Building the server (release)"
  cargo build -p server --release
}

copy_public() {
  mkdir -p "$SITE"
  cp -r public/. "$SITE/"
}

build_all() {
  build_wasm
  build_css
  publish_assets
  copy_public
  build_server
}

# schemathesis (.ci/schemathesis) from PyPI at the versions pinned in
# .ci/schemathesis-requirements.txt, in a virtualenv under target/ made with the machine's
# python3. Reinstalled only when the pins or the python3 change (a stamp holds both).
SCHEMATHESIS_VENV=target/schemathesis-venv
ensure_schemathesis() {
  local pins=.ci/schemathesis-requirements.txt stamp=$SCHEMATHESIS_VENV/.installed want
  want="$(python3 --version 2>&1) $(sha256sum "$pins" | cut -d' ' -f1)"
  if [ -x "$SCHEMATHESIS_VENV/bin/schemathesis" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  log "Installing schemathesis into $SCHEMATHESIS_VENV (pip, pinned in $pins)"
  rm -rf "$SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV"
  "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$pins"
  "$SCHEMATHESIS_VENV/bin/pip" check >/dev/null
  printf '%s\n' "$want" >"$stamp"
}

# A private PostgreSQL cluster for the audit store tests: Debian's package (installed if
# missing), a throwaway data directory under target/, listening on loopback only. Exports
# AUDIT_TEST_POSTGRES_URL for `cargo test`. Stopped by the caller's EXIT trap (stop_postgres).
PG_PORT=${PG_PORT:-55432}
PG_DIR=$PWD/target/pg
ensure_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    log "Installing PostgreSQL from Debian (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  # initdb and postgres refuse to run as root: run them as the package's `postgres` user.
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  export AUDIT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  if "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then return 0; fi
  log "Starting PostgreSQL on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=on" >/dev/null
}

stop_postgres() {
  local bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$bin" ] && [ -d "$PG_DIR/data" ] || return 0
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
}
