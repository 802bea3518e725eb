#!/usr/bin/env bash
# Install code-server (a real VS Code, served to a browser) into a cache folder
# for the end-to-end tests in tests/clients/test_vscode_e2e.py.
#
# The steps are those of shared/CLIENTS.md (docs/vscode-e2e.md says why): npm's
# package runs a postinstall script that builds native modules and downloads
# ripgrep, which fails without the internet and which npm 11 skips anyway, so
# the install skips every script and does each of its steps by hand. The
# result is cached: a stamp file written only after the final check makes a
# second run instant, and an interrupted run leaves no stamp, so the next one
# starts over.
#
#   KENNING_CODE_SERVER_DIR  where to install (default
#                            ${XDG_CACHE_HOME:-$HOME/.cache}/kenning/code-server-4.100.3)
#
# The binary ends up at "$KENNING_CODE_SERVER_DIR/bin/code-server". Run as root
# (or with sudo) when Debian packages are missing: it apt-get installs them.
set -euo pipefail

readonly VERSION=4.100.3
readonly DIR="${KENNING_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kenning/code-server-$VERSION}"
readonly STAMP="$DIR/.kenning-installed"
# Debian packages: a C/C++ toolchain and Kerberos headers for the native
# modules, ripgrep instead of @vscode/ripgrep's download, chromium to drive
# the workbench.
readonly DEBIAN_PACKAGES=(build-essential pkg-config libkrb5-dev ripgrep chromium)
# VS Code's native modules; npm 11 skips their install scripts, so each is
# rebuilt explicitly. node-pty is rebuilt on its own: see below.
readonly VSCODE_NATIVE=(kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog)

log() { printf 'install-code-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

phase_start=$(date +%s)
phase_name=""
# Close the running phase (printing how long it took) and open the next one.
phase() {
  local now
  now=$(date +%s)
  if [ -n "$phase_name" ]; then
    log "$phase_name: $((now - phase_start)) s"
  fi
  phase_name="$1"
  phase_start=$now
  if [ -n "$phase_name" ]; then
    log "$phase_name ..."
  fi
}
total_start=$(date +%s)

# --- Debian packages -------------------------------------------------------
# Checked on every run, cached or not: a CI cache may restore the install
# folder onto a machine that lacks chromium.
phase "debian packages"
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    die "missing packages ${missing[*]} and no apt-get to install them"
  fi
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    die "not root and no sudo: install these Debian packages first: ${missing[*]}"
  fi
  log "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- cached? -----------------------------------------------------------------
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ] && [ -x "$DIR/bin/code-server" ]; then
  phase ""
  log "code-server $VERSION already installed in $DIR ($(($(date +%s) - total_start)) s)"
  exit 0
fi

command -v node >/dev/null || die "node is required (code-server $VERSION needs Node 20)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || die "code-server $VERSION needs Node 20, found $(node --version)"

# Build beside the final folder and move it into place at the end, so that a
# half-finished install never sits where the tests look. Nothing inside refers
# to its own absolute path (the links made below are relative), so the move
# is safe.
readonly WORK="$DIR.partial"
rm -rf "$WORK"
mkdir -p "$WORK"
# npm 11 has no unsafe-perm setting (code-server's postinstall.sh asks for it
# as root, but that script is skipped here) and runs the rebuilds' scripts as
# root without it.
export npm_config_audit=false npm_config_fund=false \
  npm_config_update_notifier=false npm_config_loglevel=warn
# node-gyp downloads Node's headers unless told where they are; Node's Debian
# package ships them under /usr/include/node.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  export npm_config_nodedir=/usr
fi
# node-gyp's make runs one job unless told more.
export JOBS="${JOBS:-max}"

# --- code-server itself --------------------------------------------------------
phase "npm install code-server@$VERSION"
printf '{ "private": true }\n' >"$WORK/package.json"
(cd "$WORK" && npm install --ignore-scripts "code-server@$VERSION")
readonly CS="$WORK/node_modules/code-server"
# argon2 hashes passwords; unused with --auth none but loaded at startup.
(cd "$WORK" && npm rebuild argon2)

# --- VS Code's own dependencies ------------------------------------------------
# The three npm installs below read each package's npm-shrinkwrap.json, so
# the versions are pinned by code-server's release.
phase "npm install lib/vscode"
(cd "$CS/lib/vscode" && npm install --omit=dev --ignore-scripts)

phase "rebuild native modules"
(cd "$CS/lib/vscode" && npm rebuild "${VSCODE_NATIVE[@]}")
# node-pty's build succeeds, then a post-build step (npx node-gyp, to write
# compile_commands.json) fails offline; check the binary it leaves instead of
# the exit status, and show its noisy output only when that is missing.
if ! (cd "$CS/lib/vscode" && npm rebuild node-pty) >"$WORK/node-pty-rebuild.log" 2>&1; then
  log "node-pty's rebuild exited non-zero, as expected offline; checking pty.node"
fi
if [ ! -f "$CS/lib/vscode/node_modules/node-pty/build/Release/pty.node" ]; then
  cat "$WORK/node-pty-rebuild.log" >&2
  die "node-pty did not build pty.node"
fi

# --- what the skipped postinstall.sh would have made -------------------------
phase "postinstall links and extensions"
# @vscode/ripgrep's own install downloads its binary from GitHub.
mkdir -p "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin"
ln -sfn "$(command -v rg)" "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
(cd "$CS/lib/vscode" && ln -sfn node_modules node_modules.asar)
(cd "$CS/lib/vscode/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$CS/lib/vscode/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
(cd "$CS/lib/vscode/extensions" && npm install --omit=dev --ignore-scripts && node ./postinstall.mjs >/dev/null)
mkdir -p "$WORK/bin"
ln -sfn ../node_modules/.bin/code-server "$WORK/bin/code-server"

# --- verify --------------------------------------------------------------------
phase "verify"
# Each native module must load in this Node, not only exist.
(cd "$CS/lib/vscode" && node -e '
  for (const m of process.argv.slice(1)) require(m);
' "${VSCODE_NATIVE[@]}" node-pty) || die "a native module does not load"
(cd "$WORK" && node -e 'require("argon2")') || die "argon2 does not load"
"$WORK/node_modules/.bin/code-server" --help >/dev/null
version_line=$("$WORK/bin/code-server" --version | head -n 1)
case "$version_line" in
  "$VERSION "*) ;;
  *) die "code-server --version printed '$version_line', expected $VERSION" ;;
esac

rm -rf "$DIR"
mv "$WORK" "$DIR"
printf '%s\n' "$VERSION" >"$STAMP"
phase ""
log "installed code-server $version_line in $DIR ($(($(date +%s) - total_start)) s)"
