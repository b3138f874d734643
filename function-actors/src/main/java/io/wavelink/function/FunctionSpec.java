package io.wavelink.function;

import io.wavelink.node.ModuleRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a user deploys: the module and how to run and scale it. Immutable. The module itself is in
 * the module store ({@code io.wavelink.persistence.ModuleStore}), which the gateway fills before it
 * deploys: the spec, and with it the journal's {@code FunctionDeployed} event and every {@code
 * StartInstance}, carries only the module's SHA-256 and size. A spec read from a journal written
 * before the module store carries the code inline instead ({@link ModuleRef#inline}).
 *
 * @param name DNS-label-like name, also the FunctionEntity id
 * @param runtime only {@code "wasm"} (a WASI preview1 command module run by Chicory)
 * @param module the module: its hash in the module store (or, from an old journal, its bytes)
 * @param memoryMb linear-memory cap of one invocation, and what an instance reserves on its node
 * @param timeoutMs an invocation's deadline, counted from its arrival (queueing included)
 * @param concurrency invocations one regular instance serves at once
 * @param minScale regular instances kept even when idle
 * @param maxScale most regular instances
 * @param env environment variables the function sees
 * @param controlPlaneMode {@code dual}, {@code sync} or {@code async}; empty: the member's default
 * @param regularTrackDelayMs extra start-up latency added to the regular track (to emulate a
 *     conventional cluster manager); negative: the member's default
 * @param autoscaling per-function overrides of the autoscaler's knobs, by the names in {@link
 *     Autoscaler.Settings#KNOBS}; absent knobs take the member's defaults
 * @param async how its asynchronous calls are retried and drained ({@link AsyncPolicy#DEFAULT} when
 *     the deploy did not say)
 */
public record FunctionSpec(
    String name,
    String runtime,
    ModuleRef module,
    int memoryMb,
    long timeoutMs,
    int concurrency,
    int minScale,
    int maxScale,
    Map<String, String> env,
    String controlPlaneMode,
    long regularTrackDelayMs,
    Map<String, Double> autoscaling,
    AsyncPolicy async) {

  /**
   * How a function's asynchronous calls run.
   *
   * @param retries attempts after the first, for a function error, a timeout or a lost instance;
   *     then the call is dead-lettered
   * @param concurrency of its async calls, at most this many run at once (they never take more of
   *     the function's capacity, whatever the backlog)
   * @param backoffMs the first retry's delay; each next one doubles, with full jitter, up to
   *     {@link #MAX_BACKOFF_MS}
   * @param deadLetterFunction a function that receives, as an async call, the record of each call
   *     of this one that is dead-lettered ({@code ""}: none). A call that is itself such a delivery
   *     is never forwarded again when it dies, so no chain loops.
   */
  public record AsyncPolicy(int retries, int concurrency, long backoffMs, List<Schedule> schedules, String deadLetterFunction) {
    public static final AsyncPolicy DEFAULT = new AsyncPolicy(2, 4, 1000, List.of(), "");
    public static final int MAX_RETRIES = 100;
    public static final int MAX_CONCURRENCY = 1000;
    public static final long MAX_BACKOFF_MS = 3_600_000;
    public static final int MAX_SCHEDULES = 10;

    /** @throws IllegalArgumentException if {@code schedules} holds a null, with a message for the user */
    public AsyncPolicy {
      if (schedules != null && schedules.stream().anyMatch(java.util.Objects::isNull)) {
        throw new IllegalArgumentException("schedules must not contain null");
      }
      schedules = schedules == null ? List.of() : List.copyOf(schedules);
      deadLetterFunction = deadLetterFunction == null ? "" : deadLetterFunction;
    }

    public AsyncPolicy(int retries, int concurrency, long backoffMs, List<Schedule> schedules) {
      this(retries, concurrency, backoffMs, schedules, "");
    }

    public AsyncPolicy(int retries, int concurrency, long backoffMs) {
      this(retries, concurrency, backoffMs, List.of(), "");
    }

    /** The delay before retry {@code n} (1-based): a random delay up to {@code backoffMs * 2^(n-1)}, capped. */
    public long backoffBefore(int n, java.util.random.RandomGenerator random) {
      long ceiling = backoffMs << Math.min(20, Math.max(0, n - 1));
      ceiling = Math.min(MAX_BACKOFF_MS, Math.max(backoffMs, ceiling));
      // full jitter, but never under half the base: a retry storm cannot come back at once
      return backoffMs / 2 + (long) (random.nextDouble() * Math.max(1, ceiling - backoffMs / 2));
    }

    List<String> problems() {
      List<String> problems = new ArrayList<>();
      if (retries < 0 || retries > MAX_RETRIES) {
        problems.add("asyncRetries must be between 0 and " + MAX_RETRIES);
      }
      if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        problems.add("asyncConcurrency must be between 1 and " + MAX_CONCURRENCY);
      }
      if (backoffMs < 1 || backoffMs > MAX_BACKOFF_MS) {
        problems.add("asyncBackoffMs must be between 1 and " + MAX_BACKOFF_MS);
      }
      if (schedules.size() > MAX_SCHEDULES) {
        problems.add("at most " + MAX_SCHEDULES + " schedules");
      }
      if (!deadLetterFunction.isEmpty() && !validName(deadLetterFunction)) {
        problems.add("asyncDeadLetterFunction must be a valid function name");
      }
      for (int i = 0; i < schedules.size(); i++) {
        String problem = schedules.get(i).problem();
        if (problem != null) {
          problems.add("schedules[" + i + "]: " + problem);
        }
      }
      return problems;
    }
  }

  /**
   * A cron trigger: each tick of {@code cron} in {@code timeZone} becomes one asynchronous call with
   * {@code input} (exactly one per tick across the cluster).
   *
   * @param missed what a tick missed while no dispatcher ran (a full outage) becomes: {@code
   *     "fire-once"} (one call for all the missed ticks, on recovery) or {@code "skip"}
   */
  public record Schedule(String cron, String timeZone, String input, String missed) {
    public static final List<String> MISSED = List.of("fire-once", "skip");

    public Schedule {
      timeZone = timeZone == null || timeZone.isBlank() ? "UTC" : timeZone;
      input = input == null ? "" : input;
      missed = missed == null || missed.isBlank() ? "fire-once" : missed;
    }

    /** The parsed expression; throws IllegalArgumentException for an invalid one. */
    public CronSchedule parsed() {
      return CronSchedule.parse(cron, timeZone);
    }

    String problem() {
      if (!MISSED.contains(missed)) {
        return "missed must be one of " + MISSED;
      }
      if (input.length() > 65_536) {
        return "input must be at most 64 KiB";
      }
      try {
        parsed();
        return null;
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
  }

  /** A spec with the default {@link AsyncPolicy}. */
  public FunctionSpec(
      String name,
      String runtime,
      ModuleRef module,
      int memoryMb,
      long timeoutMs,
      int concurrency,
      int minScale,
      int maxScale,
      Map<String, String> env,
      String controlPlaneMode,
      long regularTrackDelayMs,
      Map<String, Double> autoscaling) {
    this(name, runtime, module, memoryMb, timeoutMs, concurrency, minScale, maxScale, env, controlPlaneMode,
        regularTrackDelayMs, autoscaling, AsyncPolicy.DEFAULT);
  }

  /** Without the values of {@code env}, where users keep secrets: a spec may end up in a log line. */
  @Override
  public String toString() {
    return "FunctionSpec[name=" + name + ", runtime=" + runtime + ", module=" + module + ", memoryMb=" + memoryMb
        + ", timeoutMs=" + timeoutMs + ", concurrency=" + concurrency + ", minScale=" + minScale + ", maxScale="
        + maxScale + ", env=" + (env == null ? null : new java.util.TreeSet<>(env.keySet())) + " (values hidden)"
        + ", controlPlaneMode=" + controlPlaneMode + ", regularTrackDelayMs=" + regularTrackDelayMs
        + ", autoscaling=" + autoscaling + ", async=" + async + "]";
  }

  public static final String WASM = "wasm";
  public static final int MAX_MEMORY_MB = 4096;
  public static final long MAX_TIMEOUT_MS = 900_000;
  public static final int MAX_CONCURRENCY = 1000;
  public static final int MAX_SCALE = 1000;
  public static final List<String> MODES = List.of("dual", "sync", "async");

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /**
   * @throws IllegalArgumentException if {@code env} or {@code autoscaling} holds a null key or
   *     value, with a message for the user
   */
  public FunctionSpec {
    module = module == null ? ModuleRef.NONE : module;
    env = env == null ? Map.of() : Map.copyOf(requireNoNulls("env", env));
    controlPlaneMode = controlPlaneMode == null ? "" : controlPlaneMode;
    autoscaling = autoscaling == null ? Map.of() : Map.copyOf(requireNoNulls("autoscaling", autoscaling));
    async = async == null ? AsyncPolicy.DEFAULT : async;
  }

  private static <V> Map<String, V> requireNoNulls(String field, Map<String, V> map) {
    for (Map.Entry<String, V> e : map.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException(field + " keys must not be null");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException(
            field + " values must not be null (\"" + e.getKey() + "\" is null): "
                + (field.equals("env") ? "use a string, \"\" for an empty one" : "use a number, or leave the knob out"));
      }
    }
    return map;
  }

  /** Whether {@code name} may name a function. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Every problem with this spec, in words a user can act on; empty if it is valid. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (!validName(name)) {
      problems.add(
          "name must be 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit");
    }
    if (!WASM.equals(runtime)) {
      problems.add("runtime must be \"wasm\" (got \"" + runtime + "\")");
    }
    if (module.isEmpty()) {
      problems.add("code must be a base64-encoded WebAssembly module");
    }
    if (memoryMb < 1 || memoryMb > MAX_MEMORY_MB) {
      problems.add("memoryMb must be between 1 and " + MAX_MEMORY_MB);
    }
    if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      problems.add("timeoutMs must be between 1 and " + MAX_TIMEOUT_MS);
    }
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      problems.add("concurrency must be between 1 and " + MAX_CONCURRENCY);
    }
    if (maxScale < 1 || maxScale > MAX_SCALE) {
      problems.add("maxScale must be between 1 and " + MAX_SCALE);
    }
    if (minScale < 0 || minScale > maxScale) {
      problems.add("minScale must be between 0 and maxScale");
    }
    if (!controlPlaneMode.isEmpty() && !MODES.contains(controlPlaneMode)) {
      problems.add("controlPlaneMode must be one of " + MODES);
    }
    problems.addAll(Autoscaler.Settings.problems(autoscaling));
    problems.addAll(async.problems());
    for (String key : env.keySet()) {
      if (key.isEmpty() || key.contains("=")) {
        problems.add("env keys must be non-empty and must not contain '='");
        break;
      }
    }
    return problems;
  }

  /** The same spec without inline code, for listings (a stored module's hash and size stay). */
  public FunctionSpec withoutCode() {
    return new FunctionSpec(
        name, runtime, module.withoutCode(), memoryMb, timeoutMs, concurrency, minScale, maxScale, env,
        controlPlaneMode, regularTrackDelayMs, autoscaling, async);
  }
}
