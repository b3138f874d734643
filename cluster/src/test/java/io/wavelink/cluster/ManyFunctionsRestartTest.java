package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.wavelink.node.sandbox.ExampleFunctions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A member with many functions restarts (issue 15, "restart without a storm"): once it says it is
 * ready, every deployed function answers its first call (no 503, nothing lost), and the regular
 * instances of the functions with {@code minScale} come back.
 */
class ManyFunctionsRestartTest {

  private static final int FUNCTIONS = 200;
  private static final int WITH_MIN_SCALE = 10;
  private static WaveLinkMember member;

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  private static String name(int i) {
    return String.format("many-%03d", i);
  }

  @Test
  void everyFunctionAnswersItsFirstCallOnceTheRestartedMemberIsReady() throws Exception {
    Config config = MemberEndToEndTest.memberConfig();
    member = MemberEndToEndTest.startMember(config);
    Http http = new Http(member.httpPort());
    byte[] echo = ExampleFunctions.load("echo");
    for (int i = 0; i < FUNCTIONS; i++) {
      Map<String, Object> spec = i < WITH_MIN_SCALE ? Map.of("memoryMb", 16, "minScale", 1) : Map.of("memoryMb", 16);
      HttpResponse<String> r = http.deploy(name(i), echo, spec);
      assertEquals(201, r.statusCode(), name(i) + ": " + r.body());
    }

    member.close();
    member = MemberEndToEndTest.startMember(config); // returns once /health/ready answers 200
    Http after = new Http(member.httpPort());
    try {
      firstCallsAndMinScale(after);
    } finally {
      // the other tests of this JVM share its Cassandra: they list functions
      for (int i = 0; i < FUNCTIONS; i++) {
        after.delete("/v1/functions/" + name(i));
      }
    }
  }

  private static void firstCallsAndMinScale(Http after) throws Exception {
    // every function at once (16 calls in flight), right after ready
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < FUNCTIONS; i++) {
      inFlight.acquire();
      calls.add(after.invokeAsync(name(i), name(i).getBytes(StandardCharsets.UTF_8))
          .whenComplete((r, e) -> inFlight.release()));
    }
    Map<Integer, Integer> byStatus = new TreeMap<>();
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < FUNCTIONS; i++) {
      HttpResponse<byte[]> r = calls.get(i).join();
      byStatus.merge(r.statusCode(), 1, Integer::sum);
      String body = new String(r.body(), StandardCharsets.UTF_8);
      if (r.statusCode() != 200 || !body.equals(name(i))) {
        wrong.add(name(i) + " " + r.statusCode() + " " + body);
      }
    }
    System.out.println("first calls after the restart, by status: " + byStatus);
    assertEquals(List.of(), wrong, "every function answers its first call after ready: " + byStatus);

    // the minScale functions' regular instances are back
    after.await("the minScale functions' regular instances ready", () -> IntStream.range(0, WITH_MIN_SCALE).allMatch(i -> {
      try {
        JsonNode f = Http.json(after.get("/v1/functions/" + name(i)).body());
        return f.path("instancesByKind").path("regular").path("ready").asInt() >= 1;
      } catch (Exception e) {
        return false;
      }
    }));
  }
}
