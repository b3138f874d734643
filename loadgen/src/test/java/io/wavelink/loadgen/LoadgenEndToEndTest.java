package io.wavelink.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.persistence.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load generator against a real WaveLink member (every role, real Cassandra, real HTTP, real
 * WebAssembly), started in-process as the cluster's own end-to-end test does: a small synthetic
 * workload replayed by {@code run}, and a smaller one by {@code compare}, through {@link Main}.
 */
class LoadgenEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static WaveLinkMember member;
  private static String target;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    // the busy functions touch little memory: reservations may exceed the test heap
    member = TestMember.start(4096);
    target = TestMember.url(member);
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  @Test
  void runReplaysASyntheticWorkloadAndWritesEveryOutput() throws Exception {
    // two functions, about 60 invocations of 10-200 ms over one trace minute, replayed in 15 s
    String trace = "synthetic:azure?functions=2&minutes=1&rate=1&duration=50&maxDuration=200&memory=4";
    Path out = dir.resolve("run");
    List<String> args = List.of("run", "--trace", trace, "--target", target, "--out", out.toString(),
        "--speedup", "4", "--seed", "11", "--quiet");
    Workload workload = Workload.load(LoadgenOptions.parse("run", args.subList(1, args.size())));
    int expected = workload.invocations().size();
    assertTrue(expected > 20, "a workload worth replaying: " + expected);

    Result r = main(args);
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("[dual] wrote " + out), r.out());

    for (String f : List.of("invocations.csv", "instances.csv", "summary.json", "report.html")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    List<String> rows = Files.readAllLines(out.resolve("invocations.csv"));
    assertEquals(expected + 1, rows.size(), "a header and one row per invocation");
    assertTrue(rows.stream().skip(1).allMatch(l -> l.split(",", -1)[8].equals("200")), "every status 200");

    JsonNode s = JSON.readTree(out.resolve("summary.json").toFile());
    for (String key : List.of("invocations", "failures", "p50Ms", "p99Ms", "slowdownGeomean", "slowdownP99", "regularShare",
        "coldStartsByTrack", "instanceSeconds", "mbSeconds", "throughput", "p90Ms", "p999Ms", "slowdownPerFunction",
        "schedulingLatency", "failuresByStatus", "peakInstances", "generatorLag", "dirigent", "concurrency")) {
      assertTrue(s.has(key), "summary.json has " + key);
    }
    assertEquals(expected, s.get("invocations").asInt());
    assertEquals(0, s.get("failures").asInt(), s.path("failureExamples").toString());
    assertEquals("dual", s.get("mode").asText());
    assertTrue(s.get("slowdownGeomean").asDouble() >= 1, "no invocation answers before it has run");
    double share = s.get("regularShare").asDouble();
    assertTrue(share >= 0 && share <= 1);
    JsonNode cold = s.get("coldStartsByTrack");
    assertTrue(cold.get("regular").asInt() + cold.get("emergency").asInt() >= 2, "each function started cold: " + cold);
    assertTrue(s.path("instanceSeconds").path("total").asDouble() > 0, "cost read from the cluster: " + s.get("instanceSeconds"));
    assertTrue(s.path("mbSeconds").path("total").asDouble() > 0);
    assertTrue(s.path("peakInstances").path("total").asInt() >= 1);
    assertEquals(2, s.path("slowdownPerFunction").path("functions").asInt());
    assertEquals(2, s.path("cluster").path("functionsListed").asInt());

    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("<svg") && html.contains("Instances by kind"));
    assertNoLoadgenFunctionsLeft();
  }

  @Test
  void compareRunsEveryModeUnderItsOwnNames() throws Exception {
    String trace = "synthetic:burst?shape=square&base=2&peak=6&period=4&minutes=0.1&duration=20&memory=2";
    Path out = dir.resolve("compare");
    List<String> args = List.of("compare", "--trace", trace, "--target", target, "--out", out.toString(), "--seed", "5",
        "--work", "sleep", "--warmup-minutes", "0", "--quiet");
    int expected = Workload.load(LoadgenOptions.parse("compare", args.subList(1, args.size()))).invocations().size();

    Result r = main(args);
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("sync/dual") && r.out().contains("async/dual") && r.out().contains("p99 slowdown"), r.out());
    assertTrue(r.out().contains("Dirigent slowdown p80") && r.out().contains("as the sleep example (work sleep)"), r.out());

    JsonNode compare = JSON.readTree(out.resolve("compare.json").toFile());
    List<String> names = new ArrayList<>();
    for (String mode : LoadgenOptions.MODES) {
      JsonNode s = compare.path("modes").path(mode);
      assertEquals(mode, s.path("mode").asText());
      assertEquals(expected, s.path("invocations").asInt(), mode);
      assertEquals(0, s.path("failures").asInt(), mode + " " + s.path("failureExamples"));
      assertEquals("sleep", s.path("settings").path("work").asText(), "the sleep example ran");
      JsonNode dirigent = s.path("dirigent");
      assertEquals(expected, dirigent.path("invocationsAfterWarmup").asInt(), mode + ": no warm-up to drop");
      assertEquals(1, dirigent.path("perFunctionSlowdown").path("functions").asInt(), mode + " " + dirigent);
      assertTrue(dirigent.path("perFunctionSlowdown").path("p50").asDouble() >= 1, mode + ": a sleep lasts at least its duration");
      assertTrue(dirigent.path("perFunctionSchedulingLatencyMs").path("max").isNumber(), mode + " " + dirigent);
      assertTrue(Files.exists(out.resolve(mode).resolve("summary.json")), mode);
      assertEquals(expected + 1, Files.readAllLines(out.resolve(mode).resolve("invocations.csv")).size(), mode);
      String function = Files.readAllLines(out.resolve(mode).resolve("invocations.csv")).get(1).split(",")[0];
      assertTrue(function.startsWith("lg-" + mode + "-"), function);
      names.add(function);
    }
    assertEquals(3, names.stream().distinct().count(), "each mode starts cold under its own name");
    // sync and async have no emergency track: every invocation ran on a regular instance
    assertEquals(1.0, compare.path("modes").path("sync").path("regularShare").asDouble());
    assertEquals(1.0, compare.path("modes").path("async").path("regularShare").asDouble());
    assertEquals(0, compare.path("modes").path("sync").path("coldStartsByTrack").path("emergency").asInt());
    assertTrue(compare.path("ratios").has("sync/dual") && compare.path("ratios").has("async/dual"));
    assertTrue(Files.readString(out.resolve("report.html")).contains("control-plane modes compared"));
    assertNoLoadgenFunctionsLeft();
  }

  private static void assertNoLoadgenFunctionsLeft() throws Exception {
    JsonNode all = JSON.readTree(get("/v1/functions").body());
    for (JsonNode f : all.path("functions")) {
      assertTrue(!f.path("name").asText().startsWith("lg-"), "left behind: " + f.path("name"));
    }
  }

  record Result(int status, String out, String err) {}

  private static Result main(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(target + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, Duration patience, Await.Check check) {
    Await.until(what, patience, check);
  }
}
