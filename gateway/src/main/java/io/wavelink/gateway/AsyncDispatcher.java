package io.wavelink.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionSpec;
import io.wavelink.function.FunctionStatus;
import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import io.wavelink.persistence.AsyncStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the asynchronous calls that {@link AsyncStore} holds: {@code dispatchers} of these actors run
 * across the cluster as a Pekko sharded daemon process (one instance per shard, moved to another
 * member when its member leaves or dies). Dispatcher {@code k} serves the functions with {@code
 * AsyncStore.shardOf(function) == k}, so a function's {@code asyncConcurrency} holds cluster-wide.
 *
 * <p>For each function with a backlog it scans the queue in due order from its cursor, reads the
 * record of each live row, marks it running under a lease, and sends it through the same hot path as
 * a synchronous call ({@link FunctionEntity.Invoke}): async work takes the same autoscaler and the
 * same instances, at most {@code asyncConcurrency} of a function's calls and {@code max-in-flight}
 * calls per dispatcher at once, so it never starves synchronous calls. The outcome is written back:
 * succeeded with the result; a function error, timeout or lost instance is retried after a backoff
 * (exponential with jitter) until {@code asyncRetries}, then dead-lettered; no capacity defers the
 * call without counting an attempt.
 *
 * <p>Delivery is at least once: a call whose dispatcher died mid-call runs again once its lease has
 * expired, and its record lists both attempts. Nothing of a dispatcher's state needs to survive it:
 * its successor starts from the durable cursor (saved every few seconds) and skips what the records
 * say is done.
 */
public final class AsyncDispatcher {

