-- wrk script for benchmarks/run.sh's async run: every request is an asynchronous invocation (202
-- once Cassandra holds it) of the echo function with a small body.
wrk.method = "POST"
wrk.body = "hello"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["X-WaveLink-Invocation-Type"] = "async"
