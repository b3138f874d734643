package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/** The open loop with a fake sender: no response is needed for the next send. */
class ReplayerTest {

  static final URI GW = URI.create("http://gw:1");

  /** Records every send and leaves its response open until the test completes it. */
  static final class FakeSender implements Replayer.Sender {
    final List<Replayer.Planned> sent = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<HttpResponse<String>>> responses = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<HttpResponse<String>> send(Replayer.Planned p) {
      CompletableFuture<HttpResponse<String>> f = new CompletableFuture<>();
      sent.add(p);
      responses.add(f);
      return f;
    }
  }

  static final class Counting implements Replayer.Listener {
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    @Override
    public void sent() {
      sent.incrementAndGet();
    }

    @Override
    public void completed(boolean success) {
      (success ? ok : failed).incrementAndGet();
    }
  }

  static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }

  static List<Replayer.Planned> plan(int n) {
    List<Replayer.Planned> plan = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      plan.add(new Replayer.Planned("fn-" + (i % 2), GW, i * 2.0, 100, 8, Duration.ofSeconds(30)));
    }
    return plan;
  }

  @Test
  void everyInvocationIsSentWithoutWaitingForAnyResponse() {
    FakeSender sender = new FakeSender();
    Counting listener = new Counting();
    List<Replayer.Planned> plan = plan(20);
    CompletableFuture<List<InvocationRecord>> replay =
        CompletableFuture.supplyAsync(() -> Replayer.replay(plan, sender, System.nanoTime(), Duration.ofMinutes(1), listener));

    await("all 20 sends while no response has come", () -> sender.sent.size() == 20);
    assertEquals(plan, sender.sent, "in plan order");
    assertTrue(sender.responses.stream().noneMatch(CompletableFuture::isDone));

    for (int i = 0; i < 20; i++) {
      CompletableFuture<HttpResponse<String>> f = sender.responses.get(i);
      if (i == 5) {
        f.complete(new FakeResponse(429, Map.of(), "{\"error\":\"overloaded\",\"message\":\"queue full\"}"));
      } else if (i == 6) {
        f.completeExceptionally(new HttpTimeoutException("request timed out"));
      } else {
        f.complete(new FakeResponse(200, Map.of(
            "X-WaveLink-Instance", List.of("fn-i" + i),
            "X-WaveLink-Instance-Kind", List.of(i < 2 ? "emergency" : "regular"),
            "X-WaveLink-Cold-Start", List.of(Boolean.toString(i < 4)),
            "X-WaveLink-Duration-Ms", List.of("100.25")), "ok 100"));
      }
    }
    List<InvocationRecord> records = replay.join();
    assertEquals(20, records.size());
    assertEquals(20, listener.sent.get());
    assertEquals(18, listener.ok.get());
    assertEquals(2, listener.failed.get());
    for (int i = 0; i < 20; i++) {
      InvocationRecord r = records.get(i);
      assertEquals(plan.get(i).atMs(), r.scheduledMs());
      assertTrue(r.startMs() >= r.scheduledMs(), "never sent early");
      assertTrue(r.responseMs() >= 0);
      assertEquals("fn-" + (i % 2), r.function());
    }
    assertEquals("emergency", records.get(0).instanceKind());
    assertEquals("true", records.get(0).coldStart());
    assertEquals(100.25, records.get(0).executionMs());
    assertEquals("regular", records.get(9).instanceKind());
    assertEquals("false", records.get(9).coldStart());
    assertEquals("429", records.get(5).status());
    assertEquals("overloaded: queue full", records.get(5).error());
    assertEquals("timeout", records.get(6).status());
    assertTrue(Double.isNaN(records.get(6).executionMs()));
  }

  @Test
  void responsesThatNeverComeAreRecordedAfterTheDrainDeadline() {
    FakeSender sender = new FakeSender();
    List<InvocationRecord> records = Replayer.replay(plan(2), sender, System.nanoTime(), Duration.ofMillis(50), new Counting());
    assertEquals(List.of("no-response", "no-response"), records.stream().map(InvocationRecord::status).toList());
    // a late response does not overwrite the record
    sender.responses.get(0).complete(new FakeResponse(200, Map.of(), "ok"));
    assertEquals("no-response", records.get(0).status());
  }

  @Test
  void aSenderThatThrowsIsAFailureNotACrash() {
    Replayer.Sender broken = p -> {
      throw new IllegalStateException("selector closed");
    };
    List<InvocationRecord> records = Replayer.replay(plan(3), broken, System.nanoTime(), Duration.ofSeconds(30), new Counting());
    assertEquals(3, records.size());
    assertTrue(records.stream().allMatch(r -> r.status().equals("client-error") && r.error().contains("selector closed")));
  }

  record FakeResponse(int statusCode, Map<String, List<String>> headerMap, String body) implements HttpResponse<String> {
    @Override
    public HttpRequest request() {
      return HttpRequest.newBuilder(GW).build();
    }

    @Override
    public Optional<HttpResponse<String>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return HttpHeaders.of(headerMap, (k, v) -> true);
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return GW;
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
