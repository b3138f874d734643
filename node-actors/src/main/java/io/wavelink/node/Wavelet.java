package io.wavelink.node;

import io.wavelink.node.internal.Admission;
import io.wavelink.node.internal.ModuleCache;
import io.wavelink.node.internal.TierUp;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node-local agent of a worker member: it owns the sandboxes on its node and the node's one
 * capacity ledger, starts and stops instances, and runs invocations on them. One Wavelet runs per
 * worker member, registered with the Receptionist under {@link #SERVICE_KEY} and named {@code
 * wavelet-<nodeId>}.
 *
 * <p>Capacity: every instance holds its memory here from its admission to its stop, whatever its
 * track or phase (reserved for the regular track's journal writes, starting, ready, or being
 * reclaimed). {@link Admission} decides; keep-alive is a cache: when a request that may reclaim
 * finds no room, idle instances of other functions are asked back from their owners ({@link
 * Reclaim}; emergency ones first, then those of functions over their fair share, least recently
 * used first) and the request waits until their memory is free, or until its wait runs out.
 *
 * <p>Protocol:
 *
 * <ul>
 *   <li>{@link Reserve} from a FunctionEntity (regular track, before anything is written to the
 *       journal): memory is set aside for the instance, and the owner gets {@link Reserved}, or
 *       {@link InstanceFailed} with {@code refused}. A reservation not used by a {@link
 *       StartInstance} within {@code reservation-ttl} lapses.
 *   <li>{@link StartInstance} from a NodeEntity (regular track, persisted there, normally reserved
 *       first) or straight from a FunctionEntity (emergency track, never persisted). It names its
 *       module by SHA-256: a module the node does not hold is fetched once from the module store
 *       ({@link ModuleSource}) and shared with every instance of that code; a module already on the
 *       node waits for nothing. The module is fetched and prepared off the actor thread
 *       (compiled for regular instances, interpreted for emergency ones); the owner then gets
 *       {@link InstanceReady}, or {@link InstanceFailed} if the node has no room ({@code refused})
 *       or the module cannot be fetched or prepared. Idempotent per instance id.
 *   <li>{@link Invoke} runs one invocation on a sandbox thread: the result goes straight to {@code
 *       replyTo} and {@link InvocationFinished} to the owner, so the owner can count in-flight calls.
 *   <li>{@link StopInstance} frees the instance's memory once its in-flight invocations end (or
 *       drops its reservation, or withdraws its waiting request).
 *   <li>{@link ReclaimDeclined} from an owner that keeps an instance asked back (it took a call in
 *       the meantime, or the function is at its minScale): it is not asked again for a while.
 *   <li>{@link RenewLeases} from an owner, every autoscaler tick, for its emergency instances here:
 *       an emergency instance whose lease lapses ({@code emergency-lease}) is stopped, so that an
 *       owner that moved, stopped or lost track of it leaves nothing holding the node's memory.
 *   <li>{@link Reconcile}, from its NodeEntity when the Wavelet registers: regular instances the node
 *       no longer has assigned are stopped.
 * </ul>
 *
 * Nothing the Wavelet holds is persisted: after a crash the regular instances are re-created from
 * their owners' journals, and emergency instances are simply gone.
 */
public final class Wavelet extends AbstractBehavior<Wavelet.Command> implements WaveletProtocol {

  public static final ServiceKey<Command> SERVICE_KEY =
      ServiceKey.create(Command.class, "wavelink-wavelet");

  private static final String NAME_PREFIX = "wavelet-";

  /** The actor name of the Wavelet of a node; the node id can be read back with {@link #nodeIdOf}. */
  public static String actorName(String nodeId) {
    return NAME_PREFIX + nodeId;
  }

  public static String nodeIdOf(ActorRef<?> wavelet) {
    String name = wavelet.path().name();
    return name.startsWith(NAME_PREFIX) ? name.substring(NAME_PREFIX.length()) : name;
  }

