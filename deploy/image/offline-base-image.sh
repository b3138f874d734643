#!/usr/bin/env bash
# Builds a Java 17 base image for the WaveLink member image WITHOUT a Docker daemon and without a
# container registry: a Debian bookworm root filesystem made by debootstrap from a Debian mirror, with
# openjdk-17-jre-headless, written as a `docker save` tarball (one layer) that Jib can build on
# (`from.image = tar://...`) and that `docker load` accepts.
#
# Use it where the member image's default base (eclipse-temurin:17-jre from Docker Hub) cannot be
# pulled. Needs root (debootstrap), debootstrap and tar; about 300 MB of downloads and disk.
#
#   deploy/image/offline-base-image.sh [OUT.tar]        (default target/wavelink-base-jre17.tar)
#   MIRROR=http://deb.debian.org/debian SUITE=bookworm deploy/image/offline-base-image.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/target/wavelink-base-jre17.tar}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE="${SUITE:-bookworm}"
TAG="${TAG:-wavelink-base:${SUITE}-jre17}"

command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "debootstrap needs root" >&2; exit 1; }

WORK="$(mktemp -d)"
# --one-file-system: never follow a mount debootstrap may have left behind (proc, sys)
trap 'rm -rf --one-file-system "$WORK"' EXIT
ROOTFS="$WORK/rootfs"

echo "debootstrap $SUITE from $MIRROR ..."
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
# what an image does not need: package caches, logs, documentation
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/var/log/*
JAVA_HOME_DIR="$(cd "$ROOTFS" && ls -d usr/lib/jvm/java-17-openjdk-* | head -n 1)"
grep '^JAVA_VERSION=' "$ROOTFS/$JAVA_HOME_DIR/release" > "$WORK/java-version"

echo "writing the layer ..."
mkdir -p "$WORK/image"
# entries named as docker writes them (no leading ./), which Jib also requires of the outer tarball
(cd "$ROOTFS" && tar --numeric-owner --sort=name -cf "$WORK/layer.tar" $(ls -A))
LAYER="$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)"
mkdir -p "$WORK/image/$LAYER"
mv "$WORK/layer.tar" "$WORK/image/$LAYER/layer.tar"

CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ARCH="$(dpkg --print-architecture)" # debootstrap builds for the host's; Debian and OCI agree on amd64/arm64
cat > "$WORK/config.json" <<EOF
{"architecture":"$ARCH","os":"linux","created":"$CREATED",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/$JAVA_HOME_DIR","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$LAYER"]},
 "history":[{"created":"$CREATED","created_by":"debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates $SUITE $MIRROR"}]}
EOF
CONFIG="$(sha256sum "$WORK/config.json" | cut -d' ' -f1)"
mv "$WORK/config.json" "$WORK/image/$CONFIG.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' "$CONFIG" "$TAG" "$LAYER" \
  > "$WORK/image/manifest.json"

mkdir -p "$(dirname "$OUT")"
tar --numeric-owner -C "$WORK/image" -cf "$OUT" manifest.json "$CONFIG.json" "$LAYER/layer.tar"
echo "wrote $OUT ($TAG, $(du -h "$OUT" | cut -f1)); its Java: $(head -n 1 "$WORK/java-version")"
echo "build the member image on it: ./mvnw -B -Pimage package -DskipTests -Dwavelink.image.base=tar://$OUT"
