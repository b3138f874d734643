package io.wavelink.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.function.FunctionSpec;
import io.wavelink.node.InvocationReply;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Emergency cold starts per second on one member, and their latency.
 *
 * <p>Starts one in-process member with every role (as {@code MemberEndToEndTest} does, against a
 * real Cassandra), deploys a pool of cold echo functions in {@code dual} mode, then sends bursts:
 * {@code --burst} invocations at once to one function that has no instance, so that each invocation
 * finds the queue non-empty and the function spawns one emergency instance per invocation. A
 * function takes another burst only {@code --reuse-after-ms} after its last one ended, when its
 * emergency instances have been retired (idle TTL 2 s, checked at the 1 s tick), so every burst is
 * cold again. By default the regular track is held back ({@code --regular-track-delay} 600000 ms,
 * {@code --max-scale} 1): only the emergency track serves, which is what is measured.
 *
 * <p>{@code --via direct} sends {@code FunctionEntity.Invoke} through Cluster Sharding (the
 * gateway's own path, without HTTP); {@code --via http} posts to the member's gateway with Pekko
 * HTTP's asynchronous client, and {@code --via http-jdk} with the JDK's, both in the same JVM (so
 * the client's CPU is counted too). {@code --rate 0} (default) is a closed loop with
 * {@code --parallel} bursts in flight, to find the throughput; {@code --rate R} is an open loop
 * offering R invocations per second in bursts, each latency counted from the burst's scheduled time.
 *
 * <p>Counts come from both sides: the replies ({@code coldStart}, instance kind) and the entities'
 * {@code FunctionStatus.Stats} ({@code emergencySpawns}, {@code emergencyColdStarts}) before and
 * after the measured phase. Writes one JSON object to {@code --out}.
 */
public final class ColdStarts {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final byte[] INPUT = "hello".getBytes(StandardCharsets.UTF_8);

  private ColdStarts() {}

  /** The outcome of one invocation, as the driver saw it. */
  record Outcome(boolean ok, String status, boolean coldStart, String kind) {}

  interface Driver extends AutoCloseable {
    void invoke(String function, java.util.function.Consumer<Outcome> done);

    @Override
    default void close() {}
  }

  public static void main(String[] argv) {
    try {
      run(argv);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] argv) throws Exception {
    Args args =
        new Args(
            argv,
            List.of(
                "cassandra", "work", "out", "via", "functions", "burst", "seconds",
                "warmup-seconds", "parallel", "rate", "regular-track-delay", "max-scale",
                "reuse-after-ms"));
    String via = args.string("via", "direct");
    int functions = args.integer("functions", 2000);
    int burst = args.integer("burst", 25);
    int seconds = args.integer("seconds", 20);
    int warmupSeconds = args.integer("warmup-seconds", 5);
    int parallel = args.integer("parallel", 4);
    double rate = args.decimal("rate", 0);
    long regularDelay = args.longValue("regular-track-delay", 600_000);
    int maxScale = args.integer("max-scale", 1);
    long reuseAfterNanos = TimeUnit.MILLISECONDS.toNanos(args.longValue("reuse-after-ms", 4000));
    Path out = Path.of(args.string("out", "benchmarks/results/coldstarts-" + via + ".json"));
    Path work = Path.of(args.string("work", "benchmarks/target/coldstarts-cassandra"));
    if (!List.of("direct", "http", "http-jdk").contains(via)) {
      throw new IllegalArgumentException("--via direct|http|http-jdk, not " + via);
    }

    String contactPoint = BenchmarkMember.cassandra(args, work);
    // the in-process Pekko HTTP client (--via http) keeps enough connections for the bursts
    Map<String, Object> clientPool =
        Map.of(
            "pekko.http.host-connection-pool.max-connections", 256,
            "pekko.http.host-connection-pool.max-open-requests", 4096);
    try (BenchmarkMember member =
        BenchmarkMember.start(contactPoint, 0, via.equals("http") ? clientPool : Map.of())) {
      // the node view must know the Wavelet before emergency spawns can be placed
      // (retried: right after start-up the journal may still be slow to answer)
      member.await("the warm-up function deployed", Duration.ofSeconds(150), () -> {
        member.deploy(BenchmarkMember.echo("bench-warmup", 1, 0, 1, 0));
        return true;
      });
      member.await("a first invocation", Duration.ofSeconds(60),
          () -> member.invoke("bench-warmup", "hi").status() == InvocationReply.Status.OK);

      String run = UUID.randomUUID().toString().substring(0, 6);
      List<FunctionSpec> specs = new ArrayList<>();
      for (int i = 0; i < functions; i++) {
        specs.add(BenchmarkMember.echo("cold-" + run + "-" + i, 1, 0, maxScale, regularDelay));
      }
      long deployStart = System.nanoTime();
      member.deployAll(specs, 16);
      double deploySeconds = (System.nanoTime() - deployStart) / 1e9;
      System.out.printf("deployed %d functions in %.1f s%n", functions, deploySeconds);

      try (Driver driver =
          switch (via) {
            case "direct" -> direct(member);
            case "http" -> pekkoHttp(member);
            default -> jdkHttp(member.httpPort());
          }) {
        Pool pool = new Pool(specs.stream().map(FunctionSpec::name).toList(), reuseAfterNanos);
        Phase warmup = new Phase(driver, pool, burst, 1 << 19);
        warmup.run(warmupSeconds, parallel, rate);
        warmup.awaitOutstanding();

        Map<String, Long> before = stats(member, pool.names);
        long[] gcBefore = gc();
        long cpuBefore = processCpuNanos();
        Phase measured = new Phase(driver, pool, burst, 1 << 21);
        measured.run(seconds, parallel, rate);
        measured.awaitOutstanding();
        long cpu = processCpuNanos() - cpuBefore;
        long[] gcAfter = gc();
        Map<String, Long> after = stats(member, pool.names);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "emergency-cold-starts");
        result.put("via", via);
        result.put("loop", rate > 0 ? "open" : "closed");
        result.put("offeredPerSecond", rate);
        result.put("parallelBursts", rate > 0 ? 0 : parallel);
        result.put("burst", burst);
        result.put("functions", functions);
        result.put("regularTrackDelayMs", regularDelay);
        result.put("maxScale", maxScale);
        result.put("seconds", seconds);
        result.put("cores", Runtime.getRuntime().availableProcessors());
        double elapsed = measured.elapsedNanos() / 1e9;
        result.put("elapsedSeconds", round(elapsed));
        Map<String, Long> delta = new LinkedHashMap<>();
        after.forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0L)));
        result.put("entityStats", delta);
        result.put("invocations", measured.sent.get());
        result.put("ok", measured.ok.sum());
        result.put("errors", measured.errors);
        result.put("coldStartReplies", measured.coldEmergency.sum());
        result.put("warmReplies", measured.ok.sum() - measured.coldEmergency.sum() - measured.coldRegular.sum());
        result.put("regularColdStartReplies", measured.coldRegular.sum());
        result.put("starvedMs", round(measured.starvedNanos.get() / 1e6));
        long coldStarts = delta.get("emergencyColdStarts");
        result.put("emergencyColdStartsPerSecond", round(coldStarts / elapsed));
        result.put("emergencySpawnsPerSecond", round(delta.get("emergencySpawns") / elapsed));
        result.put("invocationsPerSecond", round(measured.ok.sum() / elapsed));
        result.put("cpuMicrosPerColdStart", coldStarts == 0 ? null : round(cpu / 1e3 / coldStarts));
        Map<String, Object> gc = new LinkedHashMap<>();
        long collections = gcAfter[0] - gcBefore[0];
        gc.put("collections", collections);
        gc.put("pauseMs", gcAfter[1] - gcBefore[1]);
        gc.put("meanPauseMs", collections == 0 ? 0 : round((double) (gcAfter[1] - gcBefore[1]) / collections));
        result.put("gcDuringMeasurement", gc);
        result.put("coldStartLatency", measured.coldLatency.summaryMs());
        result.put("allLatency", measured.allLatency.summaryMs());
        System.out.println(JSON.writeValueAsString(result));
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writeValue(out.toFile(), result);
      }

      // leave the journal as found: a later run's member would otherwise wake all these functions
      for (FunctionSpec spec : specs) {
        member.delete(spec.name());
      }
      member.delete("bench-warmup");
    }
  }

  // ---------------------------------------------------------------- the load

  /** Functions waiting to be cold again, oldest first. */
  static final class Pool {
    record Entry(String name, long coldAtNanos) {}

    final List<String> names;
    private final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();
    private final long reuseAfterNanos;

    Pool(List<String> names, long reuseAfterNanos) {
      this.names = names;
      this.reuseAfterNanos = reuseAfterNanos;
      long now = System.nanoTime();
      names.forEach(n -> queue.add(new Entry(n, now)));
    }

    /** A function with no live instance, waiting for one if need be; adds the wait to starved. */
    String take(AtomicLong starvedNanos) {
      long began = System.nanoTime();
      while (true) {
        Entry head = queue.peek();
        long now = System.nanoTime();
        if (head != null && head.coldAtNanos() <= now && queue.remove(head)) {
          if (now - began > 100_000) {
            starvedNanos.addAndGet(now - began);
          }
          return head.name();
        }
        LockSupport.parkNanos(head == null ? 1_000_000 : Math.max(10_000, Math.min(1_000_000, head.coldAtNanos() - now)));
      }
    }

    void giveBack(String name) {
      queue.add(new Entry(name, System.nanoTime() + reuseAfterNanos));
    }
  }

  static final class Phase {
    final Driver driver;
    final Pool pool;
    final int burst;
    final Latencies coldLatency;
    final Latencies allLatency;
    final AtomicLong sent = new AtomicLong();
    final LongAdder ok = new LongAdder();
    final LongAdder coldEmergency = new LongAdder();
    final LongAdder coldRegular = new LongAdder();
    final Map<String, Long> errors = new ConcurrentHashMap<>();
    final AtomicLong starvedNanos = new AtomicLong();
    final AtomicInteger outstandingBursts = new AtomicInteger();
    final AtomicLong lastReplyNanos = new AtomicLong();
    long startNanos;

    Phase(Driver driver, Pool pool, int burst, int capacity) {
      this.driver = driver;
      this.pool = pool;
      this.burst = burst;
      this.coldLatency = new Latencies(capacity);
      this.allLatency = new Latencies(capacity);
    }

    void run(int seconds, int parallel, double rate) throws InterruptedException {
      startNanos = System.nanoTime();
      long end = startNanos + TimeUnit.SECONDS.toNanos(seconds);
      if (rate > 0) {
        long interval = (long) (burst * 1e9 / rate);
        for (long k = 0; ; k++) {
          long scheduled = startNanos + k * interval;
          if (scheduled >= end) {
            break;
          }
          long wait = scheduled - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          fire(pool.take(starvedNanos), scheduled, null);
        }
      } else {
        Semaphore inFlight = new Semaphore(parallel);
        while (System.nanoTime() < end) {
          inFlight.acquire();
          fire(pool.take(starvedNanos), System.nanoTime(), inFlight);
        }
      }
    }

    /** One burst on a cold function; latencies count from {@code scheduledNanos}. */
    private void fire(String function, long scheduledNanos, Semaphore inFlight) {
      outstandingBursts.incrementAndGet();
      AtomicInteger left = new AtomicInteger(burst);
      for (int i = 0; i < burst; i++) {
        sent.incrementAndGet();
        driver.invoke(
            function,
            outcome -> {
              long now = System.nanoTime();
              long latency = now - scheduledNanos;
              lastReplyNanos.accumulateAndGet(now, Math::max);
              if (outcome.ok()) {
                ok.increment();
                allLatency.record(latency);
                if (outcome.coldStart() && "emergency".equals(outcome.kind())) {
                  coldEmergency.increment();
                  coldLatency.record(latency);
                } else if (outcome.coldStart()) {
                  coldRegular.increment();
                }
              } else {
                errors.merge(outcome.status(), 1L, Long::sum);
              }
              if (left.decrementAndGet() == 0) {
                pool.giveBack(function);
                outstandingBursts.decrementAndGet();
                if (inFlight != null) {
                  inFlight.release();
                }
              }
            });
      }
    }

    void awaitOutstanding() {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (outstandingBursts.get() > 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      if (outstandingBursts.get() > 0) {
        throw new IllegalStateException(outstandingBursts.get() + " bursts still unanswered after 60 s");
      }
    }

    long elapsedNanos() {
      return Math.max(1, lastReplyNanos.get() - startNanos);
    }
  }

  // ---------------------------------------------------------------- drivers

  /** FunctionEntity.Invoke through Cluster Sharding; answers handled on Pekko's dispatcher. */
  static Driver direct(BenchmarkMember member) {
    java.util.concurrent.Executor executor = member.member.system().executionContext();
    Duration timeout = Duration.ofSeconds(30);
    return (function, done) ->
        member
            .function(function)
            .<InvocationReply>ask(r -> new FunctionEntity.Invoke(INPUT, r), timeout)
            .whenCompleteAsync(
                (reply, error) -> {
                  if (error != null) {
                    done.accept(new Outcome(false, error.getClass().getSimpleName(), false, ""));
                  } else {
                    done.accept(
                        new Outcome(
                            reply.status() == InvocationReply.Status.OK,
                            reply.status().name(),
                            reply.coldStart(),
                            reply.kind() == null ? "" : reply.kind().label()));
                  }
                },
                executor);
  }

  /**
   * POST /v1/functions/{name}/invoke with Pekko HTTP's client (its host connection pool, HTTP/1.1
   * keep-alive) in the member's own actor system; answers handled on Pekko's dispatcher.
   */
  static Driver pekkoHttp(BenchmarkMember member) {
    org.apache.pekko.actor.typed.ActorSystem<?> system = member.member.system();
    org.apache.pekko.http.javadsl.Http http = org.apache.pekko.http.javadsl.Http.get(system);
    java.util.concurrent.Executor executor = system.executionContext();
    String base = "http://127.0.0.1:" + member.httpPort() + "/v1/functions/";
    return (function, done) ->
        http.singleRequest(
                org.apache.pekko.http.javadsl.model.HttpRequest.POST(base + function + "/invoke")
                    .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_OCTET_STREAM, INPUT))
            .whenCompleteAsync(
                (response, error) -> {
                  if (error != null) {
                    done.accept(new Outcome(false, error.getClass().getSimpleName(), false, ""));
                    return;
                  }
                  response.discardEntityBytes(system);
                  done.accept(
                      new Outcome(
                          response.status().intValue() == 200,
                          Integer.toString(response.status().intValue()),
                          response.getHeader("X-WaveLink-Cold-Start").map(h -> h.value().equals("true")).orElse(false),
                          response.getHeader("X-WaveLink-Instance-Kind").map(h -> h.value()).orElse("")));
                },
                executor);
  }

  /** POST /v1/functions/{name}/invoke with the JDK's asynchronous client (HTTP/1.1, keep-alive). */
  static Driver jdkHttp(int port) {
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "bench-http-client");
      t.setDaemon(true);
      return t;
    });
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(executor)
            .build();
    String base = "http://127.0.0.1:" + port + "/v1/functions/";
    return new Driver() {
      @Override
      public void invoke(String function, java.util.function.Consumer<Outcome> done) {
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(base + function + "/invoke"))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(INPUT))
                .build();
        client
            .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
            .whenCompleteAsync(
                (response, error) -> {
                  if (error != null) {
                    done.accept(new Outcome(false, error.getClass().getSimpleName(), false, ""));
                  } else {
                    done.accept(
                        new Outcome(
                            response.statusCode() == 200,
                            Integer.toString(response.statusCode()),
                            response.headers().firstValue("X-WaveLink-Cold-Start").orElse("").equals("true"),
                            response.headers().firstValue("X-WaveLink-Instance-Kind").orElse("")));
                  }
                },
                executor);
      }

      @Override
      public void close() {
        executor.shutdownNow();
      }
    };
  }

  // ---------------------------------------------------------------- helpers

  /** The sum of the emergency and regular counters of these functions' entities. */
  static Map<String, Long> stats(BenchmarkMember member, List<String> names) throws Exception {
    Map<String, Long> sum = new LinkedHashMap<>();
    for (String name : names) {
      FunctionStatus.Stats s = member.status(name).stats();
      sum.merge("emergencySpawns", s.emergencySpawns(), Long::sum);
      sum.merge("emergencyColdStarts", s.emergencyColdStarts(), Long::sum);
      sum.merge("emergencyInvocations", s.emergencyInvocations(), Long::sum);
      sum.merge("emergencyRetirements", s.emergencyRetirements(), Long::sum);
      sum.merge("regularColdStarts", s.regularColdStarts(), Long::sum);
      sum.merge("regularInvocations", s.regularInvocations(), Long::sum);
      sum.merge("rejected", s.rejected(), Long::sum);
    }
    return sum;
  }

  /** Collections and their accumulated time (ms) of every collector so far. */
  static long[] gc() {
    long count = 0;
    long ms = 0;
    for (java.lang.management.GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, b.getCollectionCount());
      ms += Math.max(0, b.getCollectionTime());
    }
    return new long[] {count, ms};
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
