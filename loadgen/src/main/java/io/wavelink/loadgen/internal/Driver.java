package io.wavelink.loadgen.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.wavelink.loadgen.LoadgenException;
import io.wavelink.loadgen.LoadgenOptions;
import io.wavelink.loadgen.Workload;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one mode of a workload against the cluster: deploys its functions (the busy or the sleep
 * example, by {@code --work}, under {@code lg-<mode>-<hash>} names), replays it open-loop ({@link
 * Replayer}) while polling the instances every second, reads the cost at the end, deletes the
 * functions (also on failure or Ctrl-C), and writes the mode's files.
 */
public final class Driver {

  /** Replay starts this long after the deploys, so the first sends are not late. */
  static final Duration LEAD = Duration.ofMillis(500);

  static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
  private static final int DEPLOY_PARALLELISM = 8;

  private final GatewayClient client;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean drawProgress;

  public Driver(GatewayClient client, PrintStream out, PrintStream err, boolean drawProgress) {
    this.client = client;
    this.out = out;
    this.err = err;
    this.drawProgress = drawProgress;
  }

  /**
   * The most a gateway with the default {@code invoke-timeout} (310 s) accepts as a function's
   * {@code timeoutMs}: it refuses a deploy asking for more (400).
   */
  public static final long MAX_TIMEOUT_MS = 300_000;

  /**
   * The timeout a function gets: room for queueing and a slow regular track, 30 s to {@link
   * #MAX_TIMEOUT_MS} (5 min).
   */
  public static long timeoutFor(long maxRuntimeMs, long regularTrackDelayMs) {
    return Math.max(30_000, Math.min(MAX_TIMEOUT_MS, 2 * maxRuntimeMs + Math.max(0, regularTrackDelayMs) + 10_000));
  }

