package io.wavelink.function;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import io.wavelink.function.internal.CostMeter;
import io.wavelink.function.internal.Counters;
import io.wavelink.function.internal.EmergencyTrack;
import io.wavelink.function.internal.Instance;
import io.wavelink.function.internal.InstancePool;
import io.wavelink.function.internal.InvocationQueue;
import io.wavelink.function.internal.LoadMeter;
import io.wavelink.function.internal.NodeCheck;
import io.wavelink.function.internal.RegularTrack;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
   * {@code evicted*}: idle instances given back to make room for other functions; {@code expired}:
   * invocations whose deadline passed while they waited for an instance (504); {@code noCapacity}:
   * invocations refused because no node could ever hold an instance (503); {@code rejected}: unknown
   * function or queue full (404, 429).
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
      int peakEmergency,
      long evictedRegular,
      long evictedEmergency,
      long expired,
      long noCapacity) {}

  // internal messages
  private record Loaded(FunctionStore.State state) implements Command, NoSerializationVerificationNeeded {}

  private record StoreDeployed(Deploy deploy, FunctionStore.DeployResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record StoreDeleted(Delete delete, FunctionStore.DeleteResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record RegularPersisted(String instanceId, String nodeId, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  private record RegularRemoved(String instanceId, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

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
  private final InstancePool pool = new InstancePool();
  private final InvocationQueue<Invoke> queue;
  private final EmergencyTrack emergency;
  private final RegularTrack regular = new RegularTrack();
  private final CostMeter cost = new CostMeter();
  private final Counters counters = new Counters();
  private final LoadMeter load;
  /** Invocations that arrived before the store had loaded; answered 503 if loading fails. */
  private final List<Invoke> loadingInvokes = new ArrayList<>();
  /** the id of the last invocation dispatched to an instance (ids are per entity incarnation) */
  private long lastInvocationId;

  private Autoscaler.State scaling;
  private boolean panic;

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
    this.queue = new InvocationQueue<>(settings.queueCapacity(), settings.queueMaxBytes());
    this.emergency =
        new EmergencyTrack(
            settings.emergencyBudget(),
            settings.emergencyIdleTtl().toMillis(),
            settings.emergencyQueueDelay().toNanos(),
            settings.emergencyFullNodeBackoff().toMillis());
    long now = now();
    this.scaling = Autoscaler.State.initial(now);
    this.load = new LoadMeter(now);
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
      regular.desired(spec.minScale());
    }
    long now = now();
    for (FunctionStore.RegularInstance r : state.regular().values()) {
      Instance inst = newInstance(r.instanceId(), InstanceKind.REGULAR, Instance.Phase.UNPLACED, now);
      inst.journaled(true);
      inst.placeOn(r.nodeId(), null);
      pool.add(inst);
      if (spec == null || r.version() != version) {
        retire(inst); // left over from an older version or a delete
      } else {
        place(inst);
      }
    }
    if (spec != null) {
      getContext().getLog().info("Function {} v{} loaded with {} regular instances", name, version, state.regular().size());
      scaleRegular(Math.max(regular.desired(), pool.regularCount()));
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
      counters.reject();
      invoke.replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.NOT_FOUND, "function " + name + " is not deployed"));
      return this;
    }
    long nowNanos = System.nanoTime();
    InvocationQueue.Waiting<Invoke> waiting =
        new InvocationQueue.Waiting<>(invoke, invoke.input().length, nowNanos, nowNanos + spec.timeoutMs() * 1_000_000L);
    Instance free = pool.freeSlot();
    if (free != null && queue.isEmpty()) {
      dispatch(free, waiting, false);
      return this;
    }
    levelChanged();
    if (!queue.offer(waiting)) {
      counters.reject();
      metrics.queueFull();
      invoke.replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.OVERLOADED,
                  "function " + name + " has " + queue.size() + " invocations waiting; retry later"));
      return this;
    }
    if (queue.size() == 1) {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, Duration.ofMillis(50));
    }
    drainQueue();
    if (!queue.isEmpty()) {
      onShortage();
    }
    return this;
  }

  private void dispatch(Instance inst, InvocationQueue.Waiting<Invoke> w, boolean coldStart) {
    long nowNanos = System.nanoTime();
    long remainingMs = Math.max(1, (w.deadlineNanos() - nowNanos) / 1_000_000L);
    levelChanged();
    counters.invoked(inst.kind(), coldStart);
    if (coldStart) {
      metrics.coldStart(inst.kind());
    }
    metrics.queueWait(nowNanos - w.arrivalNanos());
    long invocationId = ++lastInvocationId;
    Invoke invoke = w.invocation();
    pool.dispatched(inst, invocationId, new Instance.Call(invoke.replyTo(), w.deadlineNanos()));
    inst.wavelet()
        .tell(
            new Wavelet.Invoke(
                inst.id(), invocationId, invoke.input(), remainingMs, coldStart, invoke.replyTo(), events));
  }

  /** Runs queued invocations on free slots, oldest first. */
  private void drainQueue() {
    drainQueue(null);
  }

  private void drainQueue(Instance justReady) {
    while (!queue.isEmpty()) {
      Instance target = justReady != null && justReady.hasFreeSlot() ? justReady : pool.freeSlot();
      if (target == null) {
        break;
      }
      dispatch(target, queue.poll(), target == justReady);
    }
    if (queue.isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    }
  }

  /** Queued invocations and no free slot: start capacity according to the mode. */
  private void onShortage() {
    if (neverFits()) {
      refuseQueue(
          InvocationReply.Status.NO_CAPACITY,
          "no worker node can hold an instance of " + name + " (" + smallestInstanceMb()
              + " MB: memoryMb" + (mode().equals("dual") ? "" : " x concurrency") + "); add larger nodes or lower it");
      return;
    }
    String mode = mode();
    if (mode.equals("dual") && emergency.due(pool, queue, System.nanoTime())) {
      spawnEmergencies();
    }
    if (mode.equals("sync") && pool.regularCount() == 0) {
      // a synchronous control plane wakes the autoscaler from zero at once, as Knative's activator
      // does; beyond the first instance the autoscaler's tick decides, for every mode alike
      scaleRegular(Math.max(regular.desired(), 1));
    }
  }

  /** The smallest instance this function can have in its mode, in MB. */
  private int smallestInstanceMb() {
    return mode().equals("dual") ? spec.memoryMb() : spec.memoryMb() * concurrencyOf();
  }

  /**
   * Whether no node could ever hold an instance of this function: nodes are known and up, and all
   * are smaller than its smallest instance. (No node known yet, as while the cluster forms, is not
   * "never": invocations wait.)
   */
  private boolean neverFits() {
    List<NodeDirectory.Node> nodes = deps.directory().view().nodes();
    boolean known = false;
    for (NodeDirectory.Node n : nodes) {
      known |= n.capacityMb() > 0;
    }
    return known && !Placement.fitsAnywhere(nodes, smallestInstanceMb());
  }

  /** How long a node may take to make room for an instance that invocations wait for. */
  private long admissionWaitMs() {
    long max = settings.admissionWait().toMillis();
    return Math.max(1, Math.min(max, queue.oldestRemainingMs(System.nanoTime(), max)));
  }

  private void spawnEmergencies() {
    for (int n = emergency.toSpawn(pool, queue); n > 0; n--) {
      Instance inst = newInstance(newInstanceId(InstanceKind.EMERGENCY), InstanceKind.EMERGENCY, Instance.Phase.STARTING, now());
      if (!startEmergency(inst)) {
        break; // no node has room: the queue waits for the regular track
      }
      pool.add(inst);
      counters.emergencySpawned();
      metrics.emergencySpawned();
    }
  }

  private boolean startEmergency(Instance inst) {
    long now = now();
    NodeDirectory.View view = deps.directory().view();
    Optional<String> node =
        Placement.forWaitingCallers(
            Placement::mostFree, view.nodes(), inst.reservedMb(), emergency.skipped(inst, now), random);
    if (node.isEmpty()) {
      return false;
    }
    NodeDirectory.Node n = view.node(node.get());
    inst.placeOn(n.nodeId(), n.wavelet());
    inst.starting(now);
    n.wavelet().tell(startCommand(inst, admissionWaitMs(), true));
    return true;
  }

  private Wavelet.StartInstance startCommand(Instance inst, long waitMs, boolean callersWaiting) {
    return new Wavelet.StartInstance(
        inst.id(),
        name,
        version,
        inst.kind(),
        spec.code(),
        spec.memoryMb(),
        inst.concurrency(),
        spec.env(),
        events,
        waitMs,
        callersWaiting);
  }

  private Behavior<Command> onSweep() {
    List<InvocationQueue.Waiting<Invoke>> expired = queue.expire(System.nanoTime());
    if (!expired.isEmpty()) {
      levelChanged();
      InvocationReply reply = expired();
      if (reply.status() == InvocationReply.Status.NO_CAPACITY) {
        expired.forEach(w -> counters.noCapacity());
        metrics.noCapacity(expired.size());
      } else {
        expired.forEach(w -> counters.expired());
        metrics.expired(expired.size());
      }
      expired.forEach(w -> w.invocation().replyTo().tell(reply));
    }
    if (queue.isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    } else if (mode().equals("dual") && emergency.due(pool, queue, System.nanoTime())) {
      spawnEmergencies();
    }
    return this;
  }

  /**
   * The answer to an invocation whose deadline passed while it waited for an instance: 503 when no
   * worker node is up at all, else 504 (its timeout counts from its arrival, queueing included).
   */
  private InvocationReply expired() {
    boolean anyUp = false;
    for (NodeDirectory.Node n : deps.directory().view().nodes()) {
      anyUp |= n.up();
    }
    if (!anyUp) {
      return InvocationReply.rejected(
          InvocationReply.Status.NO_CAPACITY, "no worker node is up to run " + name + "; retry later");
    }
    return InvocationReply.rejected(
        InvocationReply.Status.TIMEOUT,
        "function " + name + " timed out after " + spec.timeoutMs()
            + " ms waiting for an instance: the nodes' memory was held by busy instances");
  }

  /** Answers every queued invocation with {@code status} (503 kinds). */
  private void refuseQueue(InvocationReply.Status status, String message) {
    levelChanged();
    InvocationReply reply = InvocationReply.rejected(status, message);
    List<InvocationQueue.Waiting<Invoke>> refused = queue.drain();
    if (status == InvocationReply.Status.NO_CAPACITY) {
      refused.forEach(w -> counters.noCapacity());
      metrics.noCapacity(refused.size());
    }
    refused.forEach(w -> w.invocation().replyTo().tell(reply));
    timers.cancel(Sweep.INSTANCE);
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
    } else if (event instanceof Wavelet.Reserved r) {
      onReserved(r);
    } else if (event instanceof Wavelet.Reclaim r) {
      onReclaim(r);
    }
    return this;
  }

  private void onFinished(Wavelet.InvocationFinished finished) {
    levelChanged();
    Instance inst = pool.finished(finished.instanceId(), finished.invocationId());
    if (inst == null) {
      // a call of an instance already given up as lost (its node came back): counted out then
      return;
    }
    if (inst.inFlight() == 0) {
      inst.idleSince(now());
    }
    if (inst.phase() == Instance.Phase.DRAINING) {
      if (inst.inFlight() == 0) {
        finishDraining(inst);
      }
      return;
    }
    drainQueue();
    if (!inst.regular() && inst.inFlight() == 0 && pool.regularHasFreeSlot()) {
      retire(inst);
    }
  }

  private void onReady(Wavelet.InstanceReady ready) {
    Instance inst = pool.get(ready.instanceId());
    if (inst == null || inst.phase() == Instance.Phase.DRAINING || spec == null) {
      // not ours any more: make sure it does not linger
      ready.wavelet().tell(new Wavelet.StopInstance(ready.instanceId()));
      if (inst != null && inst.phase() == Instance.Phase.DRAINING && inst.inFlight() == 0) {
        finishDraining(inst);
      }
      return;
    }
    if (inst.phase() == Instance.Phase.READY) {
      return;
    }
    long now = now();
    // an emergency instance holds memory from its admission, which is when it started preparing
    cost.hold(inst, pool, now - ready.startMicros() / 1000);
    inst.phase(Instance.Phase.READY);
    inst.placeOn(ready.nodeId(), ready.wavelet());
    inst.idleSince(now);
    getContext()
        .getLog()
        .debug("{} instance {} of {} ready on {} after {} us", inst.kind().label(), inst.id(), name, ready.nodeId(), ready.startMicros());
    drainQueue(inst);
    if (inst.regular()) {
      retireIdleEmergencies();
    }
    updateGauges();
  }

  private void onFailed(Wavelet.InstanceFailed failed) {
    Instance inst = pool.get(failed.instanceId());
    if (inst == null) {
      return;
    }
    getContext().getLog().info("Instance {} of {} failed on {}: {}", inst.id(), name, failed.nodeId(), failed.reason());
    if (!inst.regular()) {
      inst.refusedBy().add(failed.nodeId());
      if (failed.refused()) {
        emergency.nodeFull(failed.nodeId(), now());
      }
      if (failed.refused() && inst.phase() == Instance.Phase.STARTING && startEmergency(inst)) {
        return; // trying the next node
      }
      forget(inst);
      if (!failed.refused()) {
        failQueue(failed.reason());
      }
      updateGauges();
      return;
    }
    // regular: off that node (its placement released if it was made), then the next node
    if (inst.phase() != Instance.Phase.RESERVING && !failed.nodeId().isEmpty()) {
      nodeRef(failed.nodeId()).tell(new NodeEntity.Release(inst.id()));
    }
    if (inst.phase() == Instance.Phase.DRAINING) {
      finishDraining(inst);
      return;
    }
    cost.release(inst, now());
    inst.refusedBy().add(failed.nodeId());
    inst.phase(Instance.Phase.UNPLACED);
    inst.unplace();
    if (!failed.refused()) {
      failQueue(failed.reason());
    }
    place(inst);
  }

  private void failQueue(String reason) {
    refuseQueue(InvocationReply.Status.UNAVAILABLE, "could not start an instance of " + name + ": " + reason);
  }

  /**
   * A node asks an idle instance back for another function (keep-alive is a cache). It goes if it
   * is still idle and, for a regular instance, the function keeps its minScale without it: retired
   * like any scale-down (stopped at once, removed from the journal), and counted as an eviction.
   */
  private void onReclaim(Wavelet.Reclaim reclaim) {
    Instance inst = pool.get(reclaim.instanceId());
    if (inst == null) {
      reclaim.wavelet().tell(new Wavelet.StopInstance(reclaim.instanceId())); // not ours (any more)
      return;
    }
    boolean keep =
        inst.phase() != Instance.Phase.READY
            || inst.inFlight() > 0
            || (spec != null && inst.regular() && pool.regularCount() <= spec.minScale());
    if (keep) {
      reclaim.wavelet().tell(new Wavelet.ReclaimDeclined(inst.id()));
      return;
    }
    getContext().getLog().debug("{} instance {} of {} given back to node {}", inst.kind().label(), inst.id(), name, reclaim.nodeId());
    counters.evicted(inst.kind());
    metrics.evicted(inst.kind());
    retire(inst);
  }

  // ---------------------------------------------------------------- regular track

  /** Brings the number of regular instances (coming or ready) to {@code target}. */
  private void scaleRegular(int target) {
    regular.desired(target);
    int current = pool.regularCount();
    long now = now();
    for (int n = current; n < target; n++) {
      Instance inst = newInstance(newInstanceId(InstanceKind.REGULAR), InstanceKind.REGULAR, Instance.Phase.UNPLACED, now);
      pool.add(inst);
      place(inst);
    }
    if (current > target) {
      pool.scaleDownChoice(current - target).forEach(this::retire);
    }
    updateGauges();
  }

  /**
   * Removes a regular instance from the desired state in the journal. If the journal does not
   * confirm (Cassandra down), the removal is retried at every tick until it does, so that the
   * journal never keeps an instance this entity has let go of.
   */
  private void removeFromStore(String id) {
    regular.removing(id);
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
      regular.removed(removed.instanceId());
    }
    return this;
  }

  /**
   * Places an unplaced regular instance: after the regular-track delay (emulating a conventional
   * cluster manager) for a new one; at once on its recorded node for one restored from the journal.
   */
  private void place(Instance inst) {
    if (inst.phase() != Instance.Phase.UNPLACED) {
      return;
    }
    if (inst.nodeId().isEmpty()) {
      long delay = regularTrackDelayMs();
      long now = now();
      if (delay > 0 && inst.notBeforeMs() == 0) {
        inst.notBeforeMs(now + delay);
        timers.startSingleTimer("place-" + inst.id(), new PlaceNow(inst.id()), Duration.ofMillis(delay));
        return;
      }
      if (now < inst.notBeforeMs()) {
        return; // its PlaceNow comes
      }
    }
    placeNow(inst);
  }

  private Behavior<Command> onPlaceNow(PlaceNow msg) {
    Instance inst = pool.get(msg.instanceId());
    if (inst != null && inst.phase() == Instance.Phase.UNPLACED) {
      placeNow(inst);
    }
    return this;
  }

  /**
   * Asks a node's Wavelet to reserve memory for the instance; nothing is written before a node has
   * room. An instance that invocations wait for (or that the function's minScale needs) may have the
   * node reclaim idle instances of other functions and wait for them; one the autoscaler wants
   * ahead of demand takes free memory or retires idle emergency instances, nothing else.
   */
  private void placeNow(Instance inst) {
    if (!inst.nodeId().isEmpty()) {
      startOn(inst); // restored on the node the journal records
      return;
    }
    NodeDirectory.View view = deps.directory().view();
    boolean needed = !queue.isEmpty() || pool.count(InstanceKind.REGULAR, Instance.Phase.READY) < spec.minScale();
    Optional<String> node =
        Placement.forWaitingCallers(placement, view.nodes(), inst.reservedMb(), inst.refusedBy(), random);
    if (node.isEmpty()) {
      inst.refusedBy().clear(); // try every node again on the next tick
      return; // stays UNPLACED; the tick retries
    }
    NodeDirectory.Node n = view.node(node.get());
    inst.placeOn(n.nodeId(), n.wavelet());
    inst.reserving(now());
    n.wavelet()
        .tell(
            new Wavelet.Reserve(
                inst.id(), name, InstanceKind.REGULAR, spec.memoryMb(), inst.concurrency(), events,
                needed ? admissionWaitMs() : settings.admissionWait().toMillis(), needed));
  }

  /** The node has room: the instance and its node go to the journal in one write, then it is placed. */
  private void onReserved(Wavelet.Reserved reserved) {
    Instance inst = pool.get(reserved.instanceId());
    if (inst == null || inst.phase() != Instance.Phase.RESERVING || !inst.nodeId().equals(reserved.nodeId())) {
      if (inst == null || inst.phase() == Instance.Phase.DRAINING || !inst.nodeId().equals(reserved.nodeId())) {
        reserved.wavelet().tell(new Wavelet.StopInstance(reserved.instanceId())); // not wanted there
      }
      return;
    }
    cost.hold(inst, pool, now());
    inst.phase(Instance.Phase.PERSISTING);
    String id = inst.id();
    String nodeId = reserved.nodeId();
    boolean journaled = inst.journaled();
    getContext()
        .ask(
            FunctionStore.Done.class,
            store,
            settings.storeTimeout(),
            replyTo -> journaled
                ? new FunctionStore.AssignRegular(id, nodeId, replyTo)
                : new FunctionStore.AddRegular(id, nodeId, replyTo),
            (done, error) -> new RegularPersisted(id, nodeId, error == null));
  }

  private Behavior<Command> onRegularPersisted(RegularPersisted persisted) {
    Instance inst = pool.get(persisted.instanceId());
    if (inst == null || inst.phase() != Instance.Phase.PERSISTING || !inst.nodeId().equals(persisted.nodeId())) {
      return this;
    }
    if (!persisted.ok()) {
      // the journal did not confirm in time: the reservation goes back; a new instance is forgotten
      // (the autoscaler asks again) and removed in case the write landed after all
      getContext().getLog().warn("Journal did not confirm regular instance {} of {} on {}", inst.id(), name, inst.nodeId());
      if (inst.wavelet() != null) {
        inst.wavelet().tell(new Wavelet.StopInstance(inst.id()));
      }
      if (inst.journaled()) {
        cost.release(inst, now());
        inst.phase(Instance.Phase.UNPLACED);
        inst.unplace();
      } else {
        forget(inst);
        removeFromStore(inst.id());
      }
      return this;
    }
    inst.journaled(true);
    startOn(inst);
    return this;
  }

  private void startOn(Instance inst) {
    long now = now();
    inst.starting(now);
    cost.hold(inst, pool, now);
    nodeRef(inst.nodeId()).tell(new NodeEntity.Place(startCommand(inst, 0, false)));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<NodeEntity.Command> nodeRef(String nodeId) {
    return deps.sharding().entityRefFor(NodeEntity.TYPE_KEY, nodeId);
  }

  /** Takes an instance out of service; it stops once its in-flight invocations have finished. */
  private void retire(Instance inst) {
    if (inst.phase() == Instance.Phase.DRAINING) {
      return;
    }
    inst.phase(Instance.Phase.DRAINING);
    if (inst.inFlight() == 0) {
      finishDraining(inst);
    }
    updateGauges();
  }

  /** A deleted function whose instances are all gone leaves its shard (and the remembered set). */
  private void passivateIfGone() {
    if (spec == null && pool.isEmpty() && queue.isEmpty() && shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
  }

  /** Drops an instance from the view and books the memory time it held. */
  private void forget(Instance inst) {
    levelChanged();
    pool.remove(inst);
    cost.release(inst, now());
  }

  private void finishDraining(Instance inst) {
    forget(inst);
    passivateIfGone();
    if (inst.wavelet() != null) {
      // its memory is free at once (or its reservation, or its request waiting for room, dropped)
      inst.wavelet().tell(new Wavelet.StopInstance(inst.id()));
    }
    if (!inst.regular()) {
      counters.emergencyRetired();
      metrics.emergencyRetired();
    } else {
      if (inst.journaled()) {
        removeFromStore(inst.id());
      }
      if (!inst.nodeId().isEmpty()) {
        nodeRef(inst.nodeId()).tell(new NodeEntity.Release(inst.id())); // off the node's durable record
      }
    }
    updateGauges();
  }

  private void retireIdleEmergencies() {
    if (queue.isEmpty()) {
      emergency.toRetire(pool, true, Long.MIN_VALUE).forEach(this::retire);
    }
  }

  // ---------------------------------------------------------------- autoscaler tick

  private Behavior<Command> onTick() {
    if (spec == null) {
      return this;
    }
    long now = now();
    double observed = load.sample(now, level());
    Autoscaler.Settings knobs = settings.autoscaling().with(spec.autoscaling());
    scaling = Autoscaler.record(knobs, scaling, now, observed);
    int ready = pool.count(InstanceKind.REGULAR, Instance.Phase.READY);
    Autoscaler.Decision decision =
        Autoscaler.decide(knobs, scaling, now, ready, concurrencyOf(), spec.minScale(), spec.maxScale());
    scaling = decision.next();
    panic = decision.panic();
    int target =
        RegularTrack.tickTarget(decision.desired(), pool.inFlight(), queue.size(), concurrencyOf(), spec.maxScale());
    checkNodes(now);
    regular.unconfirmedRemovals().forEach(this::removeFromStore); // journal writes that failed earlier
    scaleRegular(target);
    // retry placement of regular instances that found no node
    for (Instance i : pool.snapshot()) {
      if (i.regular() && i.phase() == Instance.Phase.UNPLACED) {
        place(i);
      }
    }
    emergency.toRetire(pool, queue.isEmpty(), now).forEach(this::retire);
    if (mode().equals("dual") && emergency.due(pool, queue, System.nanoTime())) {
      spawnEmergencies();
    }
    return this;
  }

  /**
   * Compares the instances with the member's node view ({@link NodeCheck}): instances on a node
   * that is leaving are retired and replaced; instances on an unreachable or departed node, or whose
   * start never answered, are lost: emergency ones are dropped, regular ones are removed from the
   * desired state and replaced through the regular track. Their invocations in flight will not be
   * answered by that node: their callers are told so at once ({@link
   * InvocationReply.Status#INSTANCE_LOST}) and the gateway sends each once more.
   */
  private void checkNodes(long now) {
    NodeDirectory.View view = deps.directory().view();
    long startTimeout = settings.startTimeout().toMillis();
    boolean replace = false;
    for (Instance i : pool.snapshot()) {
      switch (NodeCheck.check(i, view, now, startTimeout)) {
        case KEEP -> {}
        case REPLACE -> {
          getContext().getLog().info("Node {} is leaving: replacing instance {} of {}", i.nodeId(), i.id(), name);
          retire(i);
          replace = true;
        }
        case LOST -> {
          getContext().getLog().info("Instance {} of {} on node {} is lost", i.id(), name, i.nodeId());
          lose(i);
          replace = true;
        }
      }
    }
    if (replace && spec != null) {
      scaleRegular(regular.desired());
    }
  }

  private void lose(Instance inst) {
    levelChanged();
    // its calls in flight will not be answered by that node: their callers (the gateways) hear it
    // now and send each once more, instead of waiting for the member's removal
    List<Instance.Call> calls = pool.takeCalls(inst);
    if (!calls.isEmpty()) {
      getContext().getLog().info("{} invocations in flight on lost instance {} of {} handed back", calls.size(), inst.id(), name);
      InvocationReply lost =
          InvocationReply.rejected(
              InvocationReply.Status.INSTANCE_LOST,
              "instance " + inst.id() + " of function " + name + " was lost with node " + inst.nodeId()
                  + " before it answered");
      calls.forEach(call -> call.caller().tell(lost));
    }
    if (inst.regular()) {
      finishDraining(inst); // out of the journal's desired state and off its node
    } else {
      forget(inst);
      updateGauges();
    }
  }

  /** Invocations in flight and queued: the concurrency the autoscaler follows. */
  private int level() {
    return pool.inFlight() + queue.size();
  }

  /** Call before the level changes, so that the time spent at the old level is counted. */
  private void levelChanged() {
    load.changed(now(), level());
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
    int previous = pool.regularCount();
    pool.snapshot().forEach(this::retire);
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
    pool.snapshot().forEach(this::retire);
    levelChanged();
    InvocationReply deleted =
        InvocationReply.rejected(InvocationReply.Status.NOT_FOUND, "function " + name + " was deleted");
    queue.drain().forEach(w -> w.invocation().replyTo().tell(deleted));
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
    CostMeter.Snapshot held = cost.snapshot(pool, now());
    List<InstanceStatus> list = new ArrayList<>();
    for (Instance i : pool.all()) {
      list.add(new InstanceStatus(i.id(), i.kind(), i.phase().label(), i.nodeId(), i.inFlight(), i.concurrency()));
    }
    get.replyTo()
        .tell(
            new FunctionStatus(
                true,
                spec.withoutCode(),
                version,
                mode(),
                list,
                pool.inFlight(),
                queue.size(),
                new Stats(
                    counters.invocations(InstanceKind.REGULAR),
                    counters.invocations(InstanceKind.EMERGENCY),
                    counters.coldStarts(InstanceKind.REGULAR),
                    counters.coldStarts(InstanceKind.EMERGENCY),
                    counters.emergencySpawns(),
                    counters.emergencyRetirements(),
                    counters.rejected(),
                    panic,
                    regular.desired(),
                    held.heldMs(InstanceKind.REGULAR),
                    held.heldMs(InstanceKind.EMERGENCY),
                    held.heldMbMs(InstanceKind.REGULAR),
                    held.heldMbMs(InstanceKind.EMERGENCY),
                    held.peak(InstanceKind.REGULAR),
                    held.peak(InstanceKind.EMERGENCY),
                    counters.evictions(InstanceKind.REGULAR),
                    counters.evictions(InstanceKind.EMERGENCY),
                    counters.expirations(),
                    counters.noCapacityRefusals()),
                getContext().getSystem().address().toString()));
    return this;
  }

  // ---------------------------------------------------------------- helpers

  private Instance newInstance(String id, InstanceKind kind, Instance.Phase phase, long nowMs) {
    int concurrency = kind == InstanceKind.REGULAR ? concurrencyOf() : 1;
    int memoryMb = spec == null ? 0 : spec.memoryMb();
    return new Instance(id, kind, concurrency, memoryMb * concurrency, phase, nowMs);
  }

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
    metrics.instances(
        pool.count(InstanceKind.REGULAR, Instance.Phase.READY),
        pool.count(InstanceKind.EMERGENCY, Instance.Phase.READY));
  }
}
