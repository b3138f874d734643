package io.wavelink.function;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One function, sharded by name: the hot path of every invocation, and the owner of its instances.
 *
 * <p>Everything an invocation needs is in memory here: the definition, the instances with their
 * in-flight counts, the bounded queue and the autoscaler's observations. An invocation never waits
 * for a journal write. The durable half (definition, desired regular instances) lives in the child
 * {@link FunctionStore}; this actor only waits for it on deploy and delete, and on the regular track.
 *
 * <p>Protocol: {@link Deploy} (replies {@link DeployReply}), {@link Delete} ({@link DeleteReply}),
 * {@link Get} ({@link FunctionStatus}), {@link Invoke} (the reply, an {@link InvocationReply}, comes
 * from the Wavelet that ran it, or from here when it never ran), {@link Wake} (load and restore the
 * regular instances, sent by the catalog after a restart).
 *
 * <p>The two tracks, when an invocation finds no instance with a free slot:
 *
 * <ol>
 *   <li>It waits in the queue (bounded in count and bytes: past either, 429).
 *   <li>Emergency track ({@code dual} mode only): the entity picks a node from the member's in-memory
 *       {@link NodeDirectory} and sends its Wavelet {@link Wavelet.StartInstance} of kind EMERGENCY at
 *       once: no NodeEntity, no journal. When {@link Wavelet.InstanceReady} comes back, queued
 *       invocations run there. A full Wavelet refuses and the next node is tried.
 *   <li>Regular track ({@code sync} at arrival, {@code dual} and {@code async} at the autoscaler
 *       tick): the new desired instance is persisted ({@link FunctionStore.AddRegular}), placed
 *       ({@link FunctionStore.AssignRegular}, then {@link NodeEntity.Place}, persisted by the node),
 *       and started by the node's Wavelet, compiled, with the function's concurrency.
 * </ol>
 *
 * Emergency instances are retired when idle for their TTL, or as soon as a regular instance has a
 * free slot. Regular instances are scaled down by the {@link Autoscaler}, draining: only idle ones
 * are chosen, and they are removed from the journal and the node before they stop.
 */