  /** The deploy spec of one function. */
  public static Map<String, Object> spec(String code, Workload.FunctionProfile f, LoadgenOptions o, String mode) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "wasm");
    spec.put("code", code);
    spec.put("memoryMb", f.memoryMb());
    spec.put("timeoutMs", timeoutFor(f.maxRuntimeMs(), o.regularTrackDelayMs().orElse(0)));
    spec.put("concurrency", 1);
    spec.put("minScale", 0);
    spec.put("maxScale", o.maxScale());
    spec.put("controlPlaneMode", mode);
    o.regularTrackDelayMs().ifPresent(d -> spec.put("regularTrackDelayMs", d));
    return spec;
  }

  /** Runs {@code workload} in {@code mode} and writes its files into {@code dir}. */
  public HtmlReport.RunData run(LoadgenOptions o, Workload workload, String mode, Path dir, String runId) {
    OutputFiles.createDirectory(dir);
    URI control = o.targets().get(0);
    List<String> names = names(workload, mode, runId);
    Set<String> deployed = ConcurrentHashMap.newKeySet();
    Thread hook = new Thread(() -> deleteAll(control, deployed), "loadgen-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      deployAll(o, workload, mode, names, control, deployed);
      return replay(o, workload, mode, dir, runId, names);
    } finally {
      deleteAll(control, deployed);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down; the hook does the same
      }
    }
  }

  /** Classpath directory of the example functions (examples/functions/*.wasm). */
  static final String EXAMPLES = "/io/wavelink/examples/";

  /** The module of the example function that does {@code work} (busy.wasm or sleep.wasm). */
  static byte[] module(LoadgenOptions.Work work) {
    String resource = EXAMPLES + work.example() + ".wasm";
    try (java.io.InputStream in = Driver.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new LoadgenException("the " + work.example() + " example function is missing from the classpath (" + resource
            + "): rebuild loadgen");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new LoadgenException("cannot read " + resource + ": " + e.getMessage());
    }
  }

  static List<String> names(Workload workload, String mode, String runId) {
    List<String> names = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (Workload.FunctionProfile f : workload.functions()) {
      String name = FunctionNames.name(mode, runId, f.traceId());
      if (!taken.add(name)) {
        name = FunctionNames.sanitize(name.substring(0, Math.min(name.length(), 52)) + "-" + names.size());
        taken.add(name);
      }
      names.add(name);
    }
    return names;
  }

  private void deployAll(LoadgenOptions o, Workload workload, String mode, List<String> names, URI control, Set<String> deployed) {
    String code = Base64.getEncoder().encodeToString(module(o.work()));
    out.printf(Locale.ROOT, "[%s] deploying %d functions (%s...) as the %s example (work %s) to %s%n", mode, names.size(),
        names.isEmpty() ? "" : names.get(0), o.work().example(), o.work().label(), control);
    ExecutorService pool = Executors.newFixedThreadPool(DEPLOY_PARALLELISM, daemon("loadgen-deploy"));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        Map<String, Object> spec = spec(code, workload.functions().get(i), o, mode);
        futures.add(pool.submit(() -> {
          client.deploy(control, name, spec);
          deployed.add(name);
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof LoadgenException le) {
            throw le;
          }
          throw new LoadgenException("deploying failed: " + GatewayClient.describe(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LoadgenException("interrupted while deploying");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private HtmlReport.RunData replay(LoadgenOptions o, Workload workload, String mode, Path dir, String runId, List<String> names) {
    URI control = o.targets().get(0);
    Set<String> nameSet = Set.copyOf(names);
    List<Replayer.Planned> plan = new ArrayList<>(workload.invocations().size());
    long maxTimeout = 0;
    for (int i = 0; i < workload.invocations().size(); i++) {
      Workload.Invocation inv = workload.invocations().get(i);
      Workload.FunctionProfile f = workload.functions().get(inv.function());
      long timeout = timeoutFor(f.maxRuntimeMs(), o.regularTrackDelayMs().orElse(0));
      maxTimeout = Math.max(maxTimeout, timeout);
      plan.add(new Replayer.Planned(names.get(inv.function()), o.targets().get(i % o.targets().size()), inv.atMs(),
          inv.runtimeMs(), inv.memoryMb(), Duration.ofMillis(timeout + 30_000)));
    }

    out.printf(Locale.ROOT, "[%s] replaying %d invocations over %.1f s against %s%n", mode, plan.size(),
        workload.spanMs() / 1000, o.targets());
    String startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    long t0 = System.nanoTime() + LEAD.toNanos();
    List<InstanceSample> samples = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<JsonNode> lastListing = new AtomicReference<>();
    Progress progress = new Progress(err, drawProgress, plan.size(), "[" + mode + "]");
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemon("loadgen-poll"));
    timers.scheduleAtFixedRate(() -> poll(control, t0, nameSet, samples, lastListing), 0, POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    timers.scheduleAtFixedRate(progress::redraw, 0, 500, TimeUnit.MILLISECONDS);
    List<InvocationRecord> records;
    try {
      records = Replayer.replay(plan, Replayer.sender(client), t0, Duration.ofMillis(maxTimeout + 60_000), progress);
    } finally {
      timers.shutdownNow();
      try {
        timers.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      progress.finish();
    }
    double wallMs = records.stream().mapToDouble(r -> r.startMs() + r.responseMs()).max().orElse(0);

    // the cost is read once every response is in, before the functions are deleted
    JsonNode listing = finalListing(control, lastListing.get());
    ClusterView.Totals totals = listing == null ? ClusterView.Totals.NONE : ClusterView.totals(listing, nameSet);
    if (listing != null) {
      samples.add(ClusterView.sample((System.nanoTime() - t0) / 1e6, listing, nameSet));
    }
    List<InstanceSample> sortedSamples = new ArrayList<>(samples);
    sortedSamples.sort(Comparator.comparingDouble(InstanceSample::tMs));

    SummaryBuilder.RunInfo info = new SummaryBuilder.RunInfo(mode, runId, startedAt, workload.source(), workload.functions().size(),
        workload.invocations().size(), workload.spanMs(), o.seed(), o.speedup(),
        o.minutes().isPresent() ? o.minutes().getAsDouble() : null,
        o.regularTrackDelayMs().isPresent() ? o.regularTrackDelayMs().getAsLong() : null,
        o.targets().stream().map(URI::toString).toList(), o.work().label(), o.warmupMinutes(), workload.fitting().toMap());
    Map<String, Object> summary = SummaryBuilder.build(info, records, sortedSamples, totals, wallMs);
    HtmlReport.RunData run = new HtmlReport.RunData(mode, summary, records, sortedSamples);

    OutputFiles.invocations(dir.resolve("invocations.csv"), records);
    OutputFiles.instances(dir.resolve("instances.csv"), sortedSamples);
    OutputFiles.json(dir.resolve("summary.json"), summary);
    OutputFiles.text(dir.resolve("report.html"), HtmlReport.single(run));

    printSummary(o, mode, summary, dir, totals);
    return run;
  }

  private void poll(URI control, long t0, Set<String> names, List<InstanceSample> samples, AtomicReference<JsonNode> last) {
    try {
      JsonNode listing = client.listFunctions(control, Duration.ofSeconds(5)).get(6, TimeUnit.SECONDS);
      samples.add(ClusterView.sample((System.nanoTime() - t0) / 1e6, listing, names));
      last.set(listing);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // a missed sample; the next one comes in a second
    }
  }

  private JsonNode finalListing(URI control, JsonNode fallback) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return client.listFunctions(control, Duration.ofSeconds(30)).get(35, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        err.println("loadgen: warning: GET /v1/functions failed (" + GatewayClient.describe(e) + "), retrying");
      }
    }
    if (fallback != null) {
      err.println("loadgen: warning: cost taken from the last successful poll");
    }
    return fallback;
  }

  private void deleteAll(URI control, Set<String> deployed) {
    for (String name : List.copyOf(deployed)) {
      int status = client.delete(control, name);
      if (status == 200 || status == 404) {
        deployed.remove(name);
      } else {
        err.println("loadgen: warning: could not delete " + name + " (" + (status < 0 ? "unreachable" : "status " + status) + ")");
      }
    }
  }

  private void printSummary(LoadgenOptions o, String mode, Map<String, Object> s, Path dir, ClusterView.Totals totals) {
    out.printf(Locale.ROOT,
        "[%s] work %s: %s invocations, %s failures; latency p50 %s ms, p99 %s ms; slowdown geomean %s, p99 %s;"
            + " regular share %s; instance-seconds %s, MB-seconds %s%n",
        mode, settings(s, "work"), s.get("invocations"), s.get("failures"),
        CompareTable.format(CompareTable.value(s, "p50Ms"), 1), CompareTable.format(CompareTable.value(s, "p99Ms"), 1),
        CompareTable.format(CompareTable.value(s, "slowdownGeomean"), 2), CompareTable.format(CompareTable.value(s, "slowdownP99"), 2),
        CompareTable.format(CompareTable.value(s, "regularShare"), 4),
        CompareTable.format(CompareTable.value(s, "instanceSeconds.total"), 1), CompareTable.format(CompareTable.value(s, "mbSeconds.total"), 0));
    out.printf(Locale.ROOT,
        "[%s] Dirigent's metrics (after a %s-minute warm-up, %s invocations): per-function slowdown p50 %s, p80 %s, worst %s"
            + " over %s functions; per-function scheduling latency p50 %s ms, p80 %s ms, worst %s ms%n",
        mode, Window.number(o.warmupMinutes()),
        CompareTable.format(CompareTable.value(s, "dirigent.invocationsAfterWarmup"), 0),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.p50"), 2),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.p80"), 2),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.max"), 2),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.functions"), 0),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSchedulingLatencyMs.p50"), 1),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSchedulingLatencyMs.p80"), 1),
        CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSchedulingLatencyMs.max"), 1));
    if (Double.valueOf(0).equals(CompareTable.value(s, "dirigent.invocationsAfterWarmup"))) {
      err.printf(Locale.ROOT, "loadgen: warning: no invocation was scheduled after the %s-minute warm-up in mode %s:"
          + " Dirigent's per-function slowdown is undefined (--warmup-minutes)%n", Window.number(o.warmupMinutes()), mode);
    }
    if (s.get("failuresByStatus") instanceof Map<?, ?> byStatus && !byStatus.isEmpty()) {
      out.printf(Locale.ROOT, "[%s] failures by status: %s%n", mode, byStatus);
    }
    if (s.get("generatorLag") instanceof Map<?, ?> lag && Boolean.TRUE.equals(lag.get("lagged"))) {
      err.printf(Locale.ROOT, "loadgen: warning: the generator lagged in mode %s: %s invocations sent more than 10 ms late"
          + " (max %s ms); the machine running loadgen may be saturated%n", mode, lag.get("lateOver10Ms"), lag.get("maxMs"));
    }
    if (!totals.costAvailable()) {
      err.println("loadgen: warning: the cluster reported no instanceSeconds/mbSeconds; cost is unknown");
    }
    out.printf(Locale.ROOT, "[%s] wrote %s%n", mode, dir);
  }

  private static Object settings(Map<String, Object> s, String key) {
    return s.get("settings") instanceof Map<?, ?> m ? m.get(key) : null;
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
