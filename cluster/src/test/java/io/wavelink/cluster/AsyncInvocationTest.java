package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.testkit.Await;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Asynchronous invocations against one real member, a real Cassandra and real WebAssembly: accepted
 * (202) only once recorded, then succeeded with its result; a trapping function retried, then
 * dead-lettered, then redriven; the idempotency key; paging; every mistake answered with a JSON error;
 * and the record gone after the retention (a Cassandra TTL, 30 s here).
 */
class AsyncInvocationTest {

  private static final Map<String, String> ASYNC = Map.of("X-WaveLink-Invocation-Type", "async");
  private static WaveLinkMember member;
  private static Http http;

  @BeforeAll
  static void start() throws Exception {
    member = MemberEndToEndTest.startMember(
        // a function with no call for 2 s + 5 s goes idle in its dispatcher: the later tests' calls wake it
        ConfigFactory.parseMap(Map.of("wavelink.async.retention", "30s", "wavelink.async.max-input-size", "64KiB",
                "wavelink.async.backlog-refresh", "2s"))
            .withFallback(MemberEndToEndTest.memberConfig()));
    http = new Http(member.httpPort());
    assertEquals(201, http.deploy("aecho", ExampleFunctions.load("echo"), Map.of("concurrency", 4)).statusCode());
    assertEquals(201, http.deploy("atrap", ExampleFunctions.load("trap"),
        Map.of("asyncRetries", 1, "asyncBackoffMs", 50)).statusCode());
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  private static String submit(String function, String input, Map<String, String> headers) throws Exception {
    HttpResponse<String> r = http.post("/v1/functions/" + function + "/invoke", input.getBytes(StandardCharsets.UTF_8), headers);
    assertEquals(202, r.statusCode(), r.body());
    String id = Http.json(r.body()).get("id").asText();
    assertEquals("/v1/invocations/" + id, r.headers().firstValue("Location").orElseThrow());
    return id;
  }

  private static JsonNode awaitStatus(String id, String status) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    http.await("invocation " + id + " " + status + " (last seen: " + last + ")", () -> {
      HttpResponse<String> r = http.get("/v1/invocations/" + id);
      if (r.statusCode() != 200) {
        return false;
      }
      last.set(Http.json(r.body()));
      return status.equals(last.get().get("status").asText());
    });
    return last.get();
  }

  @Test
  void acceptedThenSucceededWithItsResult() throws Exception {
    String id = submit("aecho", "hello async", ASYNC);
    JsonNode done = awaitStatus(id, "succeeded");
    assertEquals(1, done.get("attempts").size(), done.toString());
    assertEquals("succeeded", done.get("attempts").get(0).get("outcome").asText());
    assertEquals(1, done.get("runs").asInt(), done.toString());
    HttpResponse<byte[]> result = http.getBytes("/v1/invocations/" + id + "/result");
    assertEquals(200, result.statusCode());
    assertEquals("hello async", new String(result.body(), StandardCharsets.UTF_8));

    // the other way to ask for it (RFC 7240)
    String preferred = submit("aecho", "preferred", Map.of("Prefer", "respond-async"));
    awaitStatus(preferred, "succeeded");
    assertEquals("preferred", new String(http.getBytes("/v1/invocations/" + preferred + "/result").body(), StandardCharsets.UTF_8));

    // the async calls went through the function's entity: they are in its invocation log
    http.await("async calls in the log", () ->
        Http.json(http.get("/v1/functions/aecho/logs").body()).get("entries").size() >= 2);
  }

  @Test
  void theFunctionSeesItsAsyncCallsId() throws Exception {
    assertEquals(201, http.deploy("aid", ExampleFunctions.load("invocation-id"), Map.of()).statusCode());
    String id = submit("aid", "", ASYNC);
    awaitStatus(id, "succeeded");
    assertEquals(id, new String(http.getBytes("/v1/invocations/" + id + "/result").body(), StandardCharsets.UTF_8),
        "WAVELINK_INVOCATION_ID is the id the caller got back");
  }

  @Test
  void aTrapIsRetriedThenDeadLetteredThenRedriven() throws Exception {
    String id = submit("atrap", "x", ASYNC);
    JsonNode dead = awaitStatus(id, "dead");
    // asyncRetries 1: two attempts, both function errors
    assertEquals(2, dead.get("attempts").size(), dead.toString());
    for (JsonNode a : dead.get("attempts")) {
      assertEquals("function_error", a.get("outcome").asText(), dead.toString());
    }
    Http.assertError(http.getBytes("/v1/invocations/" + id + "/result"), 409);

    JsonNode letters = Http.json(http.get("/v1/functions/atrap/dead-letters").body());
    assertTrue(letters.get("deadLetters").findValuesAsText("id").contains(id), letters.toString());

    HttpResponse<String> redriven = http.post("/v1/functions/atrap/dead-letters/" + id + "/redrive", new byte[0], Map.of());
    assertEquals(202, redriven.statusCode(), redriven.body());
    // a fresh budget: two more attempts, then dead again
    http.await("redriven and dead again", () -> {
      JsonNode now = Http.json(http.get("/v1/invocations/" + id).body());
      return now.get("status").asText().equals("dead") && now.get("attempts").size() == 4;
    });
    Http.assertError(http.post("/v1/functions/atrap/dead-letters/inv_nope/redrive", new byte[0], Map.of()), 404);
  }

