#!/usr/bin/env bash
# Builds the images deploy/docker-compose/docker-compose.yml runs and loads them into the running
# Docker engine, with nothing pulled from a registry when none is reachable:
#
#   1. the base: BASE_IMAGE if the engine has it or can pull it (default eclipse-temurin:17-jre),
#      else a Java 17 base from a Debian mirror (offline-base-image.sh, cached under
#      target/images/, about 1.5 min the first time), loaded as wavelink-base:bookworm-jre17;
#   2. the member image wavelink-member:dev (deploy/docker-compose/Dockerfile, over the Maven build's
#      distribution; builds it first when missing);
#   3. the Cassandra image wavelink-cassandra:dev (Dockerfile.cassandra: Cassandra 5.0 from its Maven
#      Central jars, over the member image), unless CASSANDRA_IMAGE names another image the engine
#      has or can pull (e.g. the official cassandra:5.0).
#
# Prints the variables to hand to docker compose (WAVELINK_IMAGE, CASSANDRA_IMAGE) and writes them to
# deploy/docker-compose/.env, which docker compose reads from that directory.
#
#   deploy/image/build-images.sh        (bin/wavelink images)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$ROOT/target/images"
MEMBER_IMAGE="${WAVELINK_IMAGE:-wavelink-member:dev}"
CASSANDRA_WANTED="${CASSANDRA_IMAGE:-}"
BASE_WANTED="${BASE_IMAGE:-eclipse-temurin:17-jre}"
OFFLINE_BASE="wavelink-base:bookworm-jre17"

command -v docker >/dev/null || { echo "ERROR: docker is not installed" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "ERROR: no Docker engine answers (start dockerd, or check DOCKER_HOST)" >&2; exit 1; }
# the classic builder: BuildKit needs the buildx plugin, which a distribution's client may lack
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi

have() { docker image inspect "$1" >/dev/null 2>&1; }
# a pull that cannot reach a registry fails within seconds; never wait long for one
pullable() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }
step() { echo "[$(date +%H:%M:%S)] $*"; }

mkdir -p "$WORK"
started=$(date +%s)

# 1. the base
if have "$BASE_WANTED" || pullable "$BASE_WANTED"; then
  base="$BASE_WANTED"
  step "base image: $base"
elif have "$OFFLINE_BASE"; then
  base="$OFFLINE_BASE"
  step "base image: $base (built from a Debian mirror before)"
else
  step "$BASE_WANTED cannot be pulled: building a Java 17 base from a Debian mirror (offline-base-image.sh) ..."
  if [[ ! -s "$WORK/base.tar" ]]; then
    command -v debootstrap >/dev/null || { apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
    TAG="$OFFLINE_BASE" "$ROOT/deploy/image/offline-base-image.sh" "$WORK/base.tar"
  fi
  docker load -q -i "$WORK/base.tar"
  base="$OFFLINE_BASE"
fi

# 2. the member image, over the Maven build's distribution
if ! ls "$ROOT"/cluster/target/wavelink-cluster-*.jar >/dev/null 2>&1 || [[ ! -d "$ROOT/cluster/target/lib" ]]; then
  step "building the distribution (./mvnw -B -q -DskipTests install) ..."
  (cd "$ROOT" && ./mvnw -B -q -DskipTests install)
fi
step "member image $MEMBER_IMAGE on $base ..."
# the build context: only what the Dockerfile copies (the classic builder ignores
# Dockerfile.dockerignore and would send the whole repository), hard-linked where it can be
ctx="$WORK/member"
rm -rf "$ctx" && mkdir -p "$ctx/cluster/target" "$ctx/deploy/docker-compose"
cp -rl "$ROOT/cluster/target/lib" "$ctx/cluster/target/lib" 2>/dev/null || cp -r "$ROOT/cluster/target/lib" "$ctx/cluster/target/lib"
cp "$ROOT"/cluster/target/wavelink-cluster-*.jar "$ctx/cluster/target/"
cp "$ROOT/deploy/docker-compose/member-entrypoint.sh" "$ROOT/deploy/docker-compose/member-health.sh" "$ctx/deploy/docker-compose/"
docker build -q --build-arg BASE_IMAGE="$base" -f "$ROOT/deploy/docker-compose/Dockerfile" -t "$MEMBER_IMAGE" "$ctx" >/dev/null

# 3. Cassandra
if [[ -n "$CASSANDRA_WANTED" ]] && { have "$CASSANDRA_WANTED" || pullable "$CASSANDRA_WANTED"; }; then
  cassandra="$CASSANDRA_WANTED"
  step "Cassandra image: $cassandra"
else
  cassandra="wavelink-cassandra:dev"
  cp_file="$ROOT/persistence/cassandra-server/target/cassandra.classpath"
  [[ -s "$cp_file" ]] || { echo "ERROR: $cp_file is missing (./mvnw -B -DskipTests install)" >&2; exit 1; }
  ctx="$WORK/cassandra"
  rm -rf "$ctx" && mkdir -p "$ctx/lib"
  # the jars in the classpath file's order (the last one has no newline after it)
  : > "$ctx/cassandra.classpath"
  tr ':' '\n' < "$cp_file" | while read -r jar || [[ -n "$jar" ]]; do
    [[ -n "$jar" ]] || continue
    cp "$jar" "$ctx/lib/"
    printf '%s/opt/cassandra/lib/%s' "$([[ -s "$ctx/cassandra.classpath" ]] && echo :)" "$(basename "$jar")" >> "$ctx/cassandra.classpath"
  done
  step "Cassandra image $cassandra (Cassandra 5.0 from $(ls "$ctx/lib" | wc -l) Maven Central jars) ..."
  docker build -q --build-arg MEMBER_IMAGE="$MEMBER_IMAGE" -f "$ROOT/deploy/docker-compose/Dockerfile.cassandra" \
    -t "$cassandra" "$ctx" >/dev/null
fi

printf 'WAVELINK_IMAGE=%s\nCASSANDRA_IMAGE=%s\n' "$MEMBER_IMAGE" "$cassandra" > "$ROOT/deploy/docker-compose/.env"
step "done in $(( $(date +%s) - started )) s; deploy/docker-compose/.env:"
cat "$ROOT/deploy/docker-compose/.env"