public final class FunctionEntity extends AbstractBehavior<FunctionEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "Function");

  /** What an entity needs from its member, wired in by the cluster module. */
  public record Deps(
      FunctionSettings settings, NodeDirectory directory, ClusterSharding sharding, LongSupplier clockMs) {}

  /**
   * Starts the shard region, or a proxy on members without {@code role}. Entities are remembered
   * (Distributed Data, in memory): when a shard moves, after a member left or died or to rebalance,
   * its functions start again at once on their new member, restore their regular instances from the
   * journal, and do not wait for their next invocation. After a restart of the whole cluster the
   * {@link FunctionCatalog} wakes them instead.
   */
  public static void init(ActorSystem<?> system, ClusterSharding sharding, Deps deps, String role) {
    sharding.init(
        Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), deps, ctx.getShard()))
            .withRole(role)
            .withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)));
  }

  // ---------------------------------------------------------------- protocol

  public interface Command {}

  public record Deploy(FunctionSpec spec, long expectedVersion, ActorRef<DeployReply> replyTo)
      implements Command {}

  public record Delete(ActorRef<DeleteReply> replyTo) implements Command {}

  public record Get(ActorRef<FunctionStatus> replyTo) implements Command {}

  public record Invoke(byte[] input, ActorRef<InvocationReply> replyTo) implements Command {}

  public enum Wake implements Command {
    INSTANCE
  }

  public sealed interface DeployReply {}

  public record Deployed(long version, boolean created) implements DeployReply {}

  public record DeployRejected(Reason reason, String message) implements DeployReply {
    public enum Reason {
      CONFLICT,
      UNAVAILABLE,
      INVALID
    }
  }

  public record DeleteReply(boolean found, boolean unavailable, String message) {}

  /** A function as {@code GET /v1/functions/{name}} shows it; {@code spec} has no code. */
  public record FunctionStatus(
      boolean found,
      FunctionSpec spec,
      long version,
      String mode,
      List<InstanceStatus> instances,
      int inFlight,
      int queued,
      Stats stats,
      String member) {}

  public record InstanceStatus(
      String instanceId, InstanceKind kind, String state, String nodeId, int inFlight, int concurrency) {}

  /**
   * Counters since this entity started. Cost: {@code *InstanceMs} is the time instances of each kind
   * held their node's memory (from the start request to the stop, idle time included), and {@code
   * *MbMs} the same weighted by the memory they reserved; peaks count instances held at once.
   */
  public record Stats(
      long regularInvocations,
      long emergencyInvocations,
      long regularColdStarts,
      long emergencyColdStarts,
      long emergencySpawns,
      long emergencyRetirements,
      long rejected,
      boolean panic,
      int desiredRegular,
      long regularInstanceMs,
      long emergencyInstanceMs,
      long regularMbMs,
      long emergencyMbMs,
      int peakRegular,
      int peakEmergency) {}

  // internal messages
  private record Loaded(FunctionStore.State state) implements Command, NoSerializationVerificationNeeded {}

  private record StoreDeployed(Deploy deploy, FunctionStore.DeployResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record StoreDeleted(Delete delete, FunctionStore.DeleteResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record RegularPersisted(String instanceId, boolean ok) implements Command, NoSerializationVerificationNeeded {}

  private record RegularRemoved(String instanceId, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  private record RegularAssigned(String instanceId, String nodeId, boolean ok) implements Command, NoSerializationVerificationNeeded {}

  private record PlaceNow(String instanceId) implements Command, NoSerializationVerificationNeeded {}

  private record FromWavelet(Wavelet.InstanceEvent event) implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum Ignored implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private record CatalogAcked(ActorRef<DeployReply> replyTo, Deployed deployed, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Sweep implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  // ---------------------------------------------------------------- state

  private enum Phase {
    /** regular: waiting for the journal; emergency: n/a */
    PERSISTING,
    /** regular: persisted, waiting for a node (or for the regular-track delay) */
    UNPLACED,
    /** asked a node / Wavelet to start it */
    STARTING,
    READY,
    /** chosen for removal: takes no new invocations, stops when idle */
    DRAINING
  }

  private static final class Instance {
    final String id;
    final InstanceKind kind;
    final int concurrency;
    Phase phase;
    String nodeId = "";
    ActorRef<Wavelet.Command> wavelet;
    long idleSinceMs;
    final Set<String> refusedBy = new HashSet<>();
    /** when it began to hold (or asked to hold) node memory; -1 while not yet asked */
    long heldSinceMs = -1;
    int memoryMb;
    /** when it last entered STARTING; a start that never answers is given up after a while */
    long startingSinceMs = -1;
    /** the callers of its invocations in flight, by invocation id: told at once if it is lost */
    final Map<Long, ActorRef<InvocationReply>> calls = new LinkedHashMap<>();

    int inFlight() {
      return calls.size();
    }

    /** Takes the call that ended off the list; false if it was not on it (counted out before). */
    boolean callEnded(long invocationId) {
      if (invocationId == 0 && !calls.isEmpty()) {
        // from a Wavelet of an earlier version, which does not echo the id: the oldest call
        Iterator<Long> oldest = calls.keySet().iterator();
        oldest.next();
        oldest.remove();
        return true;
      }
      return calls.remove(invocationId) != null;
    }

    Instance(String id, InstanceKind kind, int concurrency, Phase phase, long nowMs) {
      this.id = id;
      this.kind = kind;
      this.concurrency = concurrency;
      this.phase = phase;
      this.idleSinceMs = nowMs;
    }

    boolean hasFreeSlot() {
      return phase == Phase.READY && calls.size() < concurrency;
    }

    boolean coming() {
      return phase == Phase.PERSISTING || phase == Phase.UNPLACED || phase == Phase.STARTING;
    }
  }

  private record Pending(Invoke invoke, long arrivalNanos, long deadlineNanos) {}

  private final String name;
  private final Deps deps;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final FunctionSettings settings;
  private final TimerScheduler<Command> timers;
  private final StashBuffer<Command> stash;
  private final ActorRef<FunctionStore.Command> store;
  private final ActorRef<Wavelet.InstanceEvent> events;
  private final Placement placement;
  private final SplittableRandom random = new SplittableRandom();
  private final FunctionMetrics metrics;

  private FunctionSpec spec; // null when not deployed
  private long version;
  private final Map<String, Instance> instances = new LinkedHashMap<>();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** Regular instances let go of whose removal the journal has not confirmed yet. */
  private final Set<String> pendingRemovals = new HashSet<>();
  /** Invocations that arrived before the store had loaded; answered 503 if loading fails. */
  private final List<Invoke> loadingInvokes = new ArrayList<>();
  private long queuedBytes;
  private int inFlight;
  /** the id of the last invocation dispatched to an instance (ids are per entity incarnation) */
  private long lastInvocationId;
  /** nodes that refused an emergency instance for lack of room, and until when they are skipped */
  private final Map<String, Long> fullNodesUntilMs = new LinkedHashMap<>();

  private Autoscaler.State scaling;
  private int desiredRegular;
  private boolean panic;
  // time-weighted concurrency since the last tick
  private long levelSinceMs;
  private double levelArea;
  private long lastTickMs;

  private long regularInvocations;
  private long emergencyInvocations;
  private long regularColdStarts;
  private long emergencyColdStarts;
  private long emergencySpawns;
  private long emergencyRetirements;
  private long rejected;
  private final long[] heldMs = new long[InstanceKind.values().length];
  private final long[] heldMbMs = new long[InstanceKind.values().length];
  private final int[] peak = new int[InstanceKind.values().length];

  public static Behavior<Command> create(String name, Deps deps) {
    return create(name, deps, null);
  }

  /** @param shard to passivate a deleted function once its instances are gone; null in tests */
  public static Behavior<Command> create(
      String name, Deps deps, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.withStash(
        10_000,
        stash ->
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers -> new FunctionEntity(ctx, timers, stash, name, deps, shard).loading())));
  }

  private FunctionEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      StashBuffer<Command> stash,
      String name,
      Deps deps,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(context);
    this.shard = shard;
    this.name = name;
    this.deps = deps;
    this.settings = deps.settings();
    this.timers = timers;
    this.stash = stash;
    this.placement = Placement.byName(settings.placement());
    this.metrics = new FunctionMetrics(name);
    this.store = context.spawn(FunctionStore.create(name), "store");
    this.events = context.messageAdapter(Wavelet.InstanceEvent.class, FromWavelet::new);
    long now = now();
    this.scaling = Autoscaler.State.initial(now);
    this.levelSinceMs = now;
    this.lastTickMs = now;
  }

  private long now() {
    return deps.clockMs().getAsLong();
  }

  /** Until the store has recovered, everything but Loaded waits in the stash. */
  private Behavior<Command> loading() {
    askStore();
    return Behaviors.receive(Command.class)
        .onMessage(
            Loaded.class,
            loaded -> {
              if (loaded.state() == null) {
                // journal not answering: invocations fail fast, other commands wait for a retry
                for (Invoke invoke : loadingInvokes) {
                  invoke.replyTo()
                      .tell(
                          InvocationReply.rejected(
                              InvocationReply.Status.UNAVAILABLE,
                              "function " + name + " cannot be loaded: the journal (Cassandra) is not reachable"));
                }
                loadingInvokes.clear();
                askStore();
                return Behaviors.same();
              }
              restore(loaded.state());
              timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
              for (Invoke invoke : loadingInvokes) {
                stash.stash(invoke);
              }
              loadingInvokes.clear();
              return stash.unstashAll(this);
            })
        .onMessage(
            Invoke.class,
            invoke -> {
              if (loadingInvokes.size() >= settings.queueCapacity()) {
                invoke.replyTo()
                    .tell(
                        InvocationReply.rejected(
                            InvocationReply.Status.OVERLOADED, "function " + name + " is still loading; retry later"));
              } else {
                loadingInvokes.add(invoke);
              }
              return Behaviors.same();
            })
        .onAnyMessage(
            msg -> {
              if (stash.isFull()) {
                if (msg instanceof Invoke invoke) {
                  invoke.replyTo()
                      .tell(
                          InvocationReply.rejected(
                              InvocationReply.Status.UNAVAILABLE,
                              "function " + name + " is still loading; try again"));
                }
              } else {
                stash.stash(msg);
              }
              return Behaviors.same();
            })
        .build();
  }

  private void askStore() {
    getContext()
        .ask(
            FunctionStore.State.class,
            store,
            settings.storeTimeout(),
            FunctionStore.Get::new,
            (state, error) -> new Loaded(state));
  }

  private void restore(FunctionStore.State state) {
    if (state.exists()) {
      spec = state.spec().get();
      version = state.version();
      desiredRegular = spec.minScale();
    }
    long now = now();
    for (FunctionStore.RegularInstance r : state.regular().values()) {
      Instance inst = new Instance(r.instanceId(), InstanceKind.REGULAR, concurrencyOf(), Phase.UNPLACED, now);
      inst.nodeId = r.nodeId();
      instances.put(inst.id, inst);
      if (spec == null || r.version() != version) {
        retire(inst); // left over from an older version or a delete
      } else {
        place(inst);
      }
    }
    if (spec != null) {
      getContext().getLog().info("Function {} v{} loaded with {} regular instances", name, version, state.regular().size());
      scaleRegular(Math.max(desiredRegular, countRegular()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(FromWavelet.class, this::onWaveletEvent)
        .onMessage(Deploy.class, this::onDeploy)
        .onMessage(StoreDeployed.class, this::onStoreDeployed)
        .onMessage(Delete.class, this::onDelete)
        .onMessage(StoreDeleted.class, this::onStoreDeleted)
        .onMessage(Get.class, this::onGet)
        .onMessage(RegularPersisted.class, this::onRegularPersisted)
        .onMessage(RegularAssigned.class, this::onRegularAssigned)
        .onMessage(RegularRemoved.class, this::onRegularRemoved)
        .onMessage(PlaceNow.class, this::onPlaceNow)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onMessage(CatalogAcked.class, this::onCatalogAcked)
        .onMessageEquals(Ignored.INSTANCE, () -> this)
        .onMessageEquals(Wake.INSTANCE, () -> this)
        .onMessage(Loaded.class, l -> this)
        .build();
  }

  // ---------------------------------------------------------------- invocation path

  private Behavior<Command> onInvoke(Invoke invoke) {
    if (spec == null) {
      rejected++;
      invoke.replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.NOT_FOUND, "function " + name + " is not deployed"));
      return this;
    }
    long nowNanos = System.nanoTime();
    Instance free = freeInstance();
    if (free != null && queue.isEmpty()) {
      dispatch(free, new Pending(invoke, nowNanos, nowNanos + spec.timeoutMs() * 1_000_000L), false);
      return this;
    }
    if (queue.size() >= settings.queueCapacity()
        || queuedBytes + invoke.input().length > settings.queueMaxBytes()) {
      rejected++;
      invoke.replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.OVERLOADED,
                  "function " + name + " has " + queue.size() + " invocations waiting; retry later"));
      return this;
    }
    levelChanged();
    queue.addLast(new Pending(invoke, nowNanos, nowNanos + spec.timeoutMs() * 1_000_000L));
    queuedBytes += invoke.input().length;
    if (queue.size() == 1) {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, Duration.ofMillis(50));
    }
    drainQueue();
    if (!queue.isEmpty()) {
      onShortage();
    }
    return this;
  }

  /** A regular instance with a free slot if there is one, else an emergency one. */
  private Instance freeInstance() {
    Instance emergency = null;
    for (Instance i : instances.values()) {
      if (i.hasFreeSlot()) {
        if (i.kind == InstanceKind.REGULAR) {
          return i;
        }
        if (emergency == null) {
          emergency = i;
        }
      }
    }
    return emergency;
  }

  private void dispatch(Instance inst, Pending p, boolean coldStart) {
    long nowNanos = System.nanoTime();
    long remainingMs = Math.max(1, (p.deadlineNanos() - nowNanos) / 1_000_000L);
    levelChanged();
    inFlight++;
    if (inst.kind == InstanceKind.REGULAR) {
      regularInvocations++;
    } else {
      emergencyInvocations++;
    }
    if (coldStart) {
      metrics.coldStart(inst.kind);
      if (inst.kind == InstanceKind.REGULAR) {
        regularColdStarts++;
      } else {
        emergencyColdStarts++;
      }
    }
    metrics.queueWait(nowNanos - p.arrivalNanos());
    long invocationId = ++lastInvocationId;
    inst.calls.put(invocationId, p.invoke().replyTo());
    inst.wavelet.tell(
        new Wavelet.Invoke(
            inst.id, invocationId, p.invoke().input(), remainingMs, coldStart, p.invoke().replyTo(), events));
  }

  /** Runs queued invocations on free slots, oldest first. */
  private void drainQueue() {
    drainQueue(null);
  }

  private void drainQueue(Instance justReady) {
    while (!queue.isEmpty()) {
      Instance target = justReady != null && justReady.hasFreeSlot() ? justReady : freeInstance();
      if (target == null) {
        break;
      }
      Pending p = queue.pollFirst();
      queuedBytes -= p.invoke().input().length;
      dispatch(target, p, target == justReady);
    }
    if (queue.isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    }
  }

  /** Queued invocations and no free slot: start capacity according to the mode. */
  private void onShortage() {
    String mode = mode();
    if (mode.equals("dual") && emergencyDue()) {
      spawnEmergencies();
    }
    if (mode.equals("sync")) {
      // a synchronous control plane starts regular capacity for the waiting invocations at once;
      // dual and async leave the regular track to the autoscaler's tick (dual serves the burst on
      // emergency instances meanwhile), so a short burst does not also buy long-lived capacity
      int needed = (int) Math.ceil((double) (inFlight + queue.size()) / concurrencyOf());
      scaleRegular(Math.max(desiredRegular, Math.min(spec.maxScale(), needed)));
    }
  }

  /**
   * Whether queued invocations should get emergency instances now. A cold function (no ready
   * regular instance) gets them at once: the alternative is waiting for a cold start. A warm but
   * saturated one first waits up to {@code emergency.queue-delay} for one of its regular instances
   * to free a slot, so that brief saturation stays on the regular track.
   */
  private boolean emergencyDue() {
    if (queue.isEmpty()) {
      return false;
    }
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.REGULAR && i.phase == Phase.READY) {
        return System.nanoTime() - queue.peekFirst().arrivalNanos() >= settings.emergencyQueueDelay().toNanos();
      }
    }
    return true;
  }

  private void spawnEmergencies() {
    int coming = 0;
    int emergencies = 0;
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.EMERGENCY) {
        emergencies++;
        if (i.coming()) {
          coming += i.concurrency;
        }
      }
    }
    int wanted = queue.size() - coming;
    while (wanted > 0 && emergencies < settings.emergencyBudget()) {
      Instance inst =
          new Instance(newInstanceId(InstanceKind.EMERGENCY), InstanceKind.EMERGENCY, 1, Phase.STARTING, now());
      if (!startEmergency(inst)) {
        break; // no node has room: the queue waits for the regular track
      }
      instances.put(inst.id, inst);
      emergencies++;
      wanted--;
      emergencySpawns++;
      metrics.emergencySpawned();
    }
  }

  private boolean startEmergency(Instance inst) {
    NodeDirectory.View view = deps.directory().view();
    Set<String> skip = inst.refusedBy;
    if (!fullNodesUntilMs.isEmpty()) {
      long now = now();
      fullNodesUntilMs.values().removeIf(until -> until <= now);
      if (!fullNodesUntilMs.isEmpty()) {
        skip = new HashSet<>(inst.refusedBy);
        skip.addAll(fullNodesUntilMs.keySet());
      }
    }
    Optional<String> node =
        Placement.mostFree(view.nodes(), spec.memoryMb() * inst.concurrency, skip, random);
    if (node.isEmpty()) {
      return false;
    }
    for (NodeDirectory.Node n : view.nodes()) {
      if (n.nodeId().equals(node.get())) {
        inst.nodeId = n.nodeId();
        inst.wavelet = n.wavelet();
        inst.startingSinceMs = now();
        hold(inst);
        n.wavelet().tell(startCommand(inst));
        return true;
      }
    }
    return false;
  }

  private Wavelet.StartInstance startCommand(Instance inst) {
    return new Wavelet.StartInstance(
        inst.id,
        name,
        version,
        inst.kind,
        spec.code(),
        spec.memoryMb(),
        inst.concurrency,
        spec.env(),
        events);
  }

  private Behavior<Command> onSweep() {
    long nowNanos = System.nanoTime();
    Iterator<Pending> it = queue.iterator();
    boolean changed = false;
    while (it.hasNext()) {
      Pending p = it.next();
      if (p.deadlineNanos() <= nowNanos) {
        it.remove();
        changed = true;
        queuedBytes -= p.invoke().input().length;
        p.invoke().replyTo().tell(expired());
      }
    }
    if (changed) {
      levelChanged();
    }
    if (queue.isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    } else if (mode().equals("dual") && emergencyDue()) {
      spawnEmergencies();
    }
    return this;
  }

  /**
   * The answer to an invocation whose deadline passed in the queue: 503 when no node has room for
   * an instance of this function at all (an operator's problem, not a slow function), else 504.
   */
  private InvocationReply expired() {
    boolean noRoom = false;
    for (Instance i : instances.values()) {
      if (i.phase == Phase.READY) {
        noRoom = false;
        break;
      }
      noRoom |= i.kind == InstanceKind.REGULAR && i.phase == Phase.UNPLACED;
    }
    if (noRoom) {
      return InvocationReply.rejected(
          InvocationReply.Status.UNAVAILABLE,
          "no worker node has " + spec.memoryMb() * spec.concurrency() + " MB free for an instance of "
              + name + " (memoryMb x concurrency); add capacity or lower them");
    }
    return InvocationReply.rejected(
        InvocationReply.Status.TIMEOUT,
        "function " + name + " timed out after " + spec.timeoutMs() + " ms waiting for an instance");
  }

  // ---------------------------------------------------------------- Wavelet events

  private Behavior<Command> onWaveletEvent(FromWavelet msg) {
    Wavelet.InstanceEvent event = msg.event();
    if (event instanceof Wavelet.InvocationFinished f) {
      onFinished(f);
    } else if (event instanceof Wavelet.InstanceReady r) {
      onReady(r);
    } else if (event instanceof Wavelet.InstanceFailed f) {
      onFailed(f);
    }
    return this;
  }

  private void onFinished(Wavelet.InvocationFinished finished) {
    Instance inst = instances.get(finished.instanceId());
    if (inst == null || !inst.callEnded(finished.invocationId())) {
      // a call of an instance already given up as lost (its node came back): counted out then
      return;
    }
    levelChanged();
    inFlight = Math.max(0, inFlight - 1);
    if (inst.inFlight() == 0) {
      inst.idleSinceMs = now();
    }
    if (inst.phase == Phase.DRAINING) {
      if (inst.inFlight() == 0) {
        finishDraining(inst);
      }
      return;
    }
    drainQueue();
    if (inst.kind == InstanceKind.EMERGENCY && inst.inFlight() == 0 && regularHasFreeSlot()) {
      retire(inst);
    }
  }

  private void onReady(Wavelet.InstanceReady ready) {
    Instance inst = instances.get(ready.instanceId());
    if (inst == null || inst.phase == Phase.DRAINING || spec == null) {
      // not ours any more: make sure it does not linger
      ready.wavelet().tell(new Wavelet.StopInstance(ready.instanceId()));
      if (inst != null && inst.phase == Phase.DRAINING && inst.inFlight() == 0) {
        finishDraining(inst);
      }
      return;
    }
    if (inst.phase == Phase.READY) {
      return;
    }
    inst.phase = Phase.READY;
    inst.nodeId = ready.nodeId();
    inst.wavelet = ready.wavelet();
    inst.idleSinceMs = now();
    getContext()
        .getLog()
        .debug("{} instance {} of {} ready on {} after {} us", inst.kind.label(), inst.id, name, ready.nodeId(), ready.startMicros());
    drainQueue(inst);
    if (inst.kind == InstanceKind.REGULAR) {
      retireIdleEmergencies();
    }
    updateGauges();
  }

  private void onFailed(Wavelet.InstanceFailed failed) {
    Instance inst = instances.get(failed.instanceId());
    if (inst == null) {
      return;
    }
    getContext().getLog().info("Instance {} of {} failed on {}: {}", inst.id, name, failed.nodeId(), failed.reason());
    if (inst.kind == InstanceKind.EMERGENCY) {
      inst.refusedBy.add(failed.nodeId());
      if (failed.refused()) {
        fullNodesUntilMs.put(failed.nodeId(), now() + settings.emergencyFullNodeBackoff().toMillis());
      }
      if (failed.refused() && inst.phase == Phase.STARTING && startEmergency(inst)) {
        return; // trying the next node
      }
      forget(inst);
      if (!failed.refused()) {
        failQueue(failed.reason());
      }
      updateGauges();
      return;
    }
    // regular: release the placement, then try elsewhere on a later tick
    if (!failed.nodeId().isEmpty()) {
      nodeRef(failed.nodeId()).tell(new NodeEntity.Release(inst.id));
    }
    if (inst.phase == Phase.DRAINING) {
      finishDraining(inst);
      return;
    }
    inst.refusedBy.add(failed.nodeId());
    inst.phase = Phase.UNPLACED;
    inst.nodeId = "";
    inst.wavelet = null;
    if (!failed.refused()) {
      failQueue(failed.reason());
    }
    place(inst);
  }

  private void failQueue(String reason) {
    while (!queue.isEmpty()) {
      Pending p = queue.pollFirst();
      p.invoke()
          .replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.UNAVAILABLE, "could not start an instance of " + name + ": " + reason));
    }
    queuedBytes = 0;
    levelChanged();
  }

  // ---------------------------------------------------------------- regular track

  /** Brings the number of regular instances (coming or ready) to {@code target}. */
  private void scaleRegular(int target) {
    desiredRegular = target;
    int current = countRegular();
    long now = now();
    for (int n = current; n < target; n++) {
      Instance inst =
          new Instance(newInstanceId(InstanceKind.REGULAR), InstanceKind.REGULAR, concurrencyOf(), Phase.PERSISTING, now);
      instances.put(inst.id, inst);
      String id = inst.id;
      getContext()
          .ask(
              FunctionStore.Done.class,
              store,
              settings.storeTimeout(),
              replyTo -> new FunctionStore.AddRegular(id, replyTo),
              (done, error) -> new RegularPersisted(id, error == null));
    }
    if (current > target) {
      scaleDown(current - target);
    }
    updateGauges();
  }

  /** Drains up to {@code count} regular instances, idle ones first; never one with work in flight. */
  private void scaleDown(int count) {
    List<Instance> candidates = new ArrayList<>();
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.REGULAR && i.phase != Phase.DRAINING && i.inFlight() == 0) {
        candidates.add(i);
      }
    }
    // not yet started ones first, then the longest idle
    candidates.sort(
        (a, b) -> {
          int ca = a.phase == Phase.READY ? 1 : 0;
          int cb = b.phase == Phase.READY ? 1 : 0;
          return ca != cb ? Integer.compare(ca, cb) : Long.compare(a.idleSinceMs, b.idleSinceMs);
        });
    for (int n = 0; n < count && n < candidates.size(); n++) {
      retire(candidates.get(n));
    }
  }

  private int countRegular() {
    int n = 0;
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.REGULAR && i.phase != Phase.DRAINING) {
        n++;
      }
    }
    return n;
  }

  /**
   * Removes a regular instance from the desired state in the journal. If the journal does not
   * confirm (Cassandra down), the removal is retried at every tick until it does, so that the
   * journal never keeps an instance this entity has let go of.
   */
  private void removeFromStore(String id) {
    pendingRemovals.add(id);
    getContext()
        .ask(
            FunctionStore.Done.class,
            store,
            settings.storeTimeout(),
            replyTo -> new FunctionStore.RemoveRegular(id, replyTo),
            (done, error) -> new RegularRemoved(id, error == null));
  }

  private Behavior<Command> onRegularRemoved(RegularRemoved removed) {
    if (removed.ok()) {
      pendingRemovals.remove(removed.instanceId());
    }
    return this;
  }

  private Behavior<Command> onRegularPersisted(RegularPersisted persisted) {
    Instance inst = instances.get(persisted.instanceId());
    if (inst == null || inst.phase != Phase.PERSISTING) {
      return this;
    }
    if (!persisted.ok()) {
      // the journal did not confirm in time: forget it (the autoscaler will ask again), and make
      // sure it is not left in the journal in case the write did land after all
      forget(inst);
      removeFromStore(inst.id);
      getContext().getLog().warn("Journal did not confirm regular instance {} of {}", inst.id, name);
      return this;
    }
    inst.phase = Phase.UNPLACED;
    place(inst);
    return this;
  }

  /** Chooses a node (or keeps the recorded one), records it in the journal, then places. */
  private void place(Instance inst) {
    long delay = regularTrackDelayMs();
    if (delay > 0 && inst.phase == Phase.UNPLACED && inst.nodeId.isEmpty()) {
      inst.phase = Phase.STARTING; // waiting out the emulated cluster-manager latency
      timers.startSingleTimer("place-" + inst.id, new PlaceNow(inst.id), Duration.ofMillis(delay));
      return;
    }
    placeNow(inst);
  }

  private Behavior<Command> onPlaceNow(PlaceNow msg) {
    Instance inst = instances.get(msg.instanceId());
    if (inst != null && inst.phase == Phase.STARTING && inst.wavelet == null && inst.nodeId.isEmpty()) {
      inst.phase = Phase.UNPLACED;
      placeNow(inst);
    }
    return this;
  }

  private void placeNow(Instance inst) {
    if (!inst.nodeId.isEmpty()) {
      startOn(inst);
      return;
    }
    Optional<String> node =
        placement.choose(
            deps.directory().view().nodes(), spec.memoryMb() * inst.concurrency, inst.refusedBy, random);
    if (node.isEmpty()) {
      inst.refusedBy.clear(); // try every node again on the next tick
      return; // stays UNPLACED; the tick retries
    }
    inst.phase = Phase.STARTING;
    inst.nodeId = node.get();
    String id = inst.id;
    String nodeId = node.get();
    getContext()
        .ask(
            FunctionStore.Done.class,
            store,
            settings.storeTimeout(),
            replyTo -> new FunctionStore.AssignRegular(id, nodeId, replyTo),
            (done, error) -> new RegularAssigned(id, nodeId, error == null));
  }

  private Behavior<Command> onRegularAssigned(RegularAssigned assigned) {
    Instance inst = instances.get(assigned.instanceId());
    if (inst == null || inst.phase != Phase.STARTING || !inst.nodeId.equals(assigned.nodeId())) {
      return this;
    }
    if (!assigned.ok()) {
      inst.phase = Phase.UNPLACED;
      inst.nodeId = "";
      return this; // retried on the next tick
    }
    startOn(inst);
    return this;
  }

  private void startOn(Instance inst) {
    inst.phase = Phase.STARTING;
    inst.startingSinceMs = now();
    hold(inst);
    nodeRef(inst.nodeId).tell(new NodeEntity.Place(startCommand(inst)));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<NodeEntity.Command> nodeRef(String nodeId) {
    return deps.sharding().entityRefFor(NodeEntity.TYPE_KEY, nodeId);
  }

  /** Takes an instance out of service; it stops once its in-flight invocations have finished. */
  private void retire(Instance inst) {
    if (inst.phase == Phase.DRAINING) {
      return;
    }
    inst.phase = Phase.DRAINING;
    if (inst.inFlight() == 0) {
      finishDraining(inst);
    }
    updateGauges();
  }

  /** A deleted function whose instances are all gone leaves its shard (and the remembered set). */
  private void passivateIfGone() {
    if (spec == null && instances.isEmpty() && queue.isEmpty() && shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
  }

  /** Cost accounting: the instance holds node memory from its start request on. */
  private void hold(Instance inst) {
    if (inst.heldSinceMs >= 0) {
      return;
    }
    inst.heldSinceMs = now();
    inst.memoryMb = spec.memoryMb() * inst.concurrency; // what it reserves on its node
    int held = 0;
    for (Instance i : instances.values()) {
      if (i.kind == inst.kind && i.heldSinceMs >= 0) {
        held++;
      }
    }
    int k = inst.kind.ordinal();
    peak[k] = Math.max(peak[k], held + (instances.containsKey(inst.id) ? 0 : 1));
  }

  /** Drops an instance from the view and books the memory time it held. */
  private void forget(Instance inst) {
    instances.remove(inst.id);
    if (inst.heldSinceMs >= 0) {
      long ms = now() - inst.heldSinceMs;
      heldMs[inst.kind.ordinal()] += ms;
      heldMbMs[inst.kind.ordinal()] += ms * inst.memoryMb;
      inst.heldSinceMs = -1;
    }
  }

  private void finishDraining(Instance inst) {
    forget(inst);
    passivateIfGone();
    if (inst.kind == InstanceKind.EMERGENCY) {
      if (inst.wavelet != null) {
        inst.wavelet.tell(new Wavelet.StopInstance(inst.id));
      }
      emergencyRetirements++;
      metrics.emergencyRetired();
    } else {
      String id = inst.id;
      String nodeId = inst.nodeId;
      // out of the desired state first, then off the node (which stops the sandbox)
      removeFromStore(id);
      if (!nodeId.isEmpty()) {
        nodeRef(nodeId).tell(new NodeEntity.Release(id));
      }
    }
    updateGauges();
  }

  private boolean regularHasFreeSlot() {
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.REGULAR && i.hasFreeSlot()) {
        return true;
      }
    }
    return false;
  }

  private void retireIdleEmergencies() {
    if (!queue.isEmpty() || !regularHasFreeSlot()) {
      return;
    }
    for (Instance i : List.copyOf(instances.values())) {
      if (i.kind == InstanceKind.EMERGENCY && i.phase == Phase.READY && i.inFlight() == 0) {
        retire(i);
      }
    }
  }

  // ---------------------------------------------------------------- autoscaler tick

  private Behavior<Command> onTick() {
    if (spec == null) {
      return this;
    }
    long now = now();
    levelChanged();
    double observed = now > lastTickMs ? levelArea / (now - lastTickMs) : inFlight + queue.size();
    levelArea = 0;
    lastTickMs = now;
    Autoscaler.Settings knobs = settings.autoscaling().with(spec.autoscaling());
    scaling = Autoscaler.record(knobs, scaling, now, observed);
    int ready = 0;
    for (Instance i : instances.values()) {
      if (i.kind == InstanceKind.REGULAR && i.phase == Phase.READY) {
        ready++;
      }
    }
    Autoscaler.Decision decision =
        Autoscaler.decide(
            knobs, scaling, now, ready, concurrencyOf(), spec.minScale(), spec.maxScale());
    scaling = decision.next();
    panic = decision.panic();
    int target = decision.desired();
    if (!queue.isEmpty()) {
      // never scale below what the waiting invocations need
      int needed = (int) Math.ceil((double) (inFlight + queue.size()) / concurrencyOf());
      target = Math.max(target, Math.min(spec.maxScale(), needed));
    }
    checkNodes(now);
    for (String id : List.copyOf(pendingRemovals)) {
      removeFromStore(id); // journal writes that failed earlier (Cassandra was down)
    }
    scaleRegular(target);
    // retry placement of regular instances that found no node
    for (Instance i : List.copyOf(instances.values())) {
      if (i.kind == InstanceKind.REGULAR && i.phase == Phase.UNPLACED) {
        place(i);
      }
    }
    // emergency instances: retire idle ones past their TTL
    long ttl = settings.emergencyIdleTtl().toMillis();
    for (Instance i : List.copyOf(instances.values())) {
      if (i.kind == InstanceKind.EMERGENCY
          && i.phase == Phase.READY
          && i.inFlight() == 0
          && now - i.idleSinceMs >= ttl) {
        retire(i);
      }
    }
    retireIdleEmergencies();
    if (mode().equals("dual") && emergencyDue()) {
      spawnEmergencies();
    }
    return this;
  }

  /**
   * Compares the instances with the member's node view. Instances on a node that is leaving are
   * retired (they finish what they run) and replaced; instances on an unreachable or departed node
   * are lost: emergency ones are dropped, regular ones are removed from the desired state and
   * replaced through the regular track. Their invocations in flight will not be answered by that
   * node: their callers are told so at once ({@link InvocationReply.Status#INSTANCE_LOST}) and the
   * gateway sends each once more. A start that has not answered within the start timeout is given
   * up the same way.
   */
  private void checkNodes(long now) {
    NodeDirectory.View view = deps.directory().view();
    long startTimeout = settings.startTimeout().toMillis();
    boolean replace = false;
    for (Instance i : List.copyOf(instances.values())) {
      if (i.phase == Phase.PERSISTING || i.phase == Phase.UNPLACED || i.nodeId.isEmpty()) {
        continue;
      }
      if (i.phase == Phase.STARTING && i.startingSinceMs >= 0 && now - i.startingSinceMs > startTimeout) {
        getContext().getLog().warn("Instance {} of {} did not start on {} within {} ms", i.id, name, i.nodeId, startTimeout);
        lose(i);
        replace = true;
        continue;
      }
      NodeDirectory.Node node = view.initialized() ? view.node(i.nodeId) : null;
      if (node == null || node.up()) {
        continue; // unknown nodes are left to the NodeEntity, which refuses without a live Wavelet
      }
      if (node.state().equals(NodeDirectory.LEAVING)) {
        // replace only if there is somewhere else to go: when the last node leaves (a single
        // member stopping), the instance stays in the desired state and comes back with it
        boolean elsewhere = false;
        for (NodeDirectory.Node n : view.nodes()) {
          elsewhere |= n.up() && !n.nodeId().equals(i.nodeId);
        }
        if (elsewhere && i.phase != Phase.DRAINING) {
          getContext().getLog().info("Node {} is leaving: replacing instance {} of {}", i.nodeId, i.id, name);
          retire(i);
          replace = true;
        }
      } else {
        getContext().getLog().info("Node {} is {}: instance {} of {} is lost", i.nodeId, node.state(), i.id, name);
        lose(i);
        replace = true;
      }
    }
    if (replace && spec != null) {
      scaleRegular(desiredRegular);
    }
  }

  private void lose(Instance inst) {
    levelChanged();
    inFlight = Math.max(0, inFlight - inst.inFlight());
    // its calls in flight will not be answered by that node: their callers (the gateways) hear it
    // now and send each once more, instead of waiting for the member's removal
    if (!inst.calls.isEmpty()) {
      getContext().getLog().info("{} invocations in flight on lost instance {} of {} handed back", inst.calls.size(), inst.id, name);
      InvocationReply lost =
          InvocationReply.rejected(
              InvocationReply.Status.INSTANCE_LOST,
              "instance " + inst.id + " of function " + name + " was lost with node " + inst.nodeId
                  + " before it answered");
      inst.calls.values().forEach(caller -> caller.tell(lost));
      inst.calls.clear();
    }
    if (inst.kind == InstanceKind.REGULAR) {
      finishDraining(inst); // out of the journal's desired state and off its node
    } else {
      forget(inst);
      updateGauges();
    }
  }

  /** Integrates the concurrency level (in flight + queued) over time, for the autoscaler. */
  private void levelChanged() {
    long now = now();
    levelArea += (double) (inFlight + queue.size()) * (now - levelSinceMs);
    levelSinceMs = now;
  }

  // ---------------------------------------------------------------- deploy, delete, get

  private Behavior<Command> onDeploy(Deploy deploy) {
    if (!deploy.spec().name().equals(name)) {
      deploy.replyTo()
          .tell(new DeployRejected(DeployRejected.Reason.INVALID, "spec name does not match " + name));
      return this;
    }
    getContext()
        .ask(
            FunctionStore.DeployResult.class,
            store,
            settings.storeTimeout(),
            replyTo -> new FunctionStore.Deploy(deploy.spec(), deploy.expectedVersion(), replyTo),
            (result, error) -> new StoreDeployed(deploy, result, error));
    return this;
  }

  private Behavior<Command> onStoreDeployed(StoreDeployed msg) {
    ActorRef<DeployReply> replyTo = msg.deploy().replyTo();
    if (msg.error() != null) {
      replyTo.tell(
          new DeployRejected(
              DeployRejected.Reason.UNAVAILABLE,
              "the journal did not confirm the deploy within " + settings.storeTimeout().toMillis()
                  + " ms; it may still be applied"));
      return this;
    }
    if (msg.result() instanceof FunctionStore.DeployConflict conflict) {
      replyTo.tell(new DeployRejected(DeployRejected.Reason.CONFLICT, conflict.message()));
      return this;
    }
    FunctionStore.Deployed deployed = (FunctionStore.Deployed) msg.result();
    spec = msg.deploy().spec();
    version = deployed.version();
    // instances of the previous version drain; new ones come with the new spec
    int previous = countRegular();
    for (Instance i : List.copyOf(instances.values())) {
      retire(i);
    }
    scaleRegular(Math.max(spec.minScale(), Math.min(previous, spec.maxScale())));
    drainQueue();
    if (!queue.isEmpty()) {
      onShortage();
    }
    Deployed reply = new Deployed(deployed.version(), deployed.created());
    getContext()
        .ask(
            FunctionCatalog.Ack.class,
            FunctionCatalog.ref(deps.sharding()),
            settings.storeTimeout(),
            ack -> new FunctionCatalog.Register(name, ack),
            (ack, error) -> new CatalogAcked(replyTo, reply, error == null));
    return this;
  }

  /** The deploy is answered once the catalog lists the function too. */
  private Behavior<Command> onCatalogAcked(CatalogAcked acked) {
    if (!acked.ok()) {
      getContext().getLog().warn("Catalog did not confirm function {}; it is deployed but may be missing from listings until redeployed", name);
    }
    acked.replyTo().tell(acked.deployed());
    return this;
  }

  private Behavior<Command> onDelete(Delete delete) {
    getContext()
        .ask(
            FunctionStore.DeleteResult.class,
            store,
            settings.storeTimeout(),
            FunctionStore.Delete::new,
            (result, error) -> new StoreDeleted(delete, result, error));
    return this;
  }

  private Behavior<Command> onStoreDeleted(StoreDeleted msg) {
    if (msg.error() != null) {
      msg.delete()
          .replyTo()
          .tell(new DeleteReply(false, true, "the journal did not confirm the delete; retry"));
      return this;
    }
    if (!msg.result().found()) {
      msg.delete().replyTo().tell(new DeleteReply(false, false, "function " + name + " is not deployed"));
      return this;
    }
    spec = null;
    for (Instance i : List.copyOf(instances.values())) {
      retire(i);
    }
    while (!queue.isEmpty()) {
      queue.pollFirst()
          .invoke()
          .replyTo()
          .tell(InvocationReply.rejected(InvocationReply.Status.NOT_FOUND, "function " + name + " was deleted"));
    }
    queuedBytes = 0;
    FunctionCatalog.ref(deps.sharding())
        .tell(new FunctionCatalog.Unregister(name, getContext().getSystem().ignoreRef()));
    msg.delete().replyTo().tell(new DeleteReply(true, false, "deleted"));
    passivateIfGone();
    return this;
  }

  private Behavior<Command> onGet(Get get) {
    if (spec == null) {
      get.replyTo().tell(new FunctionStatus(false, null, 0, "", List.of(), 0, 0, null, ""));
      return this;
    }
    long now = now();
    long[] ms = heldMs.clone();
    long[] mbMs = heldMbMs.clone();
    for (Instance i : instances.values()) {
      if (i.heldSinceMs >= 0) {
        ms[i.kind.ordinal()] += now - i.heldSinceMs;
        mbMs[i.kind.ordinal()] += (now - i.heldSinceMs) * i.memoryMb;
      }
    }
    List<InstanceStatus> list = new ArrayList<>(instances.size());
    for (Instance i : instances.values()) {
      list.add(
          new InstanceStatus(
              i.id, i.kind, i.phase.name().toLowerCase(java.util.Locale.ROOT), i.nodeId, i.inFlight(), i.concurrency));
    }
    get.replyTo()
        .tell(
            new FunctionStatus(
                true,
                spec.withoutCode(),
                version,
                mode(),
                list,
                inFlight,
                queue.size(),
                new Stats(
                    regularInvocations,
                    emergencyInvocations,
                    regularColdStarts,
                    emergencyColdStarts,
                    emergencySpawns,
                    emergencyRetirements,
                    rejected,
                    panic,
                    desiredRegular,
                    ms[InstanceKind.REGULAR.ordinal()],
                    ms[InstanceKind.EMERGENCY.ordinal()],
                    mbMs[InstanceKind.REGULAR.ordinal()],
                    mbMs[InstanceKind.EMERGENCY.ordinal()],
                    peak[InstanceKind.REGULAR.ordinal()],
                    peak[InstanceKind.EMERGENCY.ordinal()]),
                getContext().getSystem().address().toString()));
    return this;
  }

  // ---------------------------------------------------------------- helpers

  private String mode() {
    return spec != null && !spec.controlPlaneMode().isEmpty() ? spec.controlPlaneMode() : settings.mode();
  }

  private long regularTrackDelayMs() {
    return spec != null && spec.regularTrackDelayMs() >= 0
        ? spec.regularTrackDelayMs()
        : settings.regularTrackDelay().toMillis();
  }

  private int concurrencyOf() {
    return spec == null ? 1 : spec.concurrency();
  }

  private String newInstanceId(InstanceKind kind) {
    String random = UUID.randomUUID().toString().substring(0, 8);
    return name + (kind == InstanceKind.REGULAR ? "-r-" : "-e-") + random;
  }

  private void updateGauges() {
    int regular = 0;
    int emergency = 0;
    for (Instance i : instances.values()) {
      if (i.phase == Phase.READY) {
        if (i.kind == InstanceKind.REGULAR) {
          regular++;
        } else {
          emergency++;
        }
      }
    }
    metrics.instances(regular, emergency);
  }
}
