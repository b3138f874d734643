#!/bin/bash
# Container health check of a WaveLink member: exits 0 when GET <path> on the member's HTTP port
# (WAVELINK_HTTP_PORT, default 8080) answers 200. Default path /health/ready: 200 once the member is
# Up in the cluster and Cassandra answers. Uses curl when the image has it, else bash's /dev/tcp.
path="${1:-/health/ready}"
url="http://127.0.0.1:${WAVELINK_HTTP_PORT:-8080}${path}"
if command -v curl >/dev/null 2>&1; then
  exec curl -fsS -o /dev/null --max-time 4 "$url"
fi
exec 3<>"/dev/tcp/127.0.0.1/${WAVELINK_HTTP_PORT:-8080}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 4 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "$url: ${status%$'\r'}" >&2; exit 1 ;;
esac
