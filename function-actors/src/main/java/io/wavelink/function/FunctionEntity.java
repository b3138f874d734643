package io.wavelink.function;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import io.wavelink.function.internal.CostMeter;
import io.wavelink.function.internal.Counters;
import io.wavelink.function.internal.Definition;
import io.wavelink.function.internal.Dispatcher;
import io.wavelink.function.internal.EmergencyTrack;
import io.wavelink.function.internal.FunctionMetrics;
import io.wavelink.function.internal.Instance;
import io.wavelink.function.internal.InstanceExits;
import io.wavelink.function.internal.InstancePool;
import io.wavelink.function.internal.InvocationLog;
import io.wavelink.function.internal.InvocationQueue;
import io.wavelink.function.internal.Outbox;
import io.wavelink.function.internal.RegularTrack;
import io.wavelink.node.Blobs;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
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
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One function, sharded by name: the hot path of every invocation, and the owner of its instances.
 * A thin actor: it carries the messages, timers and wiring; the decisions and bookkeeping are plain
 * classes in {@code function.internal}, each tested without actors: the {@link InstancePool} with
 * the calls in flight, the invocation path ({@link Dispatcher}: free slot or bounded queue), the
 * {@link EmergencyTrack}, the {@link RegularTrack}'s reconciler, the {@link CostMeter}; they act
 * only through an {@link Outbox}.
 *
 * <p>Everything an invocation needs is in memory here; an invocation never waits for a journal
 * write. The durable half (definition, desired regular instances) is the child {@link
 * FunctionStore}, asked on deploy and delete and by the regular track.
 *
 * <p>Protocol ({@link FunctionProtocol}): {@link Deploy} (replies {@link DeployReply}), {@link Delete} ({@link DeleteReply}),
 * {@link Get} ({@link FunctionStatus}), {@link Invoke} (the reply, an {@link InvocationReply}, comes
 * from the Wavelet that ran it, or from here when it never ran), {@link Wake} (load and restore the
 * regular instances, sent by the catalog after a restart). From Wavelets: {@link
 * Wavelet.InstanceEvent}s, including {@link Wavelet.Reclaim} (a node asks an idle instance back
 * for another function: keep-alive is a cache).
 *
 * <p>When an invocation finds no free slot it waits in the queue, and capacity comes by mode:
 * {@code dual} spawns emergency instances at once (no journal) while the regular track follows the
 * autoscaler's tick; {@code sync} wakes the regular track from zero at once; {@code async} waits for
 * the tick. 503 {@code no_capacity} only when no node could ever hold an instance.
 */
