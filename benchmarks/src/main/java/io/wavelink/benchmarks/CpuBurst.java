package io.wavelink.benchmarks;

import io.wavelink.node.sandbox.ExampleFunctions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Issue 10's CPU-bound burst, through the gateway of one in-process member (real Cassandra, real
 * HTTP, real WebAssembly): a cold {@code dual} function running the {@code work} example
 * ({@code concurrency 1}, {@code maxScale 64}, {@code timeoutMs 5000}) gets {@code --calls}
 * concurrent calls of {@code --rounds} rounds (100,000: about 1 ms compiled). Every run deploys a
 * module of its own (the example plus a custom section naming the run), so that every run finds
 * its node without the compiled module, as a new function does.
 *
 * <p>Then, with the module compiled on the node, a second cold function with the same code gets
 * {@code --calls} calls one after the other: its first calls run on emergency instances, which now
 * start compiled, and the later ones on regular instances once they are there. The medians of
 * {@code X-WaveLink-Duration-Ms} (the time inside the sandbox) by instance kind compare the two
 * tracks' execution time after the compile.
 *
 * <p>Writes a JSON summary to {@code --out}; prints one line per run.
 */
public final class CpuBurst {

  private record Call(int status, String kind, String tier, double latencyMs, double durationMs) {}

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv, List.of("cassandra", "runs", "calls", "rounds", "out", "work-dir"));
    int runs = args.integer("runs", 3);
    int calls = args.integer("calls", 200);
    String rounds = args.string("rounds", "100000");
    Path out = Path.of(args.string("out", "benchmarks/results/cpuburst.json"));
    Path workDir = Path.of(args.string("work-dir", "benchmarks/target/cpuburst"));
    Files.createDirectories(workDir);
    String cassandra = BenchmarkMember.cassandra(args, workDir);
    StringBuilder json = new StringBuilder("{\n  \"calls\": " + calls + ", \"rounds\": " + rounds + ",\n  \"runs\": [\n");
    try (BenchmarkMember m =
        BenchmarkMember.start(cassandra, 0, Map.of(
            // a node of a real size: the burst's instances fit, as on a member started by bin/wavelink
            "wavelink.node.capacity-mb", 8192,
            "wavelink.function.emergency.budget", 100))) {
      String base = "http://127.0.0.1:" + m.member.httpPort();
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      for (int run = 1; run <= runs; run++) {
        byte[] module = withCustomSection(ExampleFunctions.load("work"), "wavelink-benchmark-run-" + run + "-" + System.nanoTime());
        String burst = "cpu-burst-" + run;
        deploy(http, base, burst, module);
        List<Call> burstCalls = burst(http, base, burst, rounds, calls);

        String after = "cpu-after-" + run;
        deploy(http, base, after, module);
        List<Call> sequential = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
          sequential.add(invoke(http, base, after, rounds).join());
        }
        String line = summary(run, burstCalls, sequential);
        System.out.println(line);
        json.append("    ").append(line).append(run < runs ? ",\n" : "\n");
      }
    }
    json.append("  ]\n}\n");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.exit(0);
  }

  /** {@code wasm} with a custom section appended: the same code, another content hash. */
  static byte[] withCustomSection(byte[] wasm, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (n.length > 120) {
      throw new IllegalArgumentException("name too long");
    }
    byte[] out = new byte[wasm.length + 3 + n.length];
    System.arraycopy(wasm, 0, out, 0, wasm.length);
    out[wasm.length] = 0; // custom section
    out[wasm.length + 1] = (byte) (1 + n.length); // its size (one LEB128 byte)
    out[wasm.length + 2] = (byte) n.length; // the name's length
    System.arraycopy(n, 0, out, wasm.length + 3, n.length);
    return out;
  }

  private static void deploy(HttpClient http, String base, String name, byte[] module) throws Exception {
    String body = "{\"runtime\":\"wasm\",\"code\":\"" + Base64.getEncoder().encodeToString(module)
        + "\",\"memoryMb\":32,\"concurrency\":1,\"maxScale\":64,\"timeoutMs\":5000,\"controlPlaneMode\":\"dual\"}";
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create(base + "/v1/functions/" + name))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      throw new IllegalStateException("deploy of " + name + ": " + r.statusCode() + " " + r.body());
    }
  }

  private static CompletableFuture<Call> invoke(HttpClient http, String base, String name, String rounds) {
    long start = System.nanoTime();
    return http.sendAsync(
            HttpRequest.newBuilder(URI.create(base + "/v1/functions/" + name + "/invoke"))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(rounds))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .thenApply(r -> new Call(
            r.statusCode(),
            r.headers().firstValue("X-WaveLink-Instance-Kind").orElse("none"),
            r.headers().firstValue("X-WaveLink-Execution").orElse("none"),
            (System.nanoTime() - start) / 1e6,
            Double.parseDouble(r.headers().firstValue("X-WaveLink-Duration-Ms").orElse("-1"))));
  }

  private static List<Call> burst(HttpClient http, String base, String name, String rounds, int n) {
    List<CompletableFuture<Call>> pending = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pending.add(invoke(http, base, name, rounds));
    }
    return pending.stream().map(CompletableFuture::join).toList();
  }

  private static String summary(int run, List<Call> burst, List<Call> sequential) {
    Map<String, Integer> statuses = new TreeMap<>();
    Map<String, Integer> tiers = new TreeMap<>();
    long[] latencies = new long[burst.size()];
    for (int i = 0; i < burst.size(); i++) {
      Call c = burst.get(i);
      statuses.merge(String.valueOf(c.status()), 1, Integer::sum);
      tiers.merge(c.kind() + "/" + c.tier(), 1, Integer::sum);
      latencies[i] = Math.round(c.latencyMs() * 1000);
    }
    Stats.sort(latencies, latencies.length);
    Map<String, List<Double>> durations = new TreeMap<>();
    for (Call c : sequential) {
      if (c.status() == 200) {
        durations.computeIfAbsent(c.kind() + "/" + c.tier(), k -> new ArrayList<>()).add(c.durationMs());
      }
    }
    StringBuilder d = new StringBuilder("{");
    durations.forEach((k, v) -> d.append(d.length() > 1 ? ", " : "").append(String.format(java.util.Locale.ROOT,
        "\"%s\": {\"calls\": %d, \"medianMs\": %.3f}", k, v.size(), Stats.median(v))));
    d.append("}");
    return String.format(java.util.Locale.ROOT,
        "{\"run\": %d, \"burst\": {\"statuses\": %s, \"kindAndTier\": %s, \"p50Ms\": %.1f, \"p99Ms\": %.1f, \"maxMs\": %.1f},"
            + " \"afterCompile\": {\"durationByKindAndTier\": %s}}",
        run, json(statuses), json(tiers),
        Stats.percentile(latencies, latencies.length, 50) / 1000.0,
        Stats.percentile(latencies, latencies.length, 99) / 1000.0,
        latencies[latencies.length - 1] / 1000.0, d);
  }

  private static String json(Map<String, Integer> m) {
    StringBuilder b = new StringBuilder("{");
    m.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v));
    return b.append('}').toString();
  }
}