  // ---------------------------------------------------------------- protocol

  // The messages of the Wavelet and of its instances' owners are in WaveletProtocol, which this class
  // implements, so that they read Wavelet.StartInstance, Wavelet.InstanceReady, ...; here are only the
  // Wavelet's messages to itself (package-private only so that Command can permit them).

  /**
   * A start's module is ready, or could not be had: {@code unavailable} when its module could not be
   * fetched now (the module store did not answer), which another node, holding the module, may not
   * need to do.
   */
  record Prepared(String instanceId, PreparedModule module, String failure, boolean unavailable, long micros)
      implements Command, NoSerializationVerificationNeeded {}

  /** A call ended; {@code interpreted}: it held one of the node's interpreted slots. */
  record Finished(String instanceId, long peakMemoryBytes, boolean interpreted)
      implements Command, NoSerializationVerificationNeeded {}

  /** The background compile of an interpreted emergency instance's module ended: {@code module} null if it failed. */
  record Compiled(String instanceId, PreparedModule module, String failure)
      implements Command, NoSerializationVerificationNeeded {}

  enum RegisterTick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  enum AdmissionTick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** From this member's CoordinatedShutdown: stop taking instances, answer once idle. */
  record Drain(ActorRef<org.apache.pekko.Done> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  enum DrainTick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  // ---------------------------------------------------------------- state

  /** A request waiting for room: a {@link Reserve} or a {@link StartInstance}. */
  private record Waiter(Admission.Request request, Command command, ActorRef<InstanceEvent> owner, long arrivalNanos, long deadlineNanos) {}

  private final NodeSettings settings;
  private final SandboxRuntime runtime;
  private final ExecutorService sandboxPool;
  private final ClusterSharding sharding;
  /** large inputs and outputs travel apart; null in tests that drive the Wavelet alone */
  private final Blobs blobs;
  /** this actor, for threads other than its own */
  private final ActorRef<Command> me;
  /** modules by content, one use per sandbox that started preparing: released when it is removed */
  private final ModuleCache modules;
  /** compiles modules, apart from the prepare pool where emergency starts parse theirs */
  private final ExecutorService compilePool;
  /** runs calls, and runs an interpreted call again compiled when its module's compile arrives */
  private final TierUp tierUp;
  /** runs calls on the sandbox pool, interpreted ones within the node's interpreted slots */
  private final CallRunner calls;
  private final Map<String, WaveletSandbox> sandboxes = new HashMap<>();
  private final Map<String, Waiter> waiting = new LinkedHashMap<>();
  private int allocatedMb;
  private int inFlight;
  private final TimerScheduler<Command> timers;
  private boolean draining;
  private long drainingSinceNanos;
  private final List<ActorRef<org.apache.pekko.Done>> drained = new ArrayList<>();

  /**
   * A Wavelet without a module store: only inline modules ({@link ModuleRef#inline}) start.
   *
   * @param sharding to register with this node's NodeEntity; {@code null} in tests that drive the
   *     Wavelet alone
   */
  public static Behavior<Command> create(
      NodeSettings settings,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool,
      ClusterSharding sharding) {
    return create(settings, runtime, sandboxPool, preparePool, sharding, null, ModuleSource.NONE);
  }

  /**
   * @param sharding to register with this node's NodeEntity; {@code null} in tests that drive the
   *     Wavelet alone
   * @param blobs this member's {@link Blobs}, for inputs and outputs that travel apart
   * @param moduleSource fetches stored modules by hash (the module store)
   */
  public static Behavior<Command> create(
      NodeSettings settings,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool,
      ClusterSharding sharding,
      Blobs blobs,
      ModuleSource moduleSource) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new Wavelet(ctx, timers, settings, runtime, sandboxPool, preparePool, sharding, blobs, moduleSource)));
  }

  private Wavelet(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      NodeSettings settings,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool,
      ClusterSharding sharding,
      Blobs blobs,
      ModuleSource moduleSource) {
    super(context);
    this.blobs = blobs;
    this.me = context.getSelf();
    this.settings = settings;
    this.runtime = runtime;
    this.sandboxPool = sandboxPool;
    this.sharding = sharding;
    int interpreted = context.getSystem().settings().config().getInt("wavelink.node.interpreted-calls");
    this.tierUp = new TierUp(runtime);
    this.calls = new CallRunner(settings.nodeId(), sandboxPool, tierUp, blobs, me,
        interpreted > 0 ? interpreted : Runtime.getRuntime().availableProcessors());
    this.compilePool =
        ModuleCache.newCompilePool(settings.nodeId(), settings.prepareThreads());
    this.modules =
        new ModuleCache(
            runtime, preparePool, compilePool, moduleSource,
            context.getSystem().settings().config().getBytes("wavelink.node.module-cache.idle-size"));
    this.timers = timers;
    ActorRef<Command> self = context.getSelf();
    org.apache.pekko.actor.typed.ActorSystem<?> system = context.getSystem();
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "wavelet-drain-" + settings.nodeId(),
            () ->
                org.apache.pekko.actor.typed.javadsl.AskPattern.<Command, org.apache.pekko.Done>ask(
                    self, Drain::new, settings.drainTimeout(), system.scheduler()));
    context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    if (sharding != null) {
      register();
      timers.startTimerWithFixedDelay(RegisterTick.INSTANCE, settings.registerInterval());
    }
    timers.startTimerWithFixedDelay(AdmissionTick.INSTANCE, ADMISSION_TICK);
    context.getLog().info("Wavelet of node {} up with {} MB", settings.nodeId(), settings.capacityMb());
  }

  private static final long MIB = 1L << 20;

  /** How often waiting requests, reservations and reclaims are checked for their deadlines. */
  private static final Duration ADMISSION_TICK = Duration.ofMillis(200);

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(StartInstance.class, this::onStart)
        .onMessage(Reserve.class, this::onReserve)
        .onMessage(Prepared.class, this::onPrepared)
        .onMessage(Compiled.class, this::onCompiled)
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(StopInstance.class, this::onStop)
        .onMessage(ReclaimDeclined.class, this::onReclaimDeclined)
        .onMessage(RenewLeases.class, this::onRenewLeases)
        .onMessage(Reconcile.class, this::onReconcile)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessageEquals(RegisterTick.INSTANCE, this::onRegisterTick)
        .onMessageEquals(AdmissionTick.INSTANCE, this::onAdmissionTick)
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(DrainTick.INSTANCE, this::onDrainTick)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  // ---------------------------------------------------------------- admission

  private Behavior<Command> onReserve(Reserve reserve) {
    WaveletSandbox existing = sandboxes.get(reserve.instanceId());
    if (existing != null) {
      if (!existing.stopping) {
        reserve.owner().tell(new Reserved(reserve.instanceId(), settings.nodeId(), getContext().getSelf()));
      }
      return this;
    }
    admit(
        new Admission.Request(
            reserve.instanceId(), reserve.function(), reserve.kind(), reserve.reservedMb(),
            scope(reserve.waitMs(), reserve.callersWaiting())),
        reserve, reserve.owner(), reserve.waitMs());
    return this;
  }

  private Behavior<Command> onStart(StartInstance start) {
    WaveletSandbox existing = sandboxes.get(start.instanceId());
    if (existing != null) {
      if (existing.spec == null && !existing.stopping) {
        prepare(existing, start); // the reservation is used
      } else if (existing.ready() && !existing.stopping) {
        start.owner().tell(ready(existing, 0L));
      }
      return this;
    }
    if (waiting.containsKey(start.instanceId())) {
      return this; // already waiting for room
    }
    admit(
        new Admission.Request(
            start.instanceId(), start.function(), start.kind(), start.reservedMb(),
            scope(start.waitMs(), start.callersWaiting())),
        start, start.owner(), start.waitMs());
    return this;
  }

  private static Admission.Scope scope(long waitMs, boolean callersWaiting) {
    if (waitMs <= 0) {
      return Admission.Scope.NONE;
    }
    return callersWaiting ? Admission.Scope.ANY : Admission.Scope.EMERGENCY;
  }

  /** Decides a new request: admitted now, refused, or waiting (after asking idle instances back). */
  private void admit(Admission.Request request, Command command, ActorRef<InstanceEvent> owner, long waitMs) {
    if (draining) {
      owner.tell(new InstanceFailed(request.instanceId(), settings.nodeId(), true, "node " + settings.nodeId() + " is leaving"));
      return;
    }
    long now = System.nanoTime();
    if (waiting.isEmpty() && request.mb() <= settings.capacityMb() - allocatedMb) {
      // what Admission.decide answers when nothing waits and the free memory suffices, without its
      // O(instances) ledger: a node with thousands of instances admits thousands a second
      admitted(request, command, owner, now);
      return;
    }
    Admission.Decision decision =
        Admission.decide(settings.capacityMb(), holdings(now), waitingRequests(), request);
    if (decision instanceof Admission.Admit) {
      admitted(request, command, owner, now);
    } else if (decision instanceof Admission.Refuse refuse) {
      owner.tell(new InstanceFailed(request.instanceId(), settings.nodeId(), true, "node " + settings.nodeId() + ": " + refuse.reason()));
    } else {
      if (decision instanceof Admission.Reclaim reclaim) {
        askBack(reclaim, now);
      }
      waiting.put(request.instanceId(), new Waiter(request, command, owner, now, now + waitMs * 1_000_000L));
    }
  }

  private void admitted(Admission.Request request, Command command, ActorRef<InstanceEvent> owner, long nowNanos) {
    WaveletSandbox sandbox = new WaveletSandbox(request.instanceId(), request.function(), request.kind(), request.mb(), owner, nowNanos);
    if (request.kind() == InstanceKind.EMERGENCY) {
      sandbox.leaseUntilNanos = nowNanos + settings.emergencyLease().toNanos();
    }
    sandboxes.put(sandbox.instanceId, sandbox);
    allocatedMb += sandbox.reservedMb;
    if (command instanceof StartInstance start) {
      prepare(sandbox, start);
    } else {
      sandbox.reservedUntilNanos = nowNanos + settings.reservationTtl().toNanos();
      owner.tell(new Reserved(request.instanceId(), settings.nodeId(), getContext().getSelf()));
    }
  }

  /** Asks the owners of the chosen idle instances to give them back. */
  private void askBack(Admission.Reclaim reclaim, long nowNanos) {
    for (io.wavelink.node.internal.Eviction.Candidate victim : reclaim.victims()) {
      WaveletSandbox s = sandboxes.get(victim.instanceId());
      if (s != null) {
        s.reclaimingSinceNanos = nowNanos;
        getContext().getLog().debug("Asking back {} instance {} of {} ({} MB)", s.kind.label(), s.instanceId, s.function, s.reservedMb);
        s.owner.tell(new Reclaim(s.instanceId, settings.nodeId(), getContext().getSelf()));
      }
    }
  }

  /**
   * Memory came free, an instance became idle, or an owner kept one: waiting requests are decided
   * again, those of the functions holding least first (max-min), then oldest first.
   */
  private void reconsiderWaiting() {
    if (waiting.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    List<Waiter> order = new ArrayList<>(waiting.values());
    Map<String, Integer> held = heldByFunction();
    order.sort(
        Comparator.comparingInt((Waiter w) -> held.getOrDefault(w.request().function(), 0))
            .thenComparingLong(Waiter::arrivalNanos));
    List<Admission.Request> ahead = new ArrayList<>();
    for (Waiter w : order) {
      Admission.Decision d = Admission.decide(settings.capacityMb(), holdings(now), ahead, w.request());
      if (d instanceof Admission.Admit) {
        waiting.remove(w.request().instanceId());
        admitted(w.request(), w.command(), w.owner(), now);
        held.merge(w.request().function(), w.request().mb(), Integer::sum);
      } else if (d instanceof Admission.Refuse refuse) {
        waiting.remove(w.request().instanceId());
        w.owner().tell(new InstanceFailed(w.request().instanceId(), settings.nodeId(), true, "node " + settings.nodeId() + ": " + refuse.reason()));
      } else {
        if (d instanceof Admission.Reclaim reclaim) {
          askBack(reclaim, now);
        }
        ahead.add(w.request());
      }
    }
  }

  private List<Admission.Holding> holdings(long nowNanos) {
    List<Admission.Holding> list = new ArrayList<>(sandboxes.size());
    for (WaveletSandbox s : sandboxes.values()) {
      list.add(s.holding(nowNanos));
    }
    return list;
  }

  private List<Admission.Request> waitingRequests() {
    return waiting.values().stream().map(Waiter::request).toList();
  }

  private Map<String, Integer> heldByFunction() {
    Map<String, Integer> held = new HashMap<>();
    for (WaveletSandbox s : sandboxes.values()) {
      held.merge(s.function, s.reservedMb, Integer::sum);
    }
    return held;
  }

  /** Deadlines: waiting requests run out, unused reservations lapse, unanswered reclaims are dropped. */
  private Behavior<Command> onAdmissionTick() {
    if (waiting.isEmpty() && sandboxes.isEmpty()) {
      return this;
    }
    long now = System.nanoTime();
    calls.expireParked(now);
    for (Iterator<Waiter> it = waiting.values().iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (now >= w.deadlineNanos()) {
        it.remove();
        w.owner()
            .tell(
                new InstanceFailed(
                    w.request().instanceId(), settings.nodeId(), true,
                    "node " + settings.nodeId() + " had no room for " + w.request().mb() + " MB in time ("
                        + allocatedMb + " of " + settings.capacityMb() + " MB held)"));
      }
    }
    boolean changed = false;
    for (WaveletSandbox s : List.copyOf(sandboxes.values())) {
      if (s.spec == null && now >= s.reservedUntilNanos) {
        getContext().getLog().info("Reservation of {} for {} lapsed unused", s.instanceId, s.function);
        remove(s);
        changed = true;
      } else if (now >= s.leaseUntilNanos && !s.stopping) {
        getContext().getLog().info("Lease of emergency instance {} of {} lapsed: stopping it", s.instanceId, s.function);
        s.stopping = true;
        if (s.inFlight == 0 || !s.ready()) {
          remove(s);
          changed = true;
        }
      } else if (s.reclaimingSinceNanos >= 0 && now - s.reclaimingSinceNanos >= settings.reclaimTimeout().toNanos()) {
        s.reclaimingSinceNanos = -1; // its owner did not answer: another candidate may be asked
        s.declinedUntilNanos = now + settings.reclaimTimeout().toNanos();
        changed = true;
      }
    }
    if (changed) {
      reconsiderWaiting();
    }
    return this;
  }

  private Behavior<Command> onRenewLeases(RenewLeases renew) {
    long until = System.nanoTime() + settings.emergencyLease().toNanos();
    for (String id : renew.instanceIds()) {
      WaveletSandbox s = sandboxes.get(id);
      if (s != null && s.kind == InstanceKind.EMERGENCY) {
        s.leaseUntilNanos = until;
      }
    }
    return this;
  }

  private Behavior<Command> onReclaimDeclined(ReclaimDeclined declined) {
    WaveletSandbox s = sandboxes.get(declined.instanceId());
    if (s != null && s.reclaimingSinceNanos >= 0) {
      s.reclaimingSinceNanos = -1;
      s.declinedUntilNanos = System.nanoTime() + settings.reclaimTimeout().toNanos();
      reconsiderWaiting();
    }
    return this;
  }

  // ---------------------------------------------------------------- instances

  /**
   * Prepares {@code sandbox}'s module. A regular instance waits for the compiled module. An
   * emergency instance uses the compiled module when the node has it already; otherwise it starts
   * interpreted at once (parsing only, on the prepare pool), and the node compiles the module in
   * the background on its compile pool, once for every instance of that module: later calls of the
   * instance run compiled ({@link #onCompiled}).
   */
  private void prepare(WaveletSandbox sandbox, StartInstance start) {
    sandbox.spec = start;
    String key = moduleKey(start);
    ExecutionMode mode =
        start.kind() == InstanceKind.REGULAR || modules.preparedNow(key, ExecutionMode.COMPILED)
            ? ExecutionMode.COMPILED
            : ExecutionMode.INTERPRETED;
    long began = System.nanoTime();
    ActorRef<Command> self = getContext().getSelf();
    if (mode == ExecutionMode.COMPILED) {
      sandbox.holdsCompiled = true;
    } else {
      sandbox.holdsInterpreted = true;
    }
    // the module's bytes are on the node, or fetched once by hash off this actor
    modules
        .prepare(key, start.module(), mode, start.memoryMb())
        .whenComplete(
            (module, error) ->
                self.tell(
                    new Prepared(
                        start.instanceId(),
                        module,
                        error == null ? null : CallRunner.rootMessage(error),
                        error != null && ModuleCache.fetchUnavailable(error),
                        (System.nanoTime() - began) / 1_000)));
    if (mode == ExecutionMode.INTERPRETED) {
      sandbox.holdsCompiled = true;
      modules
          .prepare(key, start.module(), ExecutionMode.COMPILED, start.memoryMb())
          .whenComplete(
              (module, error) ->
                  self.tell(new Compiled(start.instanceId(), module, error == null ? null : CallRunner.rootMessage(error))));
    }
  }

  private static String moduleKey(StartInstance start) {
    return ModuleCache.keyOf(start.function(), start.version(), start.module());
  }

  private Behavior<Command> onCompiled(Compiled compiled) {
    WaveletSandbox sandbox = sandboxes.get(compiled.instanceId());
    if (sandbox == null || !sandbox.holdsCompiled) {
      return this; // removed meanwhile: its uses were given back
    }
    if (compiled.module() == null) {
      // it keeps running interpreted; the next emergency start of the module tries again
      getContext().getLog().info("Compiling the module of {} failed; instance {} stays interpreted: {}",
          sandbox.function, sandbox.instanceId, compiled.failure());
      sandbox.holdsCompiled = false;
      modules.release(moduleKey(sandbox.spec), ExecutionMode.COMPILED);
      calls.runParked(); // its parked calls run interpreted
      return this;
    }
    sandbox.compiled = compiled.module();
    if (sandbox.ready()) {
      upgrade(sandbox);
      calls.runParked();
    }
    return this;
  }

  /** Later calls of {@code sandbox} run its compiled module; calls running interpreted finish so. */
  private void upgrade(WaveletSandbox sandbox) {
    PreparedModule compiled = sandbox.compiled;
    sandbox.module = compiled;
    sandbox.compiled = null;
    int stopped = tierUp.compiled(moduleKey(sandbox.spec), compiled); // after: later calls see it
    if (stopped > 0) {
      getContext().getLog().debug("{} interpreted calls of {} run again compiled", stopped, sandbox.function);
    }
    if (sandbox.holdsInterpreted) {
      sandbox.holdsInterpreted = false;
      modules.release(moduleKey(sandbox.spec), ExecutionMode.INTERPRETED);
    }
  }

  private Behavior<Command> onPrepared(Prepared prepared) {
    WaveletSandbox sandbox = sandboxes.get(prepared.instanceId());
    if (sandbox == null) {
      return this; // stopped while preparing
    }
    if (prepared.failure() != null) {
      remove(sandbox);
      // a module the store could not deliver now: refused, so the owner tries another node
      sandbox.owner.tell(
          new InstanceFailed(prepared.instanceId(), settings.nodeId(), prepared.unavailable(), prepared.failure()));
      return this;
    }
    sandbox.module = prepared.module();
    if (sandbox.compiled != null) {
      upgrade(sandbox); // the compile was the quicker
    }
    sandbox.idleSinceNanos = System.nanoTime();
    if (sandbox.stopping) {
      remove(sandbox);
      return this;
    }
    getContext()
        .getLog()
        .debug("{} instance {} of {} ready in {} us", sandbox.kind.label(), prepared.instanceId(), sandbox.function, prepared.micros());
    sandbox.owner.tell(ready(sandbox, prepared.micros()));
    return this;
  }

  private InstanceReady ready(WaveletSandbox sandbox, long micros) {
    return new InstanceReady(sandbox.instanceId, sandbox.kind, settings.nodeId(), getContext().getSelf(), micros);
  }

  private Behavior<Command> onInvoke(Invoke invoke) {
    WaveletSandbox sandbox = sandboxes.get(invoke.instanceId());
    if (sandbox == null || !sandbox.ready() || sandbox.stopping) {
      InvocationReply refused = InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE,
          "instance " + invoke.instanceId() + " is not running on node " + settings.nodeId());
      invoke.replyTo().tell(refused);
      invoke.owner().tell(InvocationFinished.of(invoke.instanceId(), invoke.invocationId(), 0L, refused));
      return this;
    }
    sandbox.inFlight++;
    inFlight++;
    if (invoke.inputRef() == null) {
      calls.dispatch(sandbox, invoke, System.nanoTime());
      return this;
    }
    PreparedModule module = sandbox.module;
    StartInstance spec = sandbox.spec;
    boolean interpreted = module.mode() == ExecutionMode.INTERPRETED;
    if (blobs == null) {
      calls.ended(spec, invoke, InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE,
          "node " + settings.nodeId() + " cannot fetch an input that travels apart"), 0, false);
      return this;
    }
    if (interpreted) {
      calls.startedInterpreted();
    }
    // a large input travels apart: fetched first, off this actor; its time counts in the call's
    long arrived = System.nanoTime();
    blobs.get(invoke.inputRef(), false)
        .whenComplete((input, error) -> {
          if (error != null) {
            calls.ended(spec, invoke, InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE,
                "the input of the call could not be fetched from the gateway: " + CallRunner.rootMessage(error)), 0, interpreted);
          } else {
            calls.run(sandbox, module, spec, invoke, input, arrived);
          }
        });
    return this;
  }

  private Behavior<Command> onFinished(Finished finished) {
    inFlight--;
    calls.finished(finished.interpreted());
    WaveletSandbox sandbox = sandboxes.get(finished.instanceId());
    if (sandbox != null) {
      sandbox.inFlight--;
      sandbox.peakMemoryBytes = Math.max(sandbox.peakMemoryBytes, finished.peakMemoryBytes());
      if (sandbox.inFlight == 0) {
        sandbox.idleSinceNanos = System.nanoTime();
        if (sandbox.stopping) {
          remove(sandbox);
        } else {
          reconsiderWaiting(); // an idle instance can be asked back for a waiting request
        }
      }
    }
    return this;
  }

  private Behavior<Command> onStop(StopInstance stop) {
    if (waiting.remove(stop.instanceId()) != null) {
      return this; // withdrawn before it had room
    }
    WaveletSandbox sandbox = sandboxes.get(stop.instanceId());
    if (sandbox != null) {
      sandbox.stopping = true;
      if (sandbox.spec == null || (sandbox.inFlight == 0 && sandbox.ready())) {
        remove(sandbox);
      }
    }
    return this;
  }

  private Behavior<Command> onReconcile(Reconcile reconcile) {
    List<String> orphans = new ArrayList<>();
    for (WaveletSandbox s : sandboxes.values()) {
      if (s.kind == InstanceKind.REGULAR && s.spec != null
          && !reconcile.assignedRegular().contains(s.instanceId)) {
        orphans.add(s.instanceId);
      }
    }
    for (String id : orphans) {
      getContext().getLog().info("Stopping regular instance {}: no longer assigned to {}", id, settings.nodeId());
      onStop(new StopInstance(id));
    }
    return this;
  }

  private void remove(WaveletSandbox sandbox) {
    if (sandboxes.remove(sandbox.instanceId) == null) {
      return;
    }
    allocatedMb -= sandbox.reservedMb;
    if (sandbox.holdsInterpreted) {
      sandbox.holdsInterpreted = false;
      modules.release(moduleKey(sandbox.spec), ExecutionMode.INTERPRETED);
    }
    if (sandbox.holdsCompiled) {
      sandbox.holdsCompiled = false;
      modules.release(moduleKey(sandbox.spec), ExecutionMode.COMPILED);
    }
    reconsiderWaiting();
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    long now = System.nanoTime();
    List<InstanceInfo> infos = new ArrayList<>(sandboxes.size());
    int reclaimable = 0;
    long touched = 0;
    for (WaveletSandbox s : sandboxes.values()) {
      touched += s.peakMemoryBytes;
      infos.add(s.info(now));
      if (s.reclaimable(now)) {
        reclaimable += s.reservedMb;
      }
    }
    int waitingMb = waiting.values().stream().mapToInt(w -> w.request().mb()).sum();
    ModuleCache.Stats moduleStats = modules.stats();
    get.replyTo().tell(new NodeStatus(
        settings.nodeId(), getContext().getSystem().address().toString(), settings.capacityMb(), allocatedMb,
        inFlight, infos, draining, reclaimable, waitingMb, (int) ((touched + MIB - 1) / MIB),
        (int) (runtime.memoryUsage().inUseBytes() / MIB), moduleStats.modules(), moduleStats.fetches()));
    return this;
  }

  /**
   * Graceful leave: the node reports itself draining (the NodeDirectory shows it as leaving, so no
   * function places or routes new work here and regular instances are replaced elsewhere); the
   * shutdown continues once nothing has run here for a quiet period.
   */
  private Behavior<Command> onDrain(Drain drain) {
    if (!draining) {
      draining = true;
      drainingSinceNanos = System.nanoTime();
      getContext().getLog().info("Wavelet of node {} draining: {} invocations in flight", settings.nodeId(), inFlight);
      for (Waiter w : waiting.values()) {
        w.owner().tell(new InstanceFailed(w.request().instanceId(), settings.nodeId(), true, "node " + settings.nodeId() + " is leaving"));
      }
      waiting.clear();
      timers.startTimerWithFixedDelay(DrainTick.INSTANCE, Duration.ofMillis(200));
    }
    drained.add(drain.replyTo());
    return this;
  }

  private Behavior<Command> onDrainTick() {
    boolean quiet = System.nanoTime() - drainingSinceNanos >= settings.drainQuietPeriod().toNanos();
    if (quiet && inFlight == 0) {
      getContext().getLog().info("Wavelet of node {} drained", settings.nodeId());
      drained.forEach(r -> r.tell(org.apache.pekko.Done.getInstance()));
      drained.clear();
      timers.cancel(DrainTick.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onRegisterTick() {
    register();
    return this;
  }

  private void register() {
    sharding
        .entityRefFor(NodeEntity.TYPE_KEY, settings.nodeId())
        .tell(
            new NodeEntity.Register(
                getContext().getSystem().address().toString(),
                settings.capacityMb(),
                getContext().getSelf()));
  }

  private Behavior<Command> onPostStop() {
    modules.clear();
    compilePool.shutdownNow();
    return this;
  }
}