  @Test
  void aDeadLetterIsDeliveredToTheDeadLetterFunctionOnce() throws Exception {
    assertEquals(201, http.deploy("adlq", ExampleFunctions.load("echo"), Map.of()).statusCode());
    assertEquals(201, http.deploy("atrap-dlq", ExampleFunctions.load("trap"),
        Map.of("asyncRetries", 0, "asyncDeadLetterFunction", "adlq")).statusCode());
    assertEquals("adlq", Http.json(http.get("/v1/functions/atrap-dlq").body()).findValue("asyncDeadLetterFunction").asText());
    String id = submit("atrap-dlq", "the input", ASYNC);
    awaitStatus(id, "dead");
    // the record arrives as an async call of adlq, which echoes it: its result is the record
    AtomicReference<JsonNode> delivery = new AtomicReference<>();
    http.await("a call of adlq that delivers " + id, () -> {
      for (JsonNode c : Http.json(http.get("/v1/functions/adlq/invocations").body()).get("invocations")) {
        if (c.path("source").asText().equals("dead letter of atrap-dlq " + id)) {
          delivery.set(c);
          return true;
        }
      }
      return false;
    });
    String deliveryId = delivery.get().get("id").asText();
    awaitStatus(deliveryId, "succeeded");
    JsonNode record = Http.json(new String(http.getBytes("/v1/invocations/" + deliveryId + "/result").body(), StandardCharsets.UTF_8));
    assertEquals(id, record.get("id").asText());
    assertEquals("atrap-dlq", record.get("function").asText());
    assertEquals("dead", record.get("status").asText());
    assertEquals(1, record.get("attempts").size(), record.toString());
    assertEquals("the input", new String(java.util.Base64.getDecoder().decode(record.get("input").asText()), StandardCharsets.UTF_8));
    long deliveries = 0;
    for (JsonNode c : Http.json(http.get("/v1/functions/adlq/invocations").body()).get("invocations")) {
      deliveries += c.path("source").asText().endsWith(" " + id) ? 1 : 0;
    }
    assertEquals(1, deliveries, "one delivery per dead letter");
    // a name that is not one is refused at deploy
    Http.assertError(http.deploy("atrap-bad", ExampleFunctions.load("trap"), Map.of("asyncDeadLetterFunction", "no such/name")), 400);
  }

  @Test
  void anIdempotencyKeyReturnsTheFirstCall() throws Exception {
    Map<String, String> headers = Map.of("X-WaveLink-Invocation-Type", "async", "Idempotency-Key", "order-42");
    String first = submit("aecho", "once", headers);
    HttpResponse<String> again = http.post("/v1/functions/aecho/invoke", "once".getBytes(StandardCharsets.UTF_8), headers);
    assertEquals(202, again.statusCode(), again.body());
    assertEquals(first, Http.json(again.body()).get("id").asText());
    assertTrue(Http.json(again.body()).get("replay").asBoolean());
    String other = submit("aecho", "once", Map.of("X-WaveLink-Invocation-Type", "async", "Idempotency-Key", "order-43"));
    assertNotEquals(first, other);
    awaitStatus(first, "succeeded");
  }

