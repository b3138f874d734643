package io.wavelink.gateway;

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
  /** queue rows read per scan of one function */
  private static final int PAGE = 500;
  private static final Duration SPEC_TTL = Duration.ofSeconds(5);
  private static final Duration CURSOR_EVERY = Duration.ofSeconds(2);
  private static final Duration BACKLOG_EVERY = Duration.ofSeconds(1);
  /** how long a queue row whose record is missing (or behind) is looked at again before it is dropped */
  private static final Duration RECORD_GRACE = Duration.ofSeconds(30);

  /** Starts the dispatchers on the members with {@code role}, invoking through {@code sharding}. */
  public static void init(
      ActorSystem<?> system, ClusterSharding sharding, AsyncStore store, AsyncSettings settings, Blobs blobs,
      String role) {
    ShardedDaemonProcess.get(system).init(
        Command.class,
        "wavelink-async",
        settings.dispatchers(),
        shard -> create(shard, store, settings, sharding, blobs),
        ShardedDaemonProcessSettings.create(system).withRole(role),
        Optional.empty());
  }

  // ---------------------------------------------------------------- messages (all local)

  interface Command extends NoSerializationVerificationNeeded {}

  private record Tick() implements Command {}

  private record BacklogRead(List<AsyncStore.Backlog> functions, Throwable failure) implements Command {}

  private record RowsRead(String function, boolean sweep, Instant upTo, int limit, List<AsyncStore.QueueRow> rows,
      Throwable failure) implements Command {}

  private record Checked(String function, AsyncStore.QueueRow row, Optional<AsyncStore.Invocation> record, Throwable failure)
      implements Command {}

  /** {@code nextDue}: when the call runs again (a retry or a deferral), else null. */
  private record Finished(String function, AsyncStore.QueueRow row, boolean written, Instant nextDue) implements Command {}

  /** {@code known} false: the entity did not answer (the last spec read stays). */
  private record SpecRead(String function, Optional<FunctionSpec> spec, boolean known) implements Command {}

  private record SchedulesRead(List<AsyncStore.Scheduled> functions, Throwable failure) implements Command {}

  private record Fired(String function, String key, Instant previous, Instant tick, Throwable failure) implements Command {}

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
    /** rows read and not yet started (no room then), in due order: started before the next read */
    final java.util.ArrayDeque<AsyncStore.QueueRow> buffer = new java.util.ArrayDeque<>();
    /** rows a forward scan reads at most */
    int pageLimit = PAGE;
    /** when a read last found work, or the function was last woken */
    long activeAtMs = System.currentTimeMillis();
    /** the backlog entry's last accept, as last read */
    Instant lastAccept;
    /** the earliest retry or deferral this dispatcher wrote that is still to come */
    long wakeAtMs = Long.MAX_VALUE;
    /** while idle: when to look anyway (rows this dispatcher did not write, e.g. a predecessor's retries) */
    long idleCheckAtMs;

    boolean inHand() {
      return !busy.isEmpty() || !foreign.isEmpty() || !buffer.isEmpty() || reading;
    }
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
    long specRetryAtMs;
    boolean policyKnown;
    boolean specAsked;
    /** the last tick fired of each schedule, by {@link #scheduleKey}; a firing in progress counts */
    final Map<String, Instant> fired = new HashMap<>();
    final java.util.Set<String> firing = new java.util.HashSet<>();
    final Map<String, io.wavelink.function.CronSchedule> crons = new HashMap<>();
    /** whether the fired ticks were read from Cassandra (a function may have schedules only then) */
    boolean schedulesLoaded;
    /** when the schedules table last listed it */
    long scheduledSeenAtMs;

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
      for (AsyncStore.QueueRow r : buffer) {
        c = r.due().isBefore(c) ? r.due() : c;
      }
      return c;
    }
  }

  static Behavior<Command> create(int shard, AsyncStore store, AsyncSettings settings, ClusterSharding sharding, Blobs blobs) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new AsyncDispatcher(shard, store, settings, sharding, blobs, ctx, timers).behavior()));
  }

  private final int shard;
  private final AsyncStore store;
  private final AsyncSettings settings;
  private final ClusterSharding sharding;
  private final Blobs blobs;
  /** a function found empty this long (more than a gateway's backlog refresh) goes idle */
  private final long idleAfterMs;
  private final ActorContext<Command> ctx;
  private final Map<String, Fn> functions = new LinkedHashMap<>();
  private int inFlight;
  /** this dispatcher's member, as its attempts name it */
  private final String self;
  private final AsyncOutcome outcomes;
  private boolean backlogReading;
  private long backlogReadAtMs;
  private boolean schedulesReading;
  private long schedulesReadAtMs;

  private AsyncDispatcher(
      int shard, AsyncStore store, AsyncSettings settings, ClusterSharding sharding, Blobs blobs, ActorContext<Command> ctx,
      TimerScheduler<Command> timers) {
    this.shard = shard;
    this.store = store;
    this.settings = settings;
    this.sharding = sharding;
    this.blobs = blobs;
    this.idleAfterMs = settings.backlogRefresh().toMillis() + 5_000;
    this.ctx = ctx;
    this.self = ctx.getSystem().address().toString();
    this.outcomes = new AsyncOutcome(store, settings, self);
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
        .onMessage(Leased.class, this::onLeased)
        .onMessage(Invoked.class, this::onInvoked)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(SchedulesRead.class, this::onSchedules)
        .onMessage(Fired.class, this::onFired)
        .build();
  }

  private Behavior<Command> onTick() {
    long now = System.currentTimeMillis();
    if (!backlogReading && now - backlogReadAtMs >= BACKLOG_EVERY.toMillis()) {
      backlogReading = true;
      backlogReadAtMs = now;
      ctx.pipeToSelf(store.backlog(shard), BacklogRead::new);
    }
    if (!schedulesReading && now - schedulesReadAtMs >= BACKLOG_EVERY.toMillis()) {
      schedulesReading = true;
      schedulesReadAtMs = now;
      ctx.pipeToSelf(store.scheduled(shard), SchedulesRead::new);
    }
    // rotate, so that no function always goes first for the dispatcher's capacity
    List<Fn> order = new ArrayList<>(functions.values());
    if (!order.isEmpty()) {
      java.util.Collections.rotate(order, -(int) ((now / settings.pollInterval().toMillis()) % order.size()));
    }
    for (Fn fn : order) {
      fireSchedules(fn, Instant.ofEpochMilli(now));
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
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (AsyncStore.Backlog b : r.functions()) {
      listed.add(b.function());
      // a function never dispatched before starts at the oldest a call of it can be
      Fn fn = functions.computeIfAbsent(b.function(),
          f -> new Fn(f, b.cursor() != null ? b.cursor() : now.minus(settings.retention())));
      if (b.lastAccept() != null && (fn.lastAccept == null || b.lastAccept().isAfter(fn.lastAccept))) {
        // a call after a quiet minute: look now
        fn.lastAccept = b.lastAccept();
        wake(fn, now.toEpochMilli());
      }
    }
    // a function whose backlog entry expired (no call for the retention) and that has no schedules
    // and nothing in hand is forgotten: it costs this dispatcher nothing until its next call
    long nowMs = now.toEpochMilli();
    functions.values().removeIf(fn -> !listed.contains(fn.name) && fn.busy.isEmpty() && fn.foreign.isEmpty()
        && fn.buffer.isEmpty()
        && !fn.reading && fn.firing.isEmpty() && nowMs - fn.scheduledSeenAtMs > 10_000);
    return Behaviors.same();
  }

  // ---------------------------------------------------------------- cron schedules

  private Behavior<Command> onSchedules(SchedulesRead r) {
    schedulesReading = false;
    if (r.failure() != null) {
      log.warn("async dispatcher {}: schedules not read: {}", shard, r.failure().toString());
      return Behaviors.same();
    }
    Instant now = Instant.now();
    for (AsyncStore.Scheduled s : r.functions()) {
      Fn fn = functions.computeIfAbsent(s.function(), f -> new Fn(f, now.minus(settings.retention())));
      // what another dispatcher fired before this one took over counts too
      s.fired().forEach((key, tick) -> fn.fired.merge(key, tick, (a, b) -> a.isAfter(b) ? a : b));
      fn.schedulesLoaded = true;
      fn.scheduledSeenAtMs = now.toEpochMilli();
    }
    return Behaviors.same();
  }

  /** A schedule's identity across redeploys: its expression and time zone. */
  static String scheduleKey(FunctionSpec.Schedule s) {
    return s.cron().trim() + "@" + s.timeZone();
  }

  /**
   * Fires each of {@code fn}'s schedules whose tick has come: one async call per tick, made exactly
   * once across the cluster by its idempotency key ({@code cron:<schedule>:<tick>}), however many
   * dispatchers (one before a hand-over, one after) look at the same tick. A schedule seen for the
   * first time starts from now. Ticks missed while no dispatcher ran make one call ({@code
   * fire-once}) or none ({@code skip}).
   */
  private void fireSchedules(Fn fn, Instant now) {
    if (fn.specAtMs == 0 || !fn.schedulesLoaded) {
      return;
    }
    for (FunctionSpec.Schedule schedule : fn.policy.schedules()) {
      String key = scheduleKey(schedule);
      if (fn.firing.contains(key)) {
        continue;
      }
      io.wavelink.function.CronSchedule cron = fn.crons.computeIfAbsent(key, k -> {
        try {
          return schedule.parsed();
        } catch (IllegalArgumentException e) {
          return null;
        }
      });
      if (cron == null) {
        continue;
      }
      Instant last = fn.fired.get(key);
      if (last == null) {
        // a new schedule: its first tick is the first after now
        fn.firing.add(key);
        ctx.pipeToSelf(store.fired(shard, fn.name, key, now), (ok, e) -> new Fired(fn.name, key, null, now, e));
        continue;
      }
      Optional<Instant> first = cron.next(last);
      if (first.isEmpty() || first.get().isAfter(now)) {
        continue;
      }
      Instant tick = cron.latestTickUpTo(first.get(), now);
      int missed = tick.equals(first.get()) ? 0 : 1;
      boolean late = Duration.between(tick, now).compareTo(settings.lateMargin().plusSeconds(60)) > 0;
      Instant fire = tick;
      fn.firing.add(key);
      if ((missed > 0 || late) && "skip".equals(schedule.missed())) {
        log.info("async dispatcher {}: {} skipped the missed ticks of {} up to {} (missed: skip)", shard, fn.name, key, fire);
        ctx.pipeToSelf(store.fired(shard, fn.name, key, fire), (ok, e) -> new Fired(fn.name, key, last, fire, e));
        continue;
      }
      if (missed > 0) {
        log.info("async dispatcher {}: {} fires one call for the missed ticks of {} up to {} (missed: fire-once)", shard, fn.name, key, fire);
      }
      String idempotencyKey = "cron:" + key + ":" + fire.getEpochSecond();
      CompletionStage<Void> done = store.accept(fn.name, schedule.input().getBytes(java.nio.charset.StandardCharsets.UTF_8),
              idempotencyKey, settings.dispatchers(), "schedule " + key + " tick " + fire)
          .thenCompose(accepted -> store.fired(shard, fn.name, key, fire));
      ctx.pipeToSelf(done, (ok, e) -> new Fired(fn.name, key, last, fire, e));
    }
  }

  private Behavior<Command> onFired(Fired f) {
    Fn fn = functions.get(f.function());
    if (fn == null) {
      return Behaviors.same();
    }
    fn.firing.remove(f.key());
    if (f.failure() != null) {
      // tried again at the next tick of the dispatcher: the idempotency key keeps it to one call
      log.warn("async dispatcher {}: tick {} of {} of {} not fired yet: {}", shard, f.tick(), f.key(), fn.name,
          f.failure().toString());
      return Behaviors.same();
    }
    fn.fired.merge(f.key(), f.tick(), (a, b) -> a.isAfter(b) ? a : b);
    fn.nextPollMs = 0;
    return Behaviors.same();
  }

  private Behavior<Command> onSpec(SpecRead r) {
    Fn fn = functions.get(r.function());
    if (fn != null) {
      fn.specAsked = false;
      fn.specAtMs = System.currentTimeMillis();
      if (!r.known()) {
        // the entity did not answer: keep what was known; a function never read yet keeps waiting
        if (fn.policyKnown) {
          return Behaviors.same();
        }
        fn.specAtMs = 0;
        fn.specRetryAtMs = System.currentTimeMillis() + 1000;
        return Behaviors.same();
      }
      fn.policyKnown = true;
      r.spec().ifPresentOrElse(s -> {
        if (!s.async().schedules().equals(fn.policy.schedules())) {
          fn.crons.clear();
        }
        fn.policy = s.async();
        fn.timeoutMs = s.timeoutMs();
      }, () -> {
        // not deployed (any more): its schedules stop
        fn.policy = new FunctionSpec.AsyncPolicy(fn.policy.retries(), fn.policy.concurrency(), fn.policy.backoffMs());
      });
    }
    return Behaviors.same();
  }

  /**
   * Whether a function is idle: nothing in hand and nothing found for longer than a gateway waits
   * between two writes of its backlog entry. An idle function costs no reads and no spec asks (its
   * entity may passivate): it is looked at again when its backlog entry shows a newer accept, when a
   * retry it scheduled is due, or once a minute anyway.
   */
  private boolean idle(Fn fn, long nowMs) {
    if (fn.inHand() || !fn.policy.schedules().isEmpty() || !fn.policyKnown) {
      return false;
    }
    if (fn.wakeAtMs <= nowMs) {
      wake(fn, nowMs);
      return false;
    }
    if (nowMs - fn.activeAtMs <= idleAfterMs) {
      return false;
    }
    if (fn.idleCheckAtMs <= nowMs) {
      // one look, without waking it: a read that finds work makes it active again
      fn.idleCheckAtMs = nowMs + 60_000;
      fn.nextPollMs = 0;
      fn.lastSweepMs = nowMs; // a forward read, from where the scan stands to now
      return false;
    }
    return true;
  }

  private void wake(Fn fn, long nowMs) {
    fn.activeAtMs = nowMs;
    fn.wakeAtMs = Long.MAX_VALUE;
    fn.idleCheckAtMs = nowMs + idleAfterMs + 60_000;
    fn.nextPollMs = 0;
  }

  private void poll(Fn fn, long nowMs) {
    if (idle(fn, nowMs)) {
      return;
    }
    if (!fn.specAsked && nowMs - fn.specAtMs >= SPEC_TTL.toMillis() && nowMs >= fn.specRetryAtMs) {
      fn.specAsked = true;
      // replies come as messages (ctx.ask): no future per call, no thread per call
      ctx.ask(FunctionStatus.class, sharding.entityRefFor(FunctionEntity.TYPE_KEY, fn.name), Duration.ofSeconds(5),
          FunctionEntity.Get::new,
          (st, e) -> new SpecRead(fn.name, e == null && st.found() ? Optional.of(st.spec()) : Optional.empty(), e == null));
    }
    // rows under another dispatcher's lease whose lease ran out are checked again
    for (Iterator<Map.Entry<String, Instant>> it = fn.foreignUntil.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Instant> e = it.next();
      // the row counts in foreign already: it needs no room of its function's, only the dispatcher's
      if (e.getValue().toEpochMilli() <= nowMs && settings.maxInFlight() - inFlight > 0) {
        AsyncStore.QueueRow row = fn.foreign.remove(e.getKey());
        it.remove();
        check(fn, row);
      }
    }
    // the first calls wait for the spec: its timeout sets their deadline, its policy their retries
    if (fn.specAtMs == 0) {
      return;
    }
    startBuffered(fn);
    if (fn.reading || nowMs < fn.nextPollMs || free(fn) <= 0 || !fn.buffer.isEmpty()) {
      return;
    }
    fn.reading = true;
    Instant now = Instant.ofEpochMilli(nowMs);
    if (nowMs - fn.lastSweepMs >= 1000) {
      // rows that landed behind the scan (a late write, a skewed clock): once a second
      fn.lastSweepMs = nowMs;
      Instant from = fn.scanFrom.minus(settings.lateMargin());
      Instant to = fn.scanFrom.minusMillis(1);
      ctx.pipeToSelf(range(fn.name, from, to, PAGE * 4), (rows, e) -> new RowsRead(fn.name, true, to, PAGE * 4, rows, e));
    } else {
      int limit = fn.pageLimit;
      ctx.pipeToSelf(range(fn.name, fn.scanFrom, now, limit), (rows, e) -> new RowsRead(fn.name, false, now, limit, rows, e));
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
    return Math.min(fn.policy.concurrency() - fn.busy.size() - fn.foreign.size(), settings.maxInFlight() - inFlight);
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
      took = true;
      if (free(fn) > 0) {
        check(fn, row);
      } else if (fn.buffer.size() < PAGE) {
        // kept in memory, started as slots free up, without reading the queue again
        fn.known.put(key, row.due());
        fn.buffer.add(row);
      } else {
        stoppedAt = row.due();
        break;
      }
    }
    if (stoppedAt != null) {
      // the scan resumes here once there is room: a late row found by the sweep pulls it back
      if (r.sweep() || stoppedAt.isBefore(fn.scanFrom)) {
        fn.scanFrom = stoppedAt.isBefore(fn.scanFrom) ? stoppedAt : fn.scanFrom;
      } else {
        fn.scanFrom = stoppedAt;
      }
    } else if (!r.sweep()) {
      boolean complete = r.rows().size() < r.limit();
      Instant next = complete ? r.upTo().plusMillis(1) : r.rows().get(r.rows().size() - 1).due();
      // a full page that did not move the scan (more rows due in one millisecond than a page): read more
      fn.pageLimit = !complete && !next.isAfter(fn.scanFrom) ? Math.min(fn.pageLimit * 2, 1 << 16) : PAGE;
      fn.scanFrom = next;
    }
    prune(fn);
    boolean idle = !took && fn.busy.isEmpty() && fn.foreign.isEmpty() && fn.buffer.isEmpty();
    if (!idle) {
      fn.activeAtMs = nowMs;
    }
    // a sweep is always followed by a forward scan, at the next tick
    fn.nextPollMs = r.sweep() ? 0 : nowMs + (idle ? settings.idlePollInterval() : settings.pollInterval()).toMillis();
    return Behaviors.same();
  }

  /** Starts buffered rows while there is room. */
  private void startBuffered(Fn fn) {
    while (!fn.buffer.isEmpty() && free(fn) > 0) {
      check(fn, fn.buffer.poll());
    }
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
    if (fn.busy.containsKey(key(row)) || fn.foreign.containsKey(key(row))) {
      // read again (the scan went back): it is in hand already
      fn.known.put(key(row), row.due());
      return;
    }
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
    Instant now = Instant.now();
    if ((found.isEmpty() || found.get().seq() < c.row().seq())
        && c.row().due().plus(RECORD_GRACE).isAfter(now)) {
      // the row is there before its record (or the record's new seq): the writes of an accept or a
      // redrive land in either order; look again shortly, as for a row under a lease
      wait(fn, c.row(), now.plusSeconds(1));
      return Behaviors.same();
    }
    if (found.isEmpty() || found.get().seq() != c.row().seq() || found.get().terminal()) {
      // expired, half-accepted (the client saw a 503), superseded by a retry, or done
      release(fn, c.row(), true);
      return Behaviors.same();
    }
    AsyncStore.Invocation inv = found.get();
    if (AsyncStore.RUNNING.equals(inv.status()) && inv.leaseUntil() != null && inv.leaseUntil().isAfter(now)) {
      // another dispatcher (the one before a hand-over) runs it: look again when its lease is up
      wait(fn, c.row(), inv.leaseUntil());
      return Behaviors.same();
    }
    run(fn, c.row(), inv);
    return Behaviors.same();
  }

  /** A row to look at again at {@code until}; it counts against the function's concurrency meanwhile. */
  private void wait(Fn fn, AsyncStore.QueueRow row, Instant until) {
    if (fn.busy.remove(key(row)) != null) {
      inFlight--;
    }
    fn.foreign.put(key(row), row);
    fn.foreignUntil.put(key(row), until);
  }

  /** One call's run, from its lease to its outcome. */
  private record Run(Fn fn, AsyncStore.QueueRow row, AsyncStore.Invocation inv, int attempt, long timeoutMs,
      FunctionSpec.AsyncPolicy policy, Instant started, Blobs.Ref inputRef) {}

  private record Leased(Run run, Throwable failure) implements Command {}

  private record Invoked(Run run, InvocationReply reply, Throwable failure) implements Command {}

  private void run(Fn fn, AsyncStore.QueueRow row, AsyncStore.Invocation inv) {
    int attempt = inv.attempts().size() - inv.attemptBase() + 1;
    long timeoutMs = fn.timeoutMs > 0 ? fn.timeoutMs : 10_000;
    Instant started = Instant.now();
    Instant lease = started.plusMillis(timeoutMs).plus(settings.leaseMargin());
    Run run = new Run(fn, row, inv, attempt, timeoutMs, fn.policy, started, null);
    ctx.pipeToSelf(store.running(inv.id(), lease, started + " " + self), (ok, e) -> new Leased(run, e));
  }

  private Behavior<Command> onLeased(Leased l) {
    Run run = l.run();
    if (l.failure() != null) {
      log.warn("async call {} of {} not started: {}", run.inv().id(), run.fn().name, l.failure().toString());
      release(run.fn(), run.row(), false);
      return Behaviors.same();
    }
    byte[] input = run.inv().input();
    Duration askTimeout = Duration.ofMillis(run.timeoutMs()).plus(settings.leaseMargin().dividedBy(2));
    // a large input travels apart, as a synchronous call's does
    Blobs.Ref ref = blobs.large(input) ? blobs.put(input, askTimeout) : null;
    Run sent = new Run(run.fn(), run.row(), run.inv(), run.attempt(), run.timeoutMs(), run.policy(), run.started(), ref);
    ctx.ask(InvocationReply.class, sharding.entityRefFor(FunctionEntity.TYPE_KEY, run.fn().name), askTimeout,
        // the guest sees the call's id (WAVELINK_INVOCATION_ID), the same in every attempt
        replyTo -> new FunctionEntity.Invoke(ref == null ? input : new byte[0], replyTo, ref, run.inv().id()),
        (reply, failure) -> new Invoked(sent, reply, failure));
    return Behaviors.same();
  }

  private Behavior<Command> onInvoked(Invoked i) {
    Run run = i.run();
    if (run.inputRef() != null) {
      blobs.remove(run.inputRef());
    }
    CompletionStage<InvocationReply> reply = i.failure() != null
        ? CompletableFuture.failedFuture(i.failure())
        : i.reply().outputRef() == null
            ? CompletableFuture.completedFuture(i.reply())
            : io.wavelink.gateway.internal.PlainFutures.of(blobs.get(i.reply().outputRef(), true)).thenApply(i.reply()::withOutput);
    CompletionStage<Instant> done = reply
        .handle((r, failure) -> outcomes.record(run.fn().name, run.inv(), run.attempt(), run.policy(), run.started(), r, failure))
        .thenCompose(w -> w);
    ctx.pipeToSelf(done, (nextDue, e) -> {
      if (e != null) {
        log.warn("async call {} of {}: its outcome was not recorded ({}); it runs again after its lease",
            run.inv().id(), run.fn().name, e.toString());
      }
      return new Finished(run.fn().name, run.row(), e == null, e == null ? nextDue : null);
    });
    return Behaviors.same();
  }

  private Behavior<Command> onFinished(Finished f) {
    Fn fn = functions.get(f.function());
    if (fn != null && f.nextDue() != null) {
      fn.wakeAtMs = Math.min(fn.wakeAtMs, f.nextDue().toEpochMilli());
    }
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
    startBuffered(fn);
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