  private static final Logger log = LoggerFactory.getLogger(AsyncDispatcher.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** queue rows read per scan of one function */
  private static final int PAGE = 500;
  private static final Duration SPEC_TTL = Duration.ofSeconds(5);
  private static final Duration CURSOR_EVERY = Duration.ofSeconds(2);
  private static final Duration BACKLOG_EVERY = Duration.ofSeconds(1);

  /** How a dispatcher runs one call: the reply, or a failed stage when the answer never came. */
  public interface Invoker {
    CompletionStage<InvocationReply> invoke(String function, byte[] input, Duration timeout);
  }

  /** A function's spec (empty when it is not deployed, or could not be asked). */
  public interface Specs {
    CompletionStage<Optional<FunctionSpec>> spec(String function);
  }

  /** Starts the dispatchers on the members with {@code role}, invoking through {@code sharding}. */
  public static void init(
      ActorSystem<?> system, ClusterSharding sharding, AsyncStore store, AsyncSettings settings, Blobs blobs,
      String role) {
    Invoker invoker = (function, input, timeout) -> {
      Blobs.Ref ref = blobs.large(input) ? blobs.put(input, timeout) : null;
      return sharding.entityRefFor(FunctionEntity.TYPE_KEY, function)
          .<InvocationReply>ask(r -> new FunctionEntity.Invoke(ref == null ? input : new byte[0], r, ref), timeout)
          .thenCompose(reply -> reply.outputRef() == null
              ? CompletableFuture.completedFuture(reply)
              : blobs.get(reply.outputRef(), true).thenApply(reply::withOutput))
          .whenComplete((r, e) -> {
            if (ref != null) {
              blobs.remove(ref);
            }
          });
    };
    Specs specs = function -> sharding.entityRefFor(FunctionEntity.TYPE_KEY, function)
        .ask(FunctionEntity.Get::new, Duration.ofSeconds(5))
        .thenApply((FunctionStatus s) -> s.found() ? Optional.of(s.spec()) : Optional.<FunctionSpec>empty());
    ShardedDaemonProcess.get(system).init(
        Command.class,
        "wavelink-async",
        settings.dispatchers(),
        shard -> create(shard, store, settings, invoker, specs),
        ShardedDaemonProcessSettings.create(system).withRole(role),
        Optional.empty());
  }

  // ---------------------------------------------------------------- messages (all local)

  interface Command extends NoSerializationVerificationNeeded {}

  private record Tick() implements Command {}

  private record BacklogRead(List<AsyncStore.Backlog> functions, Throwable failure) implements Command {}

  private record RowsRead(String function, boolean sweep, Instant upTo, List<AsyncStore.QueueRow> rows, Throwable failure)
      implements Command {}

  private record Checked(String function, AsyncStore.QueueRow row, Optional<AsyncStore.Invocation> record, Throwable failure)
      implements Command {}

  private record Finished(String function, AsyncStore.QueueRow row, boolean written) implements Command {}

  private record SpecRead(String function, Optional<FunctionSpec> spec) implements Command {}

  // ---------------------------------------------------------------- state

  /** What a dispatcher knows of one function's queue. */
  private static final class Fn {
    final String name;
    /** the forward scan's next start (inclusive) */
    Instant scanFrom;
    Instant savedCursor;
    long cursorSavedAtMs;
    /** rows (id#seq) this dispatcher has seen, by due: skipped when read again */
    final Map<String, Instant> known = new HashMap<>();
    /** rows being checked or run here, by due */
    final Map<String, Instant> busy = new HashMap<>();
    /** rows running under another dispatcher's lease: due, and when to look again */
    final Map<String, AsyncStore.QueueRow> foreign = new HashMap<>();
    final Map<String, Instant> foreignUntil = new HashMap<>();
    boolean reading;
    long lastSweepMs;
    long nextPollMs;
    FunctionSpec.AsyncPolicy policy = FunctionSpec.AsyncPolicy.DEFAULT;
    long timeoutMs = -1;
    /** when the spec was last read; 0: never (the first calls wait for it) */
    long specAtMs;
    boolean specAsked;

    Fn(String name, Instant scanFrom) {
      this.name = name;
      this.scanFrom = scanFrom;
      this.savedCursor = scanFrom;
    }

    Instant cursor(Duration margin) {
      Instant c = scanFrom.minus(margin);
      for (Instant due : busy.values()) {
        c = due.isBefore(c) ? due : c;
      }
      for (AsyncStore.QueueRow r : foreign.values()) {
        c = r.due().isBefore(c) ? r.due() : c;
      }
      return c;
    }
  }

  static Behavior<Command> create(int shard, AsyncStore store, AsyncSettings settings, Invoker invoker, Specs specs) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new AsyncDispatcher(shard, store, settings, invoker, specs, ctx, timers).behavior()));
  }

  private final int shard;
  private final AsyncStore store;
  private final AsyncSettings settings;
  private final Invoker invoker;
  private final Specs specs;
  private final ActorContext<Command> ctx;
  private final Map<String, Fn> functions = new LinkedHashMap<>();
  private int inFlight;
  /** this dispatcher's member, as its attempts name it */
  private final String self;
  private boolean backlogReading;
  private long backlogReadAtMs;

  private AsyncDispatcher(
      int shard, AsyncStore store, AsyncSettings settings, Invoker invoker, Specs specs, ActorContext<Command> ctx,
      TimerScheduler<Command> timers) {
    this.shard = shard;
    this.store = store;
    this.settings = settings;
    this.invoker = invoker;
    this.specs = specs;
    this.ctx = ctx;
    this.self = ctx.getSystem().address().toString();
    timers.startTimerWithFixedDelay(new Tick(), settings.pollInterval());
    log.debug("async dispatcher {} started", shard);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(BacklogRead.class, this::onBacklog)
        .onMessage(SpecRead.class, this::onSpec)
        .onMessage(RowsRead.class, this::onRows)
        .onMessage(Checked.class, this::onChecked)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onTick() {
    long now = System.currentTimeMillis();
    if (!backlogReading && now - backlogReadAtMs >= BACKLOG_EVERY.toMillis()) {
      backlogReading = true;
      backlogReadAtMs = now;
      ctx.pipeToSelf(store.backlog(shard), BacklogRead::new);
    }
    // rotate, so that no function always goes first for the dispatcher's capacity
    List<Fn> order = new ArrayList<>(functions.values());
    if (!order.isEmpty()) {
      java.util.Collections.rotate(order, -(int) ((now / settings.pollInterval().toMillis()) % order.size()));
    }
    for (Fn fn : order) {
      poll(fn, now);
      saveCursor(fn, now);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onBacklog(BacklogRead r) {
    backlogReading = false;
    if (r.failure() != null) {
      log.warn("async dispatcher {}: backlog not read: {}", shard, r.failure().toString());
      return Behaviors.same();
    }
    Instant now = Instant.now();
    for (AsyncStore.Backlog b : r.functions()) {
      // a function never dispatched before starts at the oldest a call of it can be
      functions.computeIfAbsent(b.function(),
          f -> new Fn(f, b.cursor() != null ? b.cursor() : now.minus(settings.retention())));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSpec(SpecRead r) {
    Fn fn = functions.get(r.function());
    if (fn != null) {
      fn.specAsked = false;
      fn.specAtMs = System.currentTimeMillis();
      r.spec().ifPresent(s -> {
        fn.policy = s.async();
        fn.timeoutMs = s.timeoutMs();
      });
    }
    return Behaviors.same();
  }

  private void poll(Fn fn, long nowMs) {
    if (!fn.specAsked && nowMs - fn.specAtMs >= SPEC_TTL.toMillis()) {
      fn.specAsked = true;
      ctx.pipeToSelf(specs.spec(fn.name), (s, e) -> new SpecRead(fn.name, e == null ? s : Optional.empty()));
    }
    // rows under another dispatcher's lease whose lease ran out are checked again
    for (Iterator<Map.Entry<String, Instant>> it = fn.foreignUntil.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Instant> e = it.next();
      if (e.getValue().toEpochMilli() <= nowMs && free(fn) > 0) {
        AsyncStore.QueueRow row = fn.foreign.remove(e.getKey());
        it.remove();
        check(fn, row);
      }
    }
    // the first calls wait for the spec: its timeout sets their deadline, its policy their retries
    if (fn.specAtMs == 0 || fn.reading || nowMs < fn.nextPollMs || free(fn) <= 0) {
      return;
    }
    fn.reading = true;
    Instant now = Instant.ofEpochMilli(nowMs);
    if (nowMs - fn.lastSweepMs >= 1000) {
      // rows that landed behind the scan (a late write, a skewed clock): once a second
      fn.lastSweepMs = nowMs;
      Instant from = fn.scanFrom.minus(settings.lateMargin());
      Instant to = fn.scanFrom.minusMillis(1);
      ctx.pipeToSelf(range(fn.name, from, to, PAGE * 4), (rows, e) -> new RowsRead(fn.name, true, to, rows, e));
    } else {
      ctx.pipeToSelf(range(fn.name, fn.scanFrom, now, PAGE), (rows, e) -> new RowsRead(fn.name, false, now, rows, e));
    }
  }

  /** Queue rows in {@code [from, to]}, across hour buckets, at most {@code limit}, in due order. */
  private CompletionStage<List<AsyncStore.QueueRow>> range(String function, Instant from, Instant to, int limit) {
    if (from.isAfter(to)) {
      return CompletableFuture.completedFuture(List.of());
    }
    long bucketEnd = (AsyncStore.hour(from) + 1) * 3_600_000L - 1;
    Instant upTo = to.toEpochMilli() <= bucketEnd ? to : Instant.ofEpochMilli(bucketEnd);
    return store.queueRows(function, from, upTo, limit).thenCompose(rows -> {
      if (rows.size() >= limit || upTo.equals(to)) {
        return CompletableFuture.completedFuture(rows);
      }
      return range(function, Instant.ofEpochMilli(bucketEnd + 1), to, limit - rows.size()).thenApply(more -> {
        List<AsyncStore.QueueRow> all = new ArrayList<>(rows);
        all.addAll(more);
        return all;
      });
    });
  }

  private int free(Fn fn) {
    return Math.min(fn.policy.concurrency() - fn.busy.size(), settings.maxInFlight() - inFlight);
  }

  private Behavior<Command> onRows(RowsRead r) {
    Fn fn = functions.get(r.function());
    if (fn == null) {
      return Behaviors.same();
    }
    fn.reading = false;
    long nowMs = System.currentTimeMillis();
    if (r.failure() != null) {
      log.warn("async dispatcher {}: queue of {} not read: {}", shard, fn.name, r.failure().toString());
      fn.nextPollMs = nowMs + settings.idlePollInterval().toMillis();
      return Behaviors.same();
    }
    boolean took = false;
    Instant stoppedAt = null;
    for (AsyncStore.QueueRow row : r.rows()) {
      String key = key(row);
      if (fn.known.containsKey(key)) {
        continue;
      }
      if (free(fn) <= 0) {
        stoppedAt = row.due();
        break;
      }
      took = true;
      check(fn, row);
    }
    if (stoppedAt != null) {
      // the scan resumes here once there is room: a late row found by the sweep pulls it back
      if (r.sweep() || stoppedAt.isBefore(fn.scanFrom)) {
        fn.scanFrom = stoppedAt.isBefore(fn.scanFrom) ? stoppedAt : fn.scanFrom;
      } else {
        fn.scanFrom = stoppedAt;
      }
    } else if (!r.sweep()) {
      boolean complete = r.rows().size() < PAGE;
      fn.scanFrom = complete ? r.upTo().plusMillis(1) : r.rows().get(r.rows().size() - 1).due();
    }
    prune(fn);
    boolean idle = !took && fn.busy.isEmpty() && fn.foreign.isEmpty();
    // a sweep is always followed by a forward scan, at the next tick
    fn.nextPollMs = r.sweep() ? 0 : nowMs + (idle ? settings.idlePollInterval() : settings.pollInterval()).toMillis();
    return Behaviors.same();
  }

  private static String key(AsyncStore.QueueRow row) {
    return row.id() + "#" + row.seq();
  }

  /** Forgets rows well behind the scan: no read reaches them again. */
  private void prune(Fn fn) {
    Instant floor = fn.scanFrom.minus(settings.lateMargin()).minusSeconds(1);
    fn.known.values().removeIf(due -> due.isBefore(floor));
  }

  private void check(Fn fn, AsyncStore.QueueRow row) {
    fn.known.put(key(row), row.due());
    fn.busy.put(key(row), row.due());
    inFlight++;
    ctx.pipeToSelf(store.get(row.id()), (inv, e) -> new Checked(fn.name, row, inv, e));
  }

  private Behavior<Command> onChecked(Checked c) {
    Fn fn = functions.get(c.function());
    if (fn == null) {
      inFlight--;
      return Behaviors.same();
    }
    if (c.failure() != null) {
      log.warn("async dispatcher {}: call {} of {} not read: {}", shard, c.row().id(), fn.name, c.failure().toString());
      release(fn, c.row(), false);
      return Behaviors.same();
    }
    Optional<AsyncStore.Invocation> found = c.record();
    if (found.isEmpty() || found.get().seq() != c.row().seq() || found.get().terminal()) {
      // expired, half-accepted (the client saw a 503), superseded by a retry, or done
      release(fn, c.row(), true);
      return Behaviors.same();
    }
    AsyncStore.Invocation inv = found.get();
    Instant now = Instant.now();
    if (AsyncStore.RUNNING.equals(inv.status()) && inv.leaseUntil() != null && inv.leaseUntil().isAfter(now)) {
      // another dispatcher (the one before a hand-over) runs it: look again when its lease is up
      fn.busy.remove(key(c.row()));
      inFlight--;
      fn.foreign.put(key(c.row()), c.row());
      fn.foreignUntil.put(key(c.row()), inv.leaseUntil());
      return Behaviors.same();
    }
    run(fn, c.row(), inv);
    return Behaviors.same();
  }

  private void run(Fn fn, AsyncStore.QueueRow row, AsyncStore.Invocation inv) {
    int attempt = inv.attempts().size() - inv.attemptBase() + 1;
    long timeoutMs = fn.timeoutMs > 0 ? fn.timeoutMs : 10_000;
    Duration askTimeout = Duration.ofMillis(timeoutMs).plus(settings.leaseMargin().dividedBy(2));
    Instant started = Instant.now();
    Instant lease = started.plusMillis(timeoutMs).plus(settings.leaseMargin());
    FunctionSpec.AsyncPolicy policy = fn.policy;
    CompletionStage<Boolean> done =
        store.running(inv.id(), lease, started + " " + self)
            .thenCompose(ok -> invoker.invoke(fn.name, inv.input(), askTimeout)
                .handle((reply, failure) -> outcome(fn.name, row, inv, attempt, policy, started, reply, failure))
                .thenCompose(w -> w))
            .handle((ok, e) -> {
              if (e != null) {
                log.warn("async call {} of {}: its outcome was not recorded ({}); it runs again after its lease",
                    inv.id(), fn.name, e.toString());
              }
              return e == null;
            });
    ctx.pipeToSelf(done, (ok, e) -> new Finished(fn.name, row, ok != null && ok));
  }

  /** Writes what an attempt came to: succeeded, retried, deferred or dead. */
  private CompletionStage<Void> outcome(
      String function, AsyncStore.QueueRow row, AsyncStore.Invocation inv, int attempt,
      FunctionSpec.AsyncPolicy policy, Instant started, InvocationReply reply, Throwable failure) {
    String outcome;
    String message;
    String stderr = "";
    boolean retryable;
    if (failure != null) {
      outcome = "lost";
      message = "no answer from the function's entity (" + rootMessage(failure) + ")";
      retryable = true;
    } else {
      stderr = reply.stderrTail();
      message = reply.message();
      switch (reply.status()) {
        case OK -> {
          byte[] out = reply.output();
          String note = "";
          if (out.length > settings.maxResultBytes()) {
            note = "the result (" + out.length + " bytes) is larger than wavelink.async.max-result-size ("
                + settings.maxResultBytes() + " bytes) and was not kept";
            out = new byte[0];
          }
          return store.succeeded(inv.id(), attemptJson(attempt, started, "succeeded", note, reply), out, stderr);
        }
        case NOT_FOUND -> {
          return store.dead(function, inv.id(), attemptJson(attempt, started, "not_found", "function not deployed", reply),
              "function " + function + " is not deployed", stderr);
        }
        case OVERLOADED, NO_CAPACITY, UNAVAILABLE -> {
          // the platform's back-pressure, not the call's fault: wait, without using an attempt
          Instant due = Instant.now().plus(settings.defer()).plusMillis(ThreadLocalRandom.current().nextLong(
              Math.max(1, settings.defer().toMillis())));
          return store.retry(function, inv.id(), inv.seq() + 1, due, AsyncStore.QUEUED, null,
              "deferred: " + reply.message(), stderr);
        }
        default -> {
          outcome = reply.status().name().toLowerCase(java.util.Locale.ROOT);
          retryable = true;
        }
      }
    }
    String attemptRecord = attemptJson(attempt, started, outcome, message, reply);
    if (retryable && attempt <= policy.retries()) {
      Instant due = Instant.now().plusMillis(policy.backoffBefore(attempt, ThreadLocalRandom.current()));
      return store.retry(function, inv.id(), inv.seq() + 1, due, AsyncStore.FAILED, attemptRecord,
          "attempt " + attempt + " failed (" + outcome + "): " + message + "; retry at " + due, stderr);
    }
    return store.dead(function, inv.id(), attemptRecord,
        "attempt " + attempt + " failed (" + outcome + "): " + message + "; no retries left", stderr);
  }

  private String attemptJson(int attempt, Instant started, String outcome, String message, InvocationReply reply) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("attempt", attempt);
    a.put("dispatcher", self);
    a.put("startedAt", started.toString());
    a.put("endedAt", Instant.now().toString());
    a.put("outcome", outcome);
    a.put("message", message == null ? "" : message);
    if (reply != null && !reply.instanceId().isEmpty()) {
      a.put("instance", reply.instanceId());
      a.put("kind", reply.kind() == null ? "none" : reply.kind().label());
      a.put("durationMs", reply.durationMicros() / 1000.0);
    }
    try {
      return JSON.writeValueAsString(a);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }

  private Behavior<Command> onFinished(Finished f) {
    Fn fn = functions.get(f.function());
    if (fn != null) {
      release(fn, f.row(), f.written());
    } else {
      inFlight--;
    }
    return Behaviors.same();
  }

  /**
   * A row is no longer busy here. {@code done}: its record says where it stands. Otherwise (a read or
   * a write failed) it is read again: the scan goes back to it.
   */
  private void release(Fn fn, AsyncStore.QueueRow row, boolean done) {
    if (fn.busy.remove(key(row)) != null) {
      inFlight--;
    }
    if (!done) {
      fn.known.remove(key(row));
      if (row.due().isBefore(fn.scanFrom)) {
        fn.scanFrom = row.due();
      }
      fn.nextPollMs = System.currentTimeMillis() + settings.idlePollInterval().toMillis();
    } else {
      fn.nextPollMs = 0;
    }
  }

  private void saveCursor(Fn fn, long nowMs) {
    if (nowMs - fn.cursorSavedAtMs < CURSOR_EVERY.toMillis()) {
      return;
    }
    Instant cursor = fn.cursor(settings.lateMargin());
    if (cursor.equals(fn.savedCursor)) {
      return;
    }
    fn.cursorSavedAtMs = nowMs;
    fn.savedCursor = cursor;
    store.saveCursor(shard, fn.name, cursor).whenComplete((ok, e) -> {
      if (e != null) {
        log.debug("async dispatcher {}: cursor of {} not saved: {}", shard, fn.name, e.toString());
      }
    });
  }
}
