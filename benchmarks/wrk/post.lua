-- wrk script for benchmarks/run.sh: every request is a POST of a small body, which the raw server
-- (RawHello) and the echo function behind the gateway both send back.
wrk.method = "POST"
wrk.body = "hello"
wrk.headers["Content-Type"] = "application/octet-stream"
