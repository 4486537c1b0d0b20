#!/bin/sh
# Builds the Debian images (deploy/Dockerfile, targets frps and frpc) without any registry and
# proves a tunnel through containerised frps + frpc with curl:
#   1. debootstrap a bookworm minbase rootfs (cached in $FRP_ROOTFS)
#   2. buildah: import it from scratch as localhost/frp-base:bookworm
#   3. buildah bud deploy/Dockerfile --target frps|frpc --build-arg BASE=localhost/frp-base:bookworm
#      (Deno 2.9.6 comes from its npm package), tagged as frp's images are
#   4. podman run --network host -v ./frps.toml:/etc/frp/frps.toml … (and frpc), curl through it,
#      podman healthcheck run
#   5. prints image sizes and the containers' idle RSS
# Usage: scripts/image.sh            (root; apt-get install podman buildah debootstrap)
# Exits 77 with "SKIP: <reason>" when the tools or a container runtime are missing here.
# Env: FRP_ROOTFS (default /var/tmp/frp-rootfs-bookworm), STORAGE_DRIVER (default vfs),
#      FRP_IMAGE_PORTS="bind remote" (default random), KEEP_IMAGES=1 to keep the images.
set -eu
cd "$(dirname "$0")/.."
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (rootful podman/buildah)"
for t in podman buildah debootstrap curl; do
  command -v "$t" >/dev/null || skip "$t not installed (apt-get install podman buildah debootstrap curl)"
done

# crun refuses cgroup v1 + a cgroup2 mount with controllers ("hybrid mode"); in a private mount
# namespace without the cgroup2 mount it runs fine. Only this script's namespace changes.
if [ -z "${FRP_IMAGE_NS:-}" ] && mount | grep -q 'on /sys/fs/cgroup/unified type cgroup2'; then
  FRP_IMAGE_NS=1 exec unshare -m --propagation private sh -c \
    'umount /sys/fs/cgroup/unified && exec "$0" "$@"' "$0" "$@"
fi

SD=${STORAGE_DRIVER:-vfs}
ROOTFS=${FRP_ROOTFS:-/var/tmp/frp-rootfs-bookworm}
VERSION=$(deno eval --quiet 'import { FRP_VERSION } from "./server/context.ts"; console.log(FRP_VERSION)' 2>/dev/null || echo 0.70.1)
B="buildah --storage-driver $SD"
P="podman --storage-driver $SD"
# crun cannot raise limits here; pass the current hard limits down explicitly.
NOFILE=$(ulimit -Hn)
RUNOPTS="--network host --cgroups=disabled --ulimit nofile=$NOFILE:$NOFILE --ulimit nproc=4096:4096"

