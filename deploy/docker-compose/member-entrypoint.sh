#!/bin/sh
# Starts one WaveLink member in a container (the member image's ENTRYPOINT).
#
# Before it execs the JVM (so that the JVM is PID 1 and a SIGTERM from `docker stop` reaches it and
# starts Pekko's graceful leave), it fills in what a scaled container cannot be given statically:
#
#   WAVELINK_CLUSTER_HOST   unset, empty or "auto": this container's own IPv4 address. Replicas of a
#                           scaled service share one service name, so they cannot be reached through
#                           a hostname of their own; their IP is unique and routable on the network.
#   WAVELINK_SEED_DNS_NAMES (read here only) comma-separated DNS names, e.g. the compose service
#                           "worker". Every IPv4 address they resolve to (except this container's)
#                           is appended to WAVELINK_SEED_NODES as pekko://wavelink@IP:PORT, PORT being
#                           WAVELINK_CLUSTER_PORT. So a member can join through any running member,
#                           and a restarted seed rejoins the running cluster instead of forming a
#                           second one (the first seed node tries the others before joining itself).
#
# Every other WAVELINK_* variable is read by the member itself; JAVA_OPTS holds the JVM flags.
# Arguments are passed on to io.wavelink.cluster.WaveLinkMember.
set -eu

WAVELINK_HOME="${WAVELINK_HOME:-/opt/wavelink}"
port="${WAVELINK_CLUSTER_PORT:-2551}"

# The Dockerfile's image: the distribution under $WAVELINK_HOME, WaveLink's own jars first (their
# reference.conf must win over the Pekko defaults they override). The Jib image (cluster/pom.xml,
# profile `image`) sets WAVELINK_CLASSPATH to its own ordered classpath file instead
# (@/app/jib-classpath-file, a java argument file).
classpath="${WAVELINK_CLASSPATH:-$WAVELINK_HOME/wavelink-cluster.jar:$(ls "$WAVELINK_HOME"/lib/wavelink-*.jar 2>/dev/null | tr '\n' ':')$WAVELINK_HOME/lib/*}"

# `schema`: apply WaveLink's Cassandra schema (the compose file's one-shot cassandra-schema service)
# and exit; the schema comes from this image's own jars, so it always matches its members.
if [ "${1:-}" = "schema" ]; then
  shift
  # shellcheck disable=SC2086
  exec java ${SCHEMA_JAVA_OPTS:--Xmx128m} -cp "$classpath" io.wavelink.persistence.Schema "$@"
fi

own_ipv4() {
  for a in $(hostname -i 2>/dev/null || true); do
    case "$a" in
      127.*) ;;
      *.*.*.*) echo "$a"; return 0 ;;
    esac
  done
  # Docker sets HOSTNAME and maps it to the container's address in /etc/hosts
  getent ahostsv4 "${HOSTNAME:-$(cat /etc/hostname)}" | awk '$1 !~ /^127\./ { print $1; exit }'
}

# `cassandra`: the wavelink-cassandra image (Dockerfile.cassandra, built over this one). The
# launcher io.wavelink.persistence.CassandraServer runs Cassandra in a child JVM with its data in
# /var/lib/cassandra, listening on this container's own address (so the compose network reaches it
# as cassandra:9042), and stops it on SIGTERM (`docker stop`, `docker compose restart`).
if [ "${1:-}" = "cassandra" ]; then
  host="${CASSANDRA_HOST:-$(own_ipv4)}"
  [ -n "$host" ] || { echo "member-entrypoint: cannot determine this container's IPv4 address; set CASSANDRA_HOST" >&2; exit 1; }
  echo "member-entrypoint: Cassandra on $host:9042, heap ${CASSANDRA_HEAP:-512m}, data in /var/lib/cassandra"
  exec java -Xmx96m -cp "$classpath" io.wavelink.persistence.CassandraServer \
    --dir /var/lib/cassandra --host "$host" --port 9042 --heap "${CASSANDRA_HEAP:-512m}" \
    --classpath-file /opt/cassandra/cassandra.classpath
fi

self_ip="$(own_ipv4)"
if [ -z "${WAVELINK_CLUSTER_HOST:-}" ] || [ "${WAVELINK_CLUSTER_HOST}" = "auto" ]; then
  if [ -z "$self_ip" ]; then
    echo "member-entrypoint: cannot determine this container's IPv4 address; set WAVELINK_CLUSTER_HOST" >&2
    exit 1
  fi
  WAVELINK_CLUSTER_HOST="$self_ip"
fi
export WAVELINK_CLUSTER_HOST

seeds="${WAVELINK_SEED_NODES:-}"
if [ -n "${WAVELINK_SEED_DNS_NAMES:-}" ]; then
  for name in $(echo "$WAVELINK_SEED_DNS_NAMES" | tr ',' ' '); do
    # a name with no running container behind it does not resolve: nothing to add
    for ip in $(timeout 5 getent ahostsv4 "$name" 2>/dev/null | awk '{ print $1 }' | sort -u); do
      if [ "$ip" = "$self_ip" ]; then
        continue
      fi
      peer="pekko://wavelink@$ip:$port"
      case ",$seeds," in
        *",$peer,"*) ;;
        *) seeds="${seeds:+$seeds,}$peer" ;;
      esac
    done
  done
fi
if [ -n "$seeds" ]; then
  export WAVELINK_SEED_NODES="$seeds"
fi

echo "member-entrypoint: pekko://wavelink@${WAVELINK_CLUSTER_HOST}:${port}" \
  "roles=${WAVELINK_ROLES:-gateway,control,worker}" \
  "seeds=${WAVELINK_SEED_NODES:-<none: forms its own cluster>}" \
  "cassandra=${WAVELINK_CASSANDRA_CONTACT_POINTS:-<default>}"

# JAVA_OPTS is split into words on purpose (several flags in one variable)
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp "$classpath" io.wavelink.cluster.WaveLinkMember "$@"
