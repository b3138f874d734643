#!/usr/bin/env bash
# Runs a container image tarball (Jib's target/jib-image.tar, or any `docker save` output) WITHOUT a
# container engine: unpacks its layers into a directory and starts the image's entrypoint there with
# chroot, as the image's user, with the image's environment plus the given VAR=value pairs, in the
# host's network. It is how the member image was checked on a machine without Docker; it is not an
# isolation mechanism (no namespaces, no cgroups; the unpacking and chroot need root).
#
#   deploy/image/run-image-rootfs.sh IMAGE.tar DIR [VAR=value ...]
#
# Example, a member from the image joining a local cluster started by `bin/wavelink cluster`:
#   deploy/image/run-image-rootfs.sh cluster/target/jib-image.tar /tmp/member-image \
#     WAVELINK_SEED_NODES=pekko://wavelink@127.0.0.1:2551 WAVELINK_CLUSTER_PORT=2561 \
#     WAVELINK_HTTP_PORT=8090 WAVELINK_NODE_ID=image-node WAVELINK_CASSANDRA_CONTACT_POINTS=127.0.0.1:9042
set -euo pipefail

IMAGE="${1:?usage: run-image-rootfs.sh IMAGE.tar DIR [VAR=value ...]}"
DIR="${2:?usage: run-image-rootfs.sh IMAGE.tar DIR [VAR=value ...]}"
shift 2
[[ $(id -u) -eq 0 ]] || { echo "chroot needs root" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed to read the image's JSON" >&2; exit 1; }

# never delete through a mount left by an earlier run (its /dev is the host's /dev)
if awk -v d="$(realpath -m "$DIR")/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
  echo "something is still mounted under $DIR (an earlier run?): umount it first" >&2
  exit 1
fi
rm -rf --one-file-system "$DIR"
mkdir -p "$DIR/image" "$DIR/rootfs"
tar -xf "$IMAGE" -C "$DIR/image"
# layers in order (GNU tar detects their compression), then the entrypoint, environment, directory
python3 - "$DIR/image" > "$DIR/plan" <<'EOF'
import json, shlex, sys
d = sys.argv[1]
m = json.load(open(f"{d}/manifest.json"))[0]
c = json.load(open(f"{d}/{m['Config']}")).get("config", {})
for layer in m["Layers"]:
    print("layer", shlex.quote(f"{d}/{layer}"))
print("workdir", shlex.quote(c.get("WorkingDir") or "/"))
print("user", shlex.quote(c.get("User") or "0:0"))
for e in c.get("Env") or []:
    print("env", shlex.quote(e))
print("cmd", " ".join(shlex.quote(a) for a in (c.get("Entrypoint") or []) + (c.get("Cmd") or [])))
EOF
ENV=()
CMD=""
WORKDIR="/"
USERSPEC="0:0"
while read -r kind rest; do
  case "$kind" in
    layer) eval "tar -xf $rest -C \"\$DIR/rootfs\"" ;;
    workdir) eval "WORKDIR=$rest" ;;
    user) eval "USERSPEC=$rest" ;;
    env) eval "ENV+=($rest)" ;;
    cmd) CMD="$rest" ;;
  esac
done < "$DIR/plan"
ENV+=("$@")

mkdir -p "$DIR/rootfs/proc" "$DIR/rootfs/dev" "$DIR/rootfs/tmp"
mount -t proc proc "$DIR/rootfs/proc"
mount --bind /dev "$DIR/rootfs/dev"
cleanup() {
  umount "$DIR/rootfs/dev" || echo "WARNING: $DIR/rootfs/dev is still mounted (the host's /dev)" >&2
  umount "$DIR/rootfs/proc" || echo "WARNING: $DIR/rootfs/proc is still mounted" >&2
}
trap cleanup EXIT
child=
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null || true' TERM INT

echo "running $CMD (in $WORKDIR as $USERSPEC, chroot $DIR/rootfs)"
env -i "${ENV[@]}" chroot --userspec="$USERSPEC" "$DIR/rootfs" /bin/sh -c "cd $(printf '%q' "$WORKDIR") && exec $CMD" &
child=$!
rc=0
wait "$child" || rc=$?
if kill -0 "$child" 2>/dev/null; then # the wait was interrupted by our TERM/INT trap
  rc=0
  wait "$child" || rc=$?
fi
exit "$rc"
