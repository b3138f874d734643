#!/bin/sh
# Starts the single Cassandra node of the wavelink-cassandra image (Dockerfile.cassandra): the
# launcher io.wavelink.persistence.CassandraServer runs Cassandra in a child JVM with its data in
# /var/lib/cassandra, listening on this container's own address (so the compose network reaches it
# as cassandra:9042), and stops it on SIGTERM (`docker stop`, `docker compose restart`).
set -eu
WAVELINK_HOME="${WAVELINK_HOME:-/opt/wavelink}"
host="${CASSANDRA_HOST:-}"
if [ -z "$host" ]; then
  for a in $(hostname -i 2>/dev/null || true); do
    case "$a" in
      127.*) ;;
      *.*.*.*) host="$a"; break ;;
    esac
  done
fi
[ -n "$host" ] || { echo "cassandra-entrypoint: cannot determine this container's IPv4 address; set CASSANDRA_HOST" >&2; exit 1; }
classpath="${WAVELINK_CLASSPATH:-$WAVELINK_HOME/wavelink-cluster.jar:$(ls "$WAVELINK_HOME"/lib/wavelink-*.jar 2>/dev/null | tr '\n' ':')$WAVELINK_HOME/lib/*}"
echo "cassandra-entrypoint: Cassandra on $host:9042, heap ${CASSANDRA_HEAP:-512m}, data in /var/lib/cassandra"
exec java -Xmx96m -cp "$classpath" io.wavelink.persistence.CassandraServer \
  --dir /var/lib/cassandra --host "$host" --port 9042 --heap "${CASSANDRA_HEAP:-512m}" \
  --classpath-file /opt/cassandra/cassandra.classpath
