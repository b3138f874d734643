package io.wavelink.loadgen.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The open-loop replay: one scheduler thread walks the plan in time order, waits (parks) until each
 * invocation's scheduled time and sends it with a non-blocking {@code sendAsync}, never waiting for
 * any response. Responses complete on the HTTP client's threads, which only timestamp them and
 * store the record. So a slow cluster does not slow the offered load (a closed loop would, and
 * would hide the latency it causes), and every record carries its scheduled time, its actual send
 * time and its response time: if the scheduler itself falls behind (e.g. a saturated machine), that
 * shows as generator lag ({@code startMs - scheduledMs}), not as cluster latency.
 *
 * <p>Worked example: invocations planned at 0, 5 and 5 ms after {@code t0}. The scheduler parks
 * until t0, sends the first, parks until t0 + 5 ms, sends the second and, without waiting, the
 * third (its lag is the microseconds the second send took). If the first takes 2 s to answer, the
 * second and third still go out at 5 ms.
 */
public final class Replayer {

  /**
   * One invocation to send.
   *
   * @param atMs scheduled time after t0
   * @param timeout client-side limit for the whole exchange
   */
  public record Planned(String function, URI target, double atMs, long runtimeMs, int memoryMb, Duration timeout) {

    String body() {
      return runtimeMs + " " + memoryMb;
    }
  }

  /** Told about each send and completion (for the progress bar). */
  public interface Listener {
    void sent();

    void completed(boolean ok);
  }

  /** How a send is made: the real client, or a fake in tests. */
  public interface Sender {
    CompletableFuture<HttpResponse<String>> send(Planned p);
  }

  private Replayer() {}

  public static Sender sender(GatewayClient client) {
    return p -> client.invoke(p.target(), p.function(), p.body(), p.timeout());
  }

  /**
   * Sends every invocation at {@code t0Nanos + atMs} ({@link System#nanoTime()} clock), then waits
   * until every response is in or {@code drain} has passed after the last send (invocations still
   * open then are recorded with status {@code no-response}).
   *
   * @return one record per planned invocation, in plan order
   */
  public static List<InvocationRecord> replay(List<Planned> plan, Sender sender, long t0Nanos, Duration drain, Listener listener) {
    int n = plan.size();
    AtomicReferenceArray<InvocationRecord> results = new AtomicReferenceArray<>(n);
    CountDownLatch done = new CountDownLatch(n);
    long[] sentAt = new long[n];
    for (int i = 0; i < n; i++) {
      Planned p = plan.get(i);
      long due = t0Nanos + (long) (p.atMs() * 1_000_000);
      for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
        LockSupport.parkNanos(due - now);
      }
      long sent = System.nanoTime();
      sentAt[i] = sent;
      CompletableFuture<HttpResponse<String>> response;
      try {
        response = sender.send(p);
      } catch (RuntimeException e) {
        response = CompletableFuture.failedFuture(e);
      }
      int index = i;
      response.whenComplete((r, error) -> {
        long end = System.nanoTime();
        InvocationRecord record = record(p, t0Nanos, sent, end, r, error);
        if (results.compareAndSet(index, null, record)) {
          listener.completed(record.ok());
          done.countDown();
        }
      });
      listener.sent();
    }
    try {
      done.await(drain.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<InvocationRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Planned p = plan.get(i);
      InvocationRecord missing = new InvocationRecord(p.function(), p.atMs(), ms(sentAt[i] - t0Nanos), p.runtimeMs(), p.memoryMb(),
          ms(System.nanoTime() - sentAt[i]), Double.NaN, "", "", "no-response", "", p.target().toString(),
          "no response within the drain deadline");
      results.compareAndSet(i, null, missing);
      out.add(results.get(i));
    }
    return out;
  }

  static InvocationRecord record(Planned p, long t0, long sent, long end, HttpResponse<String> r, Throwable error) {
    double scheduled = p.atMs();
    double start = ms(sent - t0);
    double response = ms(end - sent);
    String target = p.target().toString();
    if (error != null || r == null) {
      Throwable cause = unwrap(error);
      String status = cause instanceof HttpTimeoutException ? "timeout"
          : cause instanceof ConnectException ? "connect-error"
          : cause instanceof IOException ? "io-error"
          : "client-error";
      return new InvocationRecord(p.function(), scheduled, start, p.runtimeMs(), p.memoryMb(), response, Double.NaN, "", "",
          status, "", target, cause == null ? "no response" : GatewayClient.describe(cause));
    }
    String kind = r.headers().firstValue("X-WaveLink-Instance-Kind").orElse("");
    String cold = r.headers().firstValue("X-WaveLink-Cold-Start").orElse("");
    String instance = r.headers().firstValue("X-WaveLink-Instance").orElse("");
    double execution = r.headers().firstValue("X-WaveLink-Duration-Ms").map(Replayer::parse).orElse(Double.NaN);
    String status = Integer.toString(r.statusCode());
    String message = r.statusCode() == 200 ? "" : GatewayClient.errorOf(r.body());
    return new InvocationRecord(p.function(), scheduled, start, p.runtimeMs(), p.memoryMb(), response, execution,
        kind, cold, status, instance, target, message);
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static double parse(String s) {
    try {
      return Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }
}