  @Test
  void aFunctionsCallsArePaged() throws Exception {
    assertEquals(201, http.deploy("apaged", ExampleFunctions.load("echo"), Map.of()).statusCode());
    Set<String> submitted = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      submitted.add(submit("apaged", "p" + i, ASYNC));
    }
    Set<String> listed = new HashSet<>();
    String page = null;
    int pages = 0;
    do {
      JsonNode body = Http.json(http.get("/v1/functions/apaged/invocations?limit=2" + (page == null ? "" : "&page=" + page)).body());
      body.get("invocations").forEach(i -> listed.add(i.get("id").asText()));
      page = body.get("next").isNull() ? null : body.get("next").asText();
      pages++;
    } while (page != null && pages < 10);
    assertEquals(submitted, listed);
    assertTrue(pages >= 2, "3 calls at 2 a page: " + pages + " pages");
    Http.assertError(http.get("/v1/functions/apaged/invocations?limit=0"), 400);
  }

  @Test
  void mistakesGetClearErrors() throws Exception {
    Http.assertError(http.post("/v1/functions/nope/invoke", new byte[1], ASYNC), 404);
    Http.assertError(http.post("/v1/functions/aecho/invoke", new byte[65 * 1024], ASYNC), 413);
    Http.assertError(http.post("/v1/functions/aecho/invoke", new byte[1],
        Map.of("X-WaveLink-Invocation-Type", "async", "Idempotency-Key", "k".repeat(300))), 400);
    Http.assertError(http.get("/v1/invocations/inv_missing"), 404);
    Http.assertError(http.deploy("abad", ExampleFunctions.load("echo"), Map.of("asyncRetries", -1)), 400);
  }

  @Test
  void aScheduleFiresOncePerTickOnAFunctionScaledToZero() throws Exception {
    Map<String, Object> schedule = Map.of("cron", "*/2 * * * * *", "input", "tick");
    assertEquals(201, http.deploy("acron", ExampleFunctions.load("echo"),
        Map.of("minScale", 0, "schedules", java.util.List.of(schedule))).statusCode());
    assertEquals("*/2 * * * * *",
        Http.json(http.get("/v1/functions/acron").body()).get("spec").get("schedules").get(0).get("cron").asText());
    // four ticks fired, each a call that ran (a function scaled to zero: the call starts an instance)
    java.util.List<JsonNode> calls = new java.util.ArrayList<>();
    http.await("four scheduled calls succeeded", () -> {
      calls.clear();
      Http.json(http.get("/v1/functions/acron/invocations?limit=1000").body()).get("invocations").forEach(calls::add);
      return calls.size() >= 4 && calls.stream().filter(c -> c.get("status").asText().equals("succeeded")).count() >= 4;
    });
    java.util.TreeSet<java.time.Instant> ticks = new java.util.TreeSet<>();
    for (JsonNode c : calls) {
      String source = c.get("source").asText();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(" tick (\\S+)$").matcher(source);
      assertTrue(m.find(), source);
      java.time.Instant tick = java.time.Instant.parse(m.group(1));
      assertTrue(ticks.add(tick), "one call per tick: " + tick + " twice in " + calls);
      assertEquals(0, tick.getEpochSecond() % 2, "ticks at even seconds: " + tick);
    }
    // no tick skipped between the first and the last
    assertEquals(ticks.size() - 1, (ticks.last().getEpochSecond() - ticks.first().getEpochSecond()) / 2, ticks.toString());
    String one = calls.get(0).get("id").asText();
    awaitStatus(one, "succeeded");
    assertEquals("tick", new String(http.getBytes("/v1/invocations/" + one + "/result").body(), StandardCharsets.UTF_8));

    Http.assertError(http.deploy("abadcron", ExampleFunctions.load("echo"),
        Map.of("schedules", java.util.List.of(Map.of("cron", "61 * * * *")))), 400);
    Http.assertError(http.deploy("abadcron", ExampleFunctions.load("echo"),
        Map.of("schedules", java.util.List.of(Map.of("cron", "* * * * *", "timeZone", "Mars/Olympus")))), 400);
    assertEquals(200, http.delete("/v1/functions/acron").statusCode());
  }

  @Test
  void anIdleFunctionWakesOnItsNextCall() throws Exception {
    assertEquals(201, http.deploy("aidle", ExampleFunctions.load("echo"), Map.of()).statusCode());
    awaitStatus(submit("aidle", "first", ASYNC), "succeeded");
    // the dispatcher stops reading the queue of a function quiet for backlog-refresh + 5 s (7 s
    // here); the call after that must still run at once, not at the once-a-minute look
    Await.until("the first call's record older than the idle threshold", Duration.ofSeconds(30), () -> {
      JsonNode first = Http.json(http.get("/v1/functions/aidle/invocations").body()).get("invocations").get(0);
      return java.time.Duration.between(java.time.Instant.parse(first.get("updatedAt").asText()), java.time.Instant.now())
          .toSeconds() > 9;
    });
    String second = submit("aidle", "second", ASYNC);
    Await.until("the call after the quiet spell ran", Duration.ofSeconds(20),
        () -> Http.json(http.get("/v1/invocations/" + second).body()).get("status").asText().equals("succeeded"));
  }

  @Test
  void recordsExpireAfterTheRetention() throws Exception {
    String id = submit("aecho", "short-lived", ASYNC);
    awaitStatus(id, "succeeded");
    // retention is 30 s here: a Cassandra TTL, refreshed by the record's last update
    Await.until("the record expired", Duration.ofSeconds(120), () -> http.get("/v1/invocations/" + id).statusCode() == 404);
    Http.assertError(http.get("/v1/invocations/" + id), 404);
  }
}