# 1-2: the base image from a debootstrap rootfs.
if ! $P image exists localhost/frp-base:bookworm; then
  if [ ! -x "$ROOTFS/bin/sh" ]; then
    echo "image: debootstrap bookworm → $ROOTFS"
    debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >/dev/null ||
      skip "debootstrap failed (no Debian mirror?)"
  fi
  ctr=$($B from scratch)
  # No apt lists, docs or man pages in the base.
  (cd "$ROOTFS" && tar --exclude=./var/lib/apt/lists/* --exclude=./var/cache/apt/* \
    --exclude=./usr/share/doc/* --exclude=./usr/share/man/* --exclude=./usr/share/locale/* \
    --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -cf - .) > /var/tmp/frp-base.tar
  $B add "$ctr" /var/tmp/frp-base.tar / >/dev/null
  rm -f /var/tmp/frp-base.tar
  $B config --cmd /bin/bash "$ctr"
  $B commit -q "$ctr" localhost/frp-base:bookworm >/dev/null
  $B rm "$ctr" >/dev/null
fi

case $(uname -m) in aarch64 | arm64) ARCH=arm64 ;; *) ARCH=amd64 ;; esac
# Behind a TLS-intercepting proxy the host's CA bundle must reach deno in the build.
SECRET=""
[ -n "${SSL_CERT_FILE:-}" ] && [ -s "$SSL_CERT_FILE" ] && SECRET="--secret id=ca_cert,src=$SSL_CERT_FILE"

# 3: the images, tagged as frp's (latest, debian, bookworm, <v>, <v>-debian, <v>-bookworm).
for side in frps frpc; do
  echo "image: building $side"
  $B bud -q --isolation chroot --layers --format docker --pull=false $SECRET \
    --build-arg TARGETARCH="$ARCH" --build-arg BASE=localhost/frp-base:bookworm \
    -f deploy/Dockerfile --target "$side" \
    -t "localhost/frp-ts/$side:latest" . >/dev/null
  for tag in debian bookworm "$VERSION" "$VERSION-debian" "$VERSION-bookworm"; do
    $B tag "localhost/frp-ts/$side:latest" "localhost/frp-ts/$side:$tag"
  done
done

# 4: run them as users do and curl through the tunnel.
free_ports() {
  python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}
# shellcheck disable=SC2046
set -- ${FRP_IMAGE_PORTS:-$(free_ports)}
BIND=$1
REMOTE=$2
WEB_PORT=${3:-$(free_ports | cut -d" " -f1)}
WORK=$(mktemp -d)
cleanup() {
  $P rm -f frp-img-frps frp-img-frpc >/dev/null 2>&1 || true
  [ -n "${KEEP_IMAGES:-}" ] || $P rmi -f $(for s in frps frpc; do for t in latest debian bookworm \
    "$VERSION" "$VERSION-debian" "$VERSION-bookworm"; do echo "localhost/frp-ts/$s:$t"; done; done) \
    >/dev/null 2>&1 || true
  [ -n "${WEB_PID:-}" ] && kill "$WEB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
echo "hello through containers" > "$WORK/hello.txt"
(cd "$WORK" && exec python3 -m http.server "$WEB_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
WEB_PID=$!
printf 'bindAddr = "127.0.0.1"\nbindPort = %s\n' "$BIND" > "$WORK/frps.toml"
printf 'serverAddr = "127.0.0.1"\nserverPort = %s\n[[proxies]]\nname = "web"\ntype = "tcp"\nlocalIP = "127.0.0.1"\nlocalPort = %s\nremotePort = %s\n' \
  "$BIND" "$WEB_PORT" "$REMOTE" > "$WORK/frpc.toml"
chmod 644 "$WORK"/*.toml
# (podman's own healthcheck timers need systemd; `podman healthcheck run` below runs it directly)
$P run -d --name frp-img-frps $RUNOPTS -v "$WORK/frps.toml:/etc/frp/frps.toml:ro" \
  localhost/frp-ts/frps:debian >/dev/null || skip "podman run failed (no container runtime here)"
$P run -d --name frp-img-frpc $RUNOPTS -v "$WORK/frpc.toml:/etc/frp/frpc.toml:ro" \
  localhost/frp-ts/frpc:debian >/dev/null
got=""
i=0
while [ $i -lt 60 ]; do
  got=$(curl -s --max-time 2 "http://127.0.0.1:$REMOTE/hello.txt" || true)
  [ "$got" = "hello through containers" ] && break
  i=$((i + 1))
  sleep 0.5
done
if [ "$got" != "hello through containers" ]; then
  echo "FAIL: no tunnel through the containers"; $P logs frp-img-frps; $P logs frp-img-frpc
  exit 1
fi
echo "image: curl through containerised frps + frpc: ok"
$P healthcheck run frp-img-frps && echo "image: frps healthcheck: healthy"
$P healthcheck run frp-img-frpc && echo "image: frpc healthcheck: healthy"
$P exec frp-img-frps id -un | grep -qx frp && echo "image: runs as user frp"
sleep 2
# 5: sizes and idle RSS.
for side in frps frpc; do
  size=$($P image inspect --format '{{.Size}}' "localhost/frp-ts/$side:debian")
  pid=$($P inspect --format '{{.State.Pid}}' "frp-img-$side")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  echo "image: $side size $((size / 1000000)) MB, idle RSS $((rss / 1024)) MiB"
done
echo "image: ok"
