package io.wavelink.cluster.chaos;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An open-loop load for chaos tests: invocations at a fixed rate, spread over functions by weight,
 * each sent at its scheduled time whatever the others are doing. Bounded in count and time; every
 * request has its own deadline.
 */
final class SteadyLoad {

  /** The outcome of one invocation; {@code status} -1 for a transport failure. */
  record Result(String function, long scheduledMs, int status, long latencyMs, String kind) {}

  private SteadyLoad() {}

  static List<Result> run(
      String baseUrl, Map<String, Integer> weights, int perSecond, Duration duration, String input)
      throws Exception {
    return run(baseUrl, Map.of(), weights, perSecond, duration, input);
  }

  /** The same, with {@code headers} on every request (an API key). */
  static List<Result> run(
      String baseUrl, Map<String, String> headers, Map<String, Integer> weights, int perSecond, Duration duration,
      String input) throws Exception {
    List<String> wheel = new ArrayList<>();
    weights.forEach((f, w) -> {
      for (int i = 0; i < w; i++) {
        wheel.add(f);
      }
    });
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(4))
            .build();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<CompletableFuture<Result>> futures = Collections.synchronizedList(new ArrayList<>());
    long total = perSecond * duration.toSeconds();
    long intervalMicros = 1_000_000L / perSecond;
    long start = System.nanoTime();
    for (long i = 0; i < total; i++) {
      long at = i * intervalMicros;
      String function = wheel.get((int) (i % wheel.size()));
      scheduler.schedule(
          () -> {
            long sent = System.nanoTime();
            HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUrl + "/v1/functions/" + function + "/invoke"))
                    .timeout(Duration.ofSeconds(45))
                    .POST(HttpRequest.BodyPublishers.ofString(input, StandardCharsets.UTF_8));
            headers.forEach(builder::header);
            HttpRequest request = builder.build();
            futures.add(
                client
                    .sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .handle(
                        (r, e) ->
                            new Result(
                                function,
                                at / 1000,
                                e == null ? r.statusCode() : -1,
                                (System.nanoTime() - sent) / 1_000_000,
                                e == null ? r.headers().firstValue("X-WaveLink-Instance-Kind").orElse("") : "")));
          },
          at,
          TimeUnit.MICROSECONDS);
    }
    scheduler.shutdown();
    scheduler.awaitTermination(duration.toSeconds() + 30, TimeUnit.SECONDS);
    List<Result> results = new ArrayList<>();
    for (CompletableFuture<Result> f : List.copyOf(futures)) {
      results.add(f.get(60, TimeUnit.SECONDS));
    }
    ((java.util.concurrent.ExecutorService) client.executor().orElseThrow()).shutdown();
    long elapsed = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("load: %d invocations in %d ms%n", results.size(), elapsed);
    return results;
  }

  static double successRate(List<Result> results) {
    long ok = results.stream().filter(r -> r.status() == 200).count();
    return results.isEmpty() ? 0 : (double) ok / results.size();
  }

  static Map<Integer, Long> byStatus(List<Result> results) {
    Map<Integer, Long> m = new TreeMap<>();
    results.forEach(r -> m.merge(r.status(), 1L, Long::sum));
    return m;
  }

  /**
   * How long after {@code eventMs} the functions were invocable again: the latest scheduled time,
   * after the event, of an invocation that failed or took longer than {@code slowMs}; every
   * invocation sent after that was answered promptly. 0 when none was hurt.
   */
  static long invocableAgainMs(List<Result> results, long eventMs, long slowMs) {
    long last = eventMs;
    for (Result r : results) {
      if (r.scheduledMs() >= eventMs && (r.status() != 200 || r.latencyMs() > slowMs)) {
        last = Math.max(last, r.scheduledMs());
      }
    }
    return last - eventMs;
  }

  /**
   * How long after {@code eventMs} every invocation slowed down by it (latency over {@code slowMs})
   * had its answer: the time users waited for the system to recover. 0 when none was slowed.
   */
  static long answeredByMs(List<Result> results, long eventMs, long slowMs) {
    long last = eventMs;
    for (Result r : results) {
      if (r.latencyMs() > slowMs && r.scheduledMs() + r.latencyMs() >= eventMs) {
        last = Math.max(last, r.scheduledMs() + r.latencyMs());
      }
    }
    return last - eventMs;
  }

  /**
   * How long after {@code eventMs} (on the load's clock) the last failure of any function was
   * scheduled: 0 when nothing failed after it.
   */
  static long recoveryMs(List<Result> results, long eventMs) {
    long last = eventMs;
    for (Result r : results) {
      if (r.status() != 200 && r.scheduledMs() >= eventMs) {
        last = Math.max(last, r.scheduledMs());
      }
    }
    return last - eventMs;
  }
}