public final class FunctionEntity extends AbstractBehavior<FunctionEntity.Command> implements FunctionProtocol {

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
            .withStopMessage(Stop.INSTANCE)
            .withRole(role)
            .withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)));
  }

  // ---------------------------------------------------------------- internal messages (the protocol: FunctionProtocol)

  record RegularPersisted(String instanceId, String nodeId, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  record RegularRemoved(String instanceId, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  /** The journal's state, read again: for anti-entropy, or to confirm a deploy or delete that timed out. */
  record JournalRead(FunctionStore.State state) implements Command, NoSerializationVerificationNeeded {}

  record PlaceNow(String instanceId) implements Command, NoSerializationVerificationNeeded {}

  private record FromWavelet(Wavelet.InstanceEvent event) implements Command, NoSerializationVerificationNeeded {}

  /** The idle TTL of an emergency instance ran out (one timer per function, see {@link #armRetirement}). */
  private enum RetireIdle implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum Ignored implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum Sweep implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** A name that is not deployed and owns nothing leaves once no message has come for a moment. */
  private enum PassivateIfUnused implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** From the shard, after this entity asked to passivate: stop once no deploy or delete awaits its answer. */
  private enum Stop implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  // ---------------------------------------------------------------- state

  private final String name;
  private final Deps deps;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final FunctionSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<FunctionStore.Command> store;
  private final FunctionMetrics metrics;
  private final Outbox outbox;

  /** null while the function is not deployed */
  private Definition def;
  private final InstancePool pool = new InstancePool();
  private final CostMeter cost = new CostMeter();
  private final Counters counters = new Counters();
  private final Dispatcher dispatcher;
  private final EmergencyTrack emergency;
  private final RegularTrack regular;
  private final InstanceExits exits;
  /** the calls that reached an instance, most recent last (GET .../logs); memory only */
  private final InvocationLog log;

  private Autoscaler.State scaling;
  private boolean panic;
  /** last time it had an instance, a call or a queued invocation (for idle passivation) */
  private long lastActiveMs;
  private boolean passivating;
  /** when the last message from outside came (for the passivation of names that are not deployed) */
  private long lastMessageMs;
  /** deploys and deletes waiting for the journal or the catalog: the entity must stay for their answers */
  private final FunctionDeploys deploys;
  /** when this incarnation of the entity started (it starts again on another member when its shard moves) */
  private final long startedAtMs;

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
                        timers -> {
                      FunctionEntity entity = new FunctionEntity(ctx, timers, name, deps, shard);
                      return FunctionLoading.behavior(name, entity.settings, ctx, stash, entity.store, entity::loaded);
                    })));
  }

  private FunctionEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String name,
      Deps deps,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(context);
    this.shard = shard;
    this.name = name;
    this.deps = deps;
    this.settings = deps.settings();
    this.timers = timers;
    this.metrics = new FunctionMetrics(name);
    this.store = context.spawn(FunctionStore.create(name), "store");
    this.log = new InvocationLog(settings.logEntries());
    this.outbox =
        new EntityOutbox(
            context, store, timers, deps, settings.storeTimeout(),
            context.messageAdapter(Wavelet.InstanceEvent.class, FromWavelet::new), log);
    Outbox out = outbox;
    SplittableRandom random = new SplittableRandom();
    this.dispatcher =
        new Dispatcher(pool, new InvocationQueue(settings.queueCapacity(), settings.queueMaxBytes()), counters, metrics, out);
    this.emergency =
        new EmergencyTrack(
            settings.emergencyBudget(),
            settings.emergencyIdleTtl().toMillis(),
            settings.emergencyQueueDelay().toNanos(),
            settings.emergencyFullNodeBackoff().toMillis(),
            pool, cost, counters, metrics, out, random);
    this.regular =
        new RegularTrack(pool, cost, out, Placement.byName(settings.placement()), random, settings.admissionWait().toMillis());
    this.exits =
        new InstanceExits(name, pool, dispatcher, cost, regular, emergency, out, this::updateGauges, this::passivateIfGone);
    this.deploys = new FunctionDeploys(name, context, store, settings, deps.sharding(), out, new FunctionDeploys.Target() {
      @Override public Definition definition() {
        return def;
      }

      @Override public void adopt(FunctionSpec spec, long version) {
        FunctionEntity.this.adopt(spec, version);
      }

      @Override public void deleted() {
        FunctionEntity.this.deleted();
      }

      @Override public void passivateIfGone() {
        FunctionEntity.this.passivateIfGone();
      }

      @Override public int reconcileRegular(java.util.Map<String, String> journaled) {
        return regular.reconcile(journaled);
      }
    });
    this.startedAtMs = now();
    this.lastActiveMs = startedAtMs;
    this.lastMessageMs = startedAtMs;
    this.scaling = Autoscaler.State.initial(startedAtMs);
  }

  private long now() {
    return deps.clockMs().getAsLong();
  }

  /** Loaded from the journal ({@link FunctionLoading}): restored, and running. */
  private Behavior<Command> loaded(FunctionStore.State state) {
    restore(state);
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
    // a probe of an unknown name keeps nothing: checked once messages have stopped coming
    timers.startSingleTimer(PassivateIfUnused.INSTANCE, UNUSED_GRACE);
    return this;
  }

  /** The definition and the regular instances the journal records come back. */
  private void restore(FunctionStore.State state) {
    if (state.exists()) {
      def = definition(state.spec().get(), state.version());
    }
    Definition any = def != null ? def : definition(null, 0);
    for (FunctionStore.RegularInstance r : state.regular().values()) {
      Instance inst = regular.restored(any, r.instanceId(), r.nodeId());
      if (def == null || r.version() != def.version()) {
        retire(inst); // left over from an older version or a delete
      } else {
        regular.place(def, inst, demand());
      }
    }
    if (def != null) {
      getContext().getLog().info("Function {} v{} loaded with {} regular instances", name, def.version(), state.regular().size());
      scaleRegular(Math.max(def.spec().minScale(), pool.regularCount()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(FromWavelet.class, this::onWaveletEvent)
        .onMessage(Deploy.class, deploy -> {
          touched();
          deploys.deploy(deploy);
          return this;
        })
        .onMessage(FunctionDeploys.StoreDeployed.class, msg -> {
          deploys.storeDeployed(msg);
          return this;
        })
        .onMessage(Delete.class, delete -> {
          touched();
          deploys.delete(delete);
          return this;
        })
        .onMessage(FunctionDeploys.StoreDeleted.class, msg -> {
          deploys.storeDeleted(msg);
          return this;
        })
        .onMessage(Get.class, this::onGet)
        .onMessage(GetLogs.class, get -> {
          touched();
          InvocationLog.Page page = log.page(get.after(), get.limit());
          get.replyTo().tell(new Logs(def != null, page.entries(), page.next(), page.missed()));
          return this;
        })
        .onMessage(FindCalls.class, find -> {
          find.replyTo().tell(new CallsNotHeld(dispatcher.notHeld(find.calls())));
          return this;
        })
        .onMessage(CheckPlacement.class, check -> {
          touched();
          Instance inst = pool.get(check.instanceId());
          boolean wanted = inst != null && (inst.nodeId().isEmpty() || inst.nodeId().equals(check.nodeId()));
          check.replyTo().tell(new NodeEntity.PlacementChecked(check.instanceId(), wanted));
          if (!wanted) {
            passivateIfGone(); // a probe from a node must not keep an unknown name alive
          }
          return this;
        })
        .onMessage(RegularPersisted.class, p -> {
          regular.persisted(def, p.instanceId(), p.nodeId(), p.ok());
          return this;
        })
        .onMessage(RegularRemoved.class, r -> {
          regular.removed(r.instanceId(), r.ok());
          return this;
        })
        .onMessage(PlaceNow.class, p -> {
          Instance inst = pool.get(p.instanceId());
          if (inst != null && def != null) {
            regular.placeNow(def, inst, demand());
          }
          return this;
        })
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(RetireIdle.INSTANCE, this::onRetireIdle)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onMessage(FunctionDeploys.CatalogAcked.class, acked -> {
          deploys.catalogAcked(acked);
          return this;
        })
        .onMessageEquals(Ignored.INSTANCE, () -> this)
        .onMessageEquals(PassivateIfUnused.INSTANCE, () -> {
          passivateIfGone();
          return this;
        })
        .onMessageEquals(Stop.INSTANCE, () -> {
          if (deploys.inProgress() > 0) {
            timers.startSingleTimer(Stop.INSTANCE, Duration.ofMillis(100)); // answers first
            return this;
          }
          handQueuedOn();
          return Behaviors.stopped();
        })
        .onMessageEquals(Wake.INSTANCE, () -> this)
        .onMessage(FunctionLoading.Loaded.class, l -> this)
        .onMessage(JournalRead.class, read -> {
          deploys.journalRead(read.state());
          return this;
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
          emergency.releaseAll(); // regular instances stay: they are in the journal, and come back with the entity
          metrics.close();
          return this;
        })
        .build();
  }

  // ---------------------------------------------------------------- invocation path

  /**
   * Stopping (its shard handed to another member on a rebalance or a graceful leave, or passivated):
   * the calls still queued, which never reached an instance, are sent to this function's next
   * incarnation through the shard region, which holds them until it runs (and a leaving member's
   * region does not finish its shutdown before it has delivered them). Nothing runs twice, and the
   * gateway does not count them as retries. Calls already running on instances are answered by
   * their Wavelets directly.
   */
  private void handQueuedOn() {
    List<InvocationQueue.Waiting> queued = dispatcher.takeQueued();
    if (queued.isEmpty()) {
      return;
    }
    if (deps.sharding() == null) {
      queued.forEach(w -> w.caller().tell(InvocationReply.rejected(
          InvocationReply.Status.UNAVAILABLE, "function " + name + " stopped before the call was served; try again")));
      return;
    }
    EntityRef<Command> next = deps.sharding().entityRefFor(TYPE_KEY, name);
    for (InvocationQueue.Waiting w : queued) {
      next.tell(new Invoke(w.input(), w.caller(), w.inputRef(), w.requestId()));
    }
    getContext().getLog().info("Function {} stopping: {} queued calls sent on to its next incarnation", name, queued.size());
  }

  private Behavior<Command> onInvoke(Invoke invoke) {
    touched();
    if (def == null) {
      counters.reject();
      invoke.replyTo()
          .tell(InvocationReply.rejected(InvocationReply.Status.NOT_FOUND, "function " + name + " is not deployed"));
      return this;
    }
    if (dispatcher.accept(name, invoke.input(), invoke.inputRef(), invoke.replyTo(), def.spec().timeoutMs(), invoke.requestId())
        == Dispatcher.Accepted.QUEUED) {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, Duration.ofMillis(50));
      onShortage();
    }
    return this;
  }

  /** Queued invocations and no free slot: start capacity according to the mode. */
  private void onShortage() {
    if (neverFits()) {
      refuseQueue(
          InvocationReply.Status.NO_CAPACITY,
          "no worker node can hold an instance of " + name + " (" + def.smallestInstanceMb()
              + " MB: memoryMb" + (def.dual() ? "" : " x concurrency") + "); add larger nodes or lower it");
      return;
    }
    if (def.dual() && emergency.due(dispatcher.queue(), System.nanoTime())) {
      emergency.spawn(def, dispatcher.queue(), admissionWaitMs());
    }
    if (def.mode().equals("sync") && pool.regularCount() == 0) {
      // a synchronous control plane wakes the autoscaler from zero at once, as Knative's activator
      // does; beyond the first instance the autoscaler's tick decides, for every mode alike
      scaleRegular(Math.max(regular.desired(), 1));
    }
  }

  /** Whether no node could ever hold an instance of this function (nodes are known, and all smaller). */
  private boolean neverFits() {
    return Placement.neverFits(deps.directory().view().nodes(), def.smallestInstanceMb());
  }

  /** How long a node may take to make room for an instance that invocations wait for. */
  private long admissionWaitMs() {
    long max = settings.admissionWait().toMillis();
    return Math.max(1, Math.min(max, dispatcher.queue().oldestRemainingMs(System.nanoTime(), max)));
  }

  /**
   * What invocations need from the regular track: instances are wanted for real (not ahead of
   * demand) while invocations wait, and while emergency instances serve this function (a burst):
   * regular instances replace them, so they may have idle instances of other functions asked back.
   */
  private RegularTrack.Demand demand() {
    return new RegularTrack.Demand(!dispatcher.queue().isEmpty() || pool.emergencyCount() > 0, admissionWaitMs());
  }

  private Behavior<Command> onSweep() {
    boolean anyUp = false;
    for (NodeDirectory.Node n : deps.directory().view().nodes()) {
      anyUp |= n.up();
    }
    // 504 for a call whose deadline passed while it waited (its timeout counts from its arrival,
    // queueing included); 503 if no worker node is up at all
    dispatcher.expire(
        anyUp
            ? InvocationReply.rejected(
                InvocationReply.Status.TIMEOUT,
                "function " + name + " timed out after " + def.spec().timeoutMs()
                    + " ms waiting for an instance: the nodes' memory was held by busy instances")
            : InvocationReply.rejected(
                InvocationReply.Status.NO_CAPACITY, "no worker node is up to run " + name + "; retry later"));
    if (dispatcher.queue().isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    } else if (def.dual() && emergency.due(dispatcher.queue(), System.nanoTime())) {
      emergency.spawn(def, dispatcher.queue(), admissionWaitMs());
    }
    return this;
  }

  /** Answers every queued invocation with {@code status}. */
  private void refuseQueue(InvocationReply.Status status, String message) {
    dispatcher.refuseAll(InvocationReply.rejected(status, message));
    timers.cancel(Sweep.INSTANCE);
  }

  private void drain(Instance justReady) {
    dispatcher.drain(justReady);
    if (dispatcher.queue().isEmpty()) {
      timers.cancel(Sweep.INSTANCE);
    }
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
      regular.reserved(r);
    } else if (event instanceof Wavelet.Reclaim r) {
      onReclaim(r);
    }
    return this;
  }

  private void onFinished(Wavelet.InvocationFinished finished) {
    Instance ran = pool.get(finished.instanceId());
    log.add(now(), finished.instanceId(), ran == null ? "" : ran.kind().label(), ran == null ? "" : ran.nodeId(),
        finished.status(), finished.message(), finished.durationMicros(), finished.stderrTail());
    Instance inst = dispatcher.finished(finished.instanceId(), finished.invocationId(), finished.peakMemoryBytes());
    if (inst == null) {
      return; // a call of an instance already given up as lost (its node came back): counted out then
    }
    if (inst.phase() == Instance.Phase.DRAINING) {
      if (inst.inFlight() == 0) {
        finishDraining(inst);
      }
      return;
    }
    drain(null);
    if (!inst.regular() && inst.inFlight() == 0) {
      if (dispatcher.queue().isEmpty() && pool.regularCount() > 0) {
        retire(inst); // regular capacity is there or on its way: emergency ones live only with a backlog
      } else {
        armRetirement(now()); // the function's only warm capacity: kept for its idle TTL
      }
    }
  }

  /** Idle emergency instances whose TTL ran out are retired; the timer is set for the next one. */
  private Behavior<Command> onRetireIdle() {
    long now = now();
    emergency.toRetire(dispatcher.queue().isEmpty(), now).forEach(this::retire);
    armRetirement(now);
    return this;
  }

  /** One timer per function, for the first idle emergency instance's TTL; none while none is idle. */
  private void armRetirement(long now) {
    long at = emergency.nextRetirementMs();
    if (at >= 0 && !timers.isTimerActive(RetireIdle.INSTANCE)) {
      timers.startSingleTimer(RetireIdle.INSTANCE, Duration.ofMillis(Math.max(1, at - now)));
    }
  }

  private void onReady(Wavelet.InstanceReady ready) {
    Instance inst = pool.get(ready.instanceId());
    if (inst == null || inst.phase() == Instance.Phase.DRAINING || def == null) {
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
    if (!inst.regular()) {
      emergency.ready(inst, ready);
    }
    inst.phase(Instance.Phase.READY);
    inst.placeOn(ready.nodeId(), ready.wavelet());
    inst.idleSince(now());
    getContext().getLog().debug("{} ready on {} after {} us", inst, ready.nodeId(), ready.startMicros());
    drain(inst);
    if (inst.regular() && dispatcher.queue().isEmpty()) {
      emergency.toRetire(true, Long.MIN_VALUE).forEach(this::retire);
    } else if (!inst.regular() && inst.inFlight() == 0) {
      armRetirement(now()); // nothing for it: retired after its idle TTL
    }
    updateGauges();
  }

  private void onFailed(Wavelet.InstanceFailed failed) {
    Instance inst = pool.get(failed.instanceId());
    if (inst == null) {
      return;
    }
    getContext().getLog().info("Instance {} of {} failed on {}: {}", inst.id(), name, failed.nodeId(), failed.reason());
    if (inst.phase() == Instance.Phase.DRAINING) {
      if (inst.regular() && !failed.nodeId().isEmpty()) {
        deps.sharding().entityRefFor(NodeEntity.TYPE_KEY, failed.nodeId()).tell(new NodeEntity.Release(inst.id()));
      }
      finishDraining(inst);
      return;
    }
    boolean broken;
    if (inst.regular()) {
      broken = !regular.failed(def, inst, failed, demand());
    } else {
      EmergencyTrack.Failed outcome = emergency.failed(def, inst, failed, admissionWaitMs());
      if (outcome != EmergencyTrack.Failed.RETRYING) {
        exits.forget(inst);
      }
      broken = outcome == EmergencyTrack.Failed.BROKEN;
    }
    if (broken) {
      refuseQueue(InvocationReply.Status.UNAVAILABLE, "could not start an instance of " + name + ": " + failed.reason());
    }
    updateGauges();
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
    if (!pool.mayGiveBack(inst, def == null ? 0 : def.spec().minScale())) {
      reclaim.wavelet().tell(new Wavelet.ReclaimDeclined(inst.id()));
      return;
    }
    getContext().getLog().debug("{} of {} given back to node {}", inst, name, reclaim.nodeId());
    counters.evicted(inst.kind());
    metrics.evicted(inst.kind());
    retire(inst);
  }

  // ---------------------------------------------------------------- instances leaving

  /** Brings the number of regular instances (coming or ready) to {@code target}. */
  private void scaleRegular(int target) {
    regular.scale(def, target, demand()).forEach(this::retire);
    updateGauges();
  }

  private void retire(Instance inst) {
    exits.retire(inst);
  }

  private void finishDraining(Instance inst) {
    exits.stop(inst);
  }

  /**
   * A function that is not deployed (deleted, or a name never deployed) and owns nothing leaves its
   * shard and the remembered set: unknown names cost nothing lasting.
   */
  private void passivateIfGone() {
    if (def == null && pool.isEmpty() && dispatcher.queue().isEmpty() && deploys.inProgress() == 0) {
      if (now() - lastMessageMs >= UNUSED_GRACE.toMillis()) {
        passivate();
      } else {
        timers.startSingleTimer(PassivateIfUnused.INSTANCE, UNUSED_GRACE); // a message just came: later
      }
    }
  }

  /**
   * How long a name that is not deployed stays after its last message: a deploy right after a probe
   * finds its entity, and a passivation never races a message on its way.
   */
  private static final Duration UNUSED_GRACE = Duration.ofSeconds(1);

  /** A message from outside (the gateway, a node, the catalog) came now. */
  private void touched() {
    lastMessageMs = now();
  }

  private void passivate() {
    if (shard != null && !passivating) {
      passivating = true;
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
  }

  /**
   * A deployed function with no instance, nothing queued, no minScale and no journal write pending,
   * idle for {@code passivate-after}, leaves memory too; its next message brings it back from the
   * journal (its counters start again; the member's metrics keep counting).
   */
  private void passivateIfIdle(long nowMs) {
    boolean idle =
        pool.isEmpty() && dispatcher.queue().isEmpty() && def.spec().minScale() == 0 && regular.desired() == 0
            && !regular.unsettled();
    if (!idle) {
      lastActiveMs = nowMs;
    } else if (nowMs - lastActiveMs >= settings.passivateAfter().toMillis()) {
      getContext().getLog().debug("Function {} idle for {}: passivating", name, settings.passivateAfter());
      passivate();
    }
  }

  // ---------------------------------------------------------------- autoscaler tick

  private Behavior<Command> onTick() {
    if (def == null) {
      return this;
    }
    long now = now();
    double observed = dispatcher.sampleLevel();
    Autoscaler.Settings knobs = settings.autoscaling().with(def.spec().autoscaling());
    scaling = Autoscaler.record(knobs, scaling, now, observed);
    int ready = pool.count(InstanceKind.REGULAR, Instance.Phase.READY);
    Autoscaler.Decision decision =
        Autoscaler.decide(knobs, scaling, now, ready, def.concurrency(), def.spec().minScale(), def.spec().maxScale());
    scaling = decision.next();
    panic = decision.panic();
    int target =
        RegularTrack.tickTarget(
            decision.desired(), pool.inFlight(), dispatcher.queue().size(), def.concurrency(), def.spec().maxScale());
    if (exits.checkNodes(deps.directory().view(), now, settings.startTimeout().toMillis(), getContext().getLog())) {
      scaleRegular(regular.desired()); // replacements for those retired or lost
    }
    int unanswered = dispatcher.giveUpUnanswered(settings.callGrace().toNanos(), name);
    if (unanswered > 0) {
      getContext().getLog().warn("{} calls of {} were never answered by their instances: given up", unanswered, name);
      drain(null);
    }
    emergency.renewLeases();
    if (regular.reconcileDue(now, settings.reconcileEvery().toMillis())) {
      outbox.readJournal(); // anti-entropy: the answer comes back as JournalRead
    }
    scaleRegular(target);
    regular.placeUnplaced(def, demand());
    emergency.toRetire(dispatcher.queue().isEmpty(), now).forEach(this::retire);
    if (def.dual() && emergency.due(dispatcher.queue(), System.nanoTime())) {
      emergency.spawn(def, dispatcher.queue(), admissionWaitMs());
    }
    passivateIfIdle(now);
    return this;
  }

  // ---------------------------------------------------------------- deploy, delete, get

  /** A new version: instances of the previous one drain, new ones come with the new spec. */
  private void adopt(FunctionSpec spec, long version) {
    def = definition(spec, version);
    int previous = pool.regularCount();
    pool.snapshot().forEach(this::retire);
    scaleRegular(Math.max(def.spec().minScale(), Math.min(previous, def.spec().maxScale())));
    drain(null);
    if (!dispatcher.queue().isEmpty()) {
      onShortage();
    }
  }

  /** The function is deleted: its instances stop, its waiting invocations are answered 404. */
  private void deleted() {
    def = null;
    pool.snapshot().forEach(this::retire);
    dispatcher.refuseAll(InvocationReply.rejected(InvocationReply.Status.NOT_FOUND, "function " + name + " was deleted"));
    timers.cancel(Sweep.INSTANCE);
    FunctionCatalog.ref(deps.sharding())
        .tell(new FunctionCatalog.Unregister(name, getContext().getSystem().ignoreRef()));
  }

  private Behavior<Command> onGet(Get get) {
    touched();
    String member = getContext().getSystem().address().toString();
    long uptimeMs = now() - startedAtMs;
    if (def == null) {
      get.replyTo().tell(FunctionStatus.notFound(member, uptimeMs));
      return this;
    }
    get.replyTo()
        .tell(
            FunctionStatus.of(
                def, pool, dispatcher.queue().size(), counters, cost.snapshot(pool, now()), panic, regular.desired(),
                member, uptimeMs));
    return this;
  }

  // ---------------------------------------------------------------- helpers

  /** The definition of a deployed spec, with the member's defaults where the spec leaves them. */
  private Definition definition(FunctionSpec spec, long version) {
    if (spec == null) {
      return new Definition(name, null, 0, settings.mode(), 0);
    }
    String mode = spec.controlPlaneMode().isEmpty() ? settings.mode() : spec.controlPlaneMode();
    long delay = spec.regularTrackDelayMs() >= 0 ? spec.regularTrackDelayMs() : settings.regularTrackDelay().toMillis();
    return new Definition(name, spec, version, mode, delay);
  }

  private void updateGauges() {
    metrics.instances(
        pool.count(InstanceKind.REGULAR, Instance.Phase.READY),
        pool.count(InstanceKind.EMERGENCY, Instance.Phase.READY));
  }
}
