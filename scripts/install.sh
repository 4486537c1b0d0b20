#!/bin/sh
# Installs frps and frpc the way frp's release tarballs are used, until `deno compile` binaries
# can be built (scripts/compile.ts needs dl.deno.land):
#   $PREFIX (default /opt/frp)          the runtime tree (no tests, .git or caches), a copy of
#                                       deno, and a pre-filled DENO_DIR (deno-dir/)
#   $BINDIR (default /usr/local/bin)    frps / frpc wrappers: deno run with cli/permissions.ts's
#                                       flags, --cached-only (no network at start)
#   $UNITDIR (default /etc/systemd/system)  frps.service, frpc.service, frpc@.service
#   $CONFDIR (default /etc/frp)         frps.toml / frpc.toml samples if absent
# Usage: sudo scripts/install.sh   (then: systemctl enable --now frps)
set -eu
PREFIX=${PREFIX:-/opt/frp}
BINDIR=${BINDIR:-/usr/local/bin}
UNITDIR=${UNITDIR:-/etc/systemd/system}
CONFDIR=${CONFDIR:-/etc/frp}
DENO=${DENO:-$(command -v deno || true)}
[ -x "$DENO" ] || { echo "install.sh: deno not found (set DENO=/path/to/deno)" >&2; exit 1; }
SRC=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$PREFIX/bin" "$BINDIR" "$UNITDIR" "$CONFDIR"
# The runtime tree only: the modules frps/frpc load, deno.json and its lock.
(cd "$SRC" && tar -cf - --exclude='*_test.ts' --exclude='_test_*' \
  deno.json deno.lock mod.ts cli client config httpapi log plugins protocol server transport web) |
  tar -C "$PREFIX" -xf -
# Our own deno copy: a DynamicUser service cannot reach a deno under /root.
cp "$DENO" "$PREFIX/bin/deno"
DENO_DIR="$PREFIX/deno-dir" "$PREFIX/bin/deno" cache --quiet \
  "$PREFIX/server/main.ts" "$PREFIX/client/main.ts"
chmod -R a+rX "$PREFIX"

flags() { (cd "$SRC" && "$DENO" eval --quiet \
  "import * as p from './cli/permissions.ts'; console.log(p.$1.join(' '))"); }
for side in frps frpc; do
  if [ "$side" = frps ]; then main=server/main.ts; set_=FRPS_FLAGS; else main=client/main.ts; set_=FRPC_FLAGS; fi
  cat > "$BINDIR/$side" <<WRAP
#!/bin/sh
# $side (TypeScript/Deno), installed by scripts/install.sh from $SRC.
export DENO_DIR="\${DENO_DIR:-$PREFIX/deno-dir}"
exec "$PREFIX/bin/deno" run --cached-only --no-prompt $(flags $set_) "$PREFIX/$main" "\$@"
WRAP
  chmod 755 "$BINDIR/$side"
done

for unit in frps.service frpc.service frpc@.service; do
  sed -e "s#@BINDIR@#$BINDIR#g" -e "s#@PREFIX@#$PREFIX#g" "$SRC/deploy/systemd/$unit" > "$UNITDIR/$unit"
done
[ -e "$CONFDIR/frps.toml" ] || printf 'bindPort = 7000\n' > "$CONFDIR/frps.toml"
[ -e "$CONFDIR/frpc.toml" ] ||
  printf 'serverAddr = "127.0.0.1"\nserverPort = 7000\n' > "$CONFDIR/frpc.toml"
echo "installed: $BINDIR/frps $BINDIR/frpc ($PREFIX), units in $UNITDIR"
