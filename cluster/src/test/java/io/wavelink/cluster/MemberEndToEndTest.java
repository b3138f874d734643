package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.testkit.TestCassandra;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The foundation's user story against real parts: one member with every role, a real Cassandra
 * (started by the build), the real HTTP server and real WebAssembly. Deploy over HTTP, invoke, see
 * every error status, restart the member, and invoke again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemberEndToEndTest {

  private static WaveLinkMember member;
  private static Http http;

  static Config memberConfig() {
    return ConfigFactory.parseMap(
            Map.of(
                "wavelink.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pekko.actor.serialize-messages", "on",
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "wavelink.function.queue.capacity", 4,
                // the example functions touch little memory: reservations may exceed the test heap
                "wavelink.node.capacity-mb", 4096))
        .withFallback(TestCassandra.config())
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application"));
  }

  static WaveLinkMember startMember(Config overrides) throws Exception {
    WaveLinkMember m = WaveLinkMember.start(ConfigFactory.load(overrides));
    Http client = new Http(m.httpPort());
    client.await("member ready", () -> client.get("/health/ready").statusCode() == 200);
    return m;
  }

  @BeforeAll
  static void start() throws Exception {
    member = startMember(memberConfig());
    http = new Http(member.httpPort());
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  @Test
  @Order(1)
  void deployListAndInvokeEcho() throws Exception {
    HttpResponse<String> created = http.deploy("echo", ExampleFunctions.load("echo"), Map.of("concurrency", 4));
    assertEquals(201, created.statusCode(), created.body());
    assertEquals(1, Http.json(created.body()).get("version").asLong());

    HttpResponse<byte[]> invoked = http.invoke("echo", "hello wavelink".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, invoked.statusCode());
    assertEquals("hello wavelink", new String(invoked.body(), StandardCharsets.UTF_8));
    assertTrue(invoked.headers().firstValue("X-WaveLink-Instance").orElse("").startsWith("echo-"));
    assertTrue(List.of("regular", "emergency").contains(invoked.headers().firstValue("X-WaveLink-Instance-Kind").orElse("")));
    assertEquals("true", invoked.headers().firstValue("X-WaveLink-Cold-Start").orElseThrow());
    Double.parseDouble(invoked.headers().firstValue("X-WaveLink-Duration-Ms").orElseThrow());

    HttpResponse<byte[]> warm = http.invoke("echo", "again".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, warm.statusCode());
    assertEquals("false", warm.headers().firstValue("X-WaveLink-Cold-Start").orElseThrow());

    JsonNode one = Http.json(http.get("/v1/functions/echo").body());
    assertEquals("echo", one.get("name").asText());
    assertEquals(4, one.get("spec").get("concurrency").asInt());
    assertTrue(!one.get("spec").has("code"), "the listing never carries the code");
    // the emergency instance that took the cold call retires once regular capacity is there (or after
    // its idle TTL); the regular track starts an instance for the demand it saw, within a tick or two
    http.await("a regular instance for the observed demand", () -> {
      JsonNode now = Http.json(http.get("/v1/functions/echo").body());
      for (JsonNode inst : now.get("instances")) {
        if (inst.path("kind").asText().equals("regular")) {
          return true;
        }
      }
      return false;
    });

    JsonNode all = Http.json(http.get("/v1/functions").body());
    assertTrue(all.get("functions").findValuesAsText("name").contains("echo"));

    JsonNode nodes = Http.json(http.get("/v1/nodes").body());
    http.await("node view", () -> Http.json(http.get("/v1/nodes").body()).get("nodes").size() == 1);
    assertTrue(nodes.get("nodes").size() <= 1);
  }

  @Test
  @Order(2)
  void updatesBumpTheVersionAndStaleUpdatesConflict() throws Exception {
    HttpResponse<String> updated = http.deploy("echo", ExampleFunctions.load("echo"), Map.of("concurrency", 2));
    assertEquals(200, updated.statusCode(), updated.body());
    long version = Http.json(updated.body()).get("version").asLong();
    assertEquals(2, version);

    HttpResponse<String> stale =
        http.deploy("echo", ExampleFunctions.load("echo"), Map.of(), Map.of("If-Match", "1"));
    Http.assertError(stale, 409);

    HttpResponse<byte[]> after = http.invoke("echo", "v2".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, after.statusCode());
    assertEquals("v2", new String(after.body(), StandardCharsets.UTF_8));
  }

  @Test
  @Order(3)
  void sixMegabytesInAndOut() throws Exception {
    byte[] big = new byte[6 * 1024 * 1024 - 16];
    Arrays.fill(big, (byte) 'x');
    HttpResponse<byte[]> r = http.invoke("echo", big);
    assertEquals(200, r.statusCode());
    assertArrayEquals(big, r.body());

    HttpResponse<byte[]> tooBig = http.invoke("echo", new byte[6 * 1024 * 1024 + 1]);
    Http.assertError(tooBig, 413);
  }

  @Test
  @Order(4)
  void badDeploysAreRejectedWith400() throws Exception {
    Http.assertError(http.put("/v1/functions/broken", "{not json"), 400);
    Http.assertError(http.put("/v1/functions/broken", "{\"code\": \"AAAA\", \"colour\": 1}"), 400);
    Http.assertError(http.deploy("broken", "not wasm".getBytes(StandardCharsets.UTF_8), Map.of()), 400);
    Http.assertError(http.deploy("broken", ExampleFunctions.load("echo"), Map.of("memoryMb", -1)), 400);
    Http.assertError(http.deploy("Bad_Name", ExampleFunctions.load("echo"), Map.of()), 400);
    Http.assertError(http.get("/v1/functions/broken"), 404);
  }

  @Test
  @Order(5)
  void unknownFunctionsAre404() throws Exception {
    Http.assertError(http.invoke("nope", new byte[0]), 404);
    Http.assertError(http.get("/v1/functions/nope"), 404);
    Http.assertError(http.delete("/v1/functions/nope"), 404);
    Http.assertError(http.get("/v1/nothing-here"), 404);
  }

  @Test
  @Order(6)
  void trapsAre502WithTheirStderrAndHarmNoOtherFunction() throws Exception {
    assertEquals(201, http.deploy("trap", ExampleFunctions.load("trap"), Map.of()).statusCode());
    HttpResponse<byte[]> r = http.invoke("trap", new byte[0]);
    JsonNode body = Http.assertError(r, 502);
    assertTrue(body.has("stderr"), body.toString());

    assertEquals(201, http.deploy("fail", ExampleFunctions.load("fail"), Map.of()).statusCode());
    Http.assertError(http.invoke("fail", new byte[0]), 502);

    assertEquals(200, http.invoke("echo", "still fine".getBytes(StandardCharsets.UTF_8)).statusCode());
  }

  @Test
  @Order(7)
  void runawayFunctionsTimeOutWith504() throws Exception {
    assertEquals(201, http.deploy("loop", ExampleFunctions.load("loop"), Map.of("timeoutMs", 300)).statusCode());
    Http.assertError(http.invoke("loop", new byte[0]), 504);
    assertEquals(200, http.invoke("echo", "alive".getBytes(StandardCharsets.UTF_8)).statusCode());
  }

  @Test
  @Order(7)
  void eachCallHasAnIdThatTheFunctionAndTheCallerSee() throws Exception {
    // a variable of that name in the spec does not hide the call's own id
    assertEquals(201, http.deploy("whoami", ExampleFunctions.load("invocation-id"),
        Map.of("env", Map.of("WAVELINK_INVOCATION_ID", "spoofed"))).statusCode());
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> r = http.invoke("whoami", new byte[0]);
      assertEquals(200, r.statusCode());
      String header = r.headers().firstValue("X-WaveLink-Invocation-Id").orElseThrow();
      assertTrue(header.matches("req_[0-9a-f]{16}"), header);
      assertEquals(header, new String(r.body(), StandardCharsets.UTF_8), "the function saw the id the caller got");
      seen.add(header);
    }
    assertEquals(3, seen.size(), "one id per call: " + seen);
    // an answer that is an error carries it too
    HttpResponse<byte[]> failed = http.invoke("fail", new byte[0]);
    assertTrue(failed.headers().firstValue("X-WaveLink-Invocation-Id").orElse("").startsWith("req_"), failed.headers().toString());
  }

  @Test
  @Order(8)
  void aFullQueueAnswers429WithRetryAfter() throws Exception {
    // one slot, no emergency track, a queue of 4 (test config): 12 slow calls at once overflow it
    assertEquals(
        201,
        http.deploy("slow", ExampleFunctions.load("busy"),
                Map.of("maxScale", 1, "controlPlaneMode", "sync", "timeoutMs", 20000))
            .statusCode());
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      calls.add(http.invokeAsync("slow", "300".getBytes(StandardCharsets.UTF_8)));
    }
    int ok = 0;
    int overloaded = 0;
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      HttpResponse<byte[]> r = c.join();
      if (r.statusCode() == 200) {
        ok++;
      } else {
        Http.assertError(r, 429);
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        overloaded++;
      }
    }
    assertTrue(ok >= 1, "some calls are served");
    assertTrue(overloaded >= 1, "the queue bound turns the rest away");
  }

  @Test
  @Order(9)
  void metricsArePrometheusText() throws Exception {
    http.await(
        "metrics after a Kamon tick",
        () -> http.get("/metrics").body().contains("wavelink_invocations_total"));
    // the JVM's and the process's own series too, for operators
    http.await(
        "JVM and process series",
        () -> {
          String text = http.get("/metrics").body();
          return text.contains("jvm_memory_used") && text.contains("jvm_gc") && text.contains("jvm_threads")
              && text.contains("process_cpu_usage") && text.contains("process_ulimit_file_descriptors");
        });
    assertTrue(!http.get("/metrics").body().contains("host_cpu_usage"), "the machine's series are off");
  }

  @Test
  @Order(10)
  void deleteFreesTheName() throws Exception {
    assertEquals(201, http.deploy("gone", ExampleFunctions.load("echo"), Map.of()).statusCode());
    assertEquals(200, http.delete("/v1/functions/gone").statusCode());
    Http.assertError(http.invoke("gone", new byte[0]), 404);
    assertEquals(201, http.deploy("gone", ExampleFunctions.load("echo"), Map.of()).statusCode());
  }

  @Test
  @Order(11)
  void functionsSurviveAMemberRestart() throws Exception {
    member.close();
    member = startMember(memberConfig());
    http = new Http(member.httpPort());
    JsonNode all = Http.json(http.get("/v1/functions").body());
    List<String> names = all.get("functions").findValuesAsText("name");
    assertTrue(names.containsAll(List.of("echo", "trap", "fail", "loop", "slow", "gone")), names.toString());
    assertEquals(0, all.get("unavailable").size(), all.toString());

    // a page at a time, in name order, each function once
    List<String> paged = new java.util.ArrayList<>();
    String after = null;
    do {
      JsonNode page = Http.json(http.get("/v1/functions?limit=2" + (after == null ? "" : "&after=" + after)).body());
      assertTrue(page.get("functions").size() <= 2, page.toString());
      paged.addAll(page.get("functions").findValuesAsText("name"));
      after = page.path("next").asText(null);
    } while (after != null);
    assertEquals(names.stream().sorted().toList(), paged);
    Http.assertError(http.get("/v1/functions?limit=0"), 400);
    Http.assertError(http.get("/v1/functions?limit=many"), 400);
    assertEquals(2, Http.json(http.get("/v1/functions/echo").body()).get("version").asLong());
    HttpResponse<byte[]> r = http.invoke("echo", "after restart".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode());
    assertEquals("after restart", new String(r.body(), StandardCharsets.UTF_8));
  }
}
