package io.wavelink.node;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import io.wavelink.node.internal.ModuleCache;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
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
 * The node-local agent of a worker member: it owns the sandboxes on its node, starts and stops
 * instances, and runs invocations on them. One Wavelet runs per worker member, registered with the
 * Receptionist under {@link #SERVICE_KEY} and named {@code wavelet-<nodeId>}.
 *
 * <p>Protocol:
 *
 * <ul>
 *   <li>{@link StartInstance} from a NodeEntity (regular track, already persisted there) or straight
 *       from a FunctionEntity (emergency track, never persisted). The module is prepared off the actor
 *       thread (compiled for regular instances, interpreted for emergency ones); the owner then gets
 *       {@link InstanceReady}, or {@link InstanceFailed} if the node is full ({@code refused}) or the
 *       module cannot be prepared. Idempotent per instance id.
 *   <li>{@link Invoke} runs one invocation on a sandbox thread: the result goes straight to {@code
 *       replyTo} and {@link InvocationFinished} to the owner, so the owner can count in-flight calls.
 *   <li>{@link StopInstance} frees the instance's memory once its in-flight invocations end.
 *   <li>{@link Reconcile}, from its NodeEntity when the Wavelet registers: regular instances the node
 *       no longer has assigned are stopped.
 * </ul>
 *
 * Nothing the Wavelet holds is persisted: after a crash the regular instances are re-created from
 * their owners' journals, and emergency instances are simply gone.
 */
public final class Wavelet extends AbstractBehavior<Wavelet.Command> {

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

  public sealed interface Command {}

  /**
   * Start an instance. Each invocation has its own linear memory of up to {@code memoryMb}, so an
   * instance reserves {@link #reservedMb()}: memory times concurrency.
   */
  public record StartInstance(
      String instanceId,
      String function,
      long version,
      InstanceKind kind,
      byte[] code,
      int memoryMb,
      int concurrency,
      Map<String, String> env,
      ActorRef<InstanceEvent> owner)
      implements Command {

    public int reservedMb() {
      return memoryMb * Math.max(1, concurrency);
    }
  }

  public record StopInstance(String instanceId) implements Command {}

  /**
   * Runs one invocation on an instance. {@code invocationId} is the owner's id for the call, echoed
   * in {@link InvocationFinished} so that the owner knows which of an instance's calls ended.
   */
  public record Invoke(
      String instanceId,
      long invocationId,
      byte[] input,
      long timeoutMs,
      boolean coldStart,
      ActorRef<InvocationReply> replyTo,
      ActorRef<InstanceEvent> owner)
      implements Command {}

  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Command {}

  /** The regular instances the node's NodeEntity has assigned to it; others are stopped. */
  public record Reconcile(Set<String> assignedRegular) implements Command {}

  private record Prepared(String instanceId, PreparedModule module, String failure, long micros)
      implements Command, NoSerializationVerificationNeeded {}

  private record Finished(String instanceId) implements Command, NoSerializationVerificationNeeded {}

  private enum RegisterTick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** From this member's CoordinatedShutdown: stop taking instances, answer once idle. */
  private record Drain(ActorRef<org.apache.pekko.Done> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  private enum DrainTick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** What a Wavelet tells an instance's owner. */
  public sealed interface InstanceEvent {}

  public record InstanceReady(
      String instanceId,
      InstanceKind kind,
      String nodeId,
      ActorRef<Command> wavelet,
      long startMicros)
      implements InstanceEvent {}

  public record InstanceFailed(String instanceId, String nodeId, boolean refused, String reason)
      implements InstanceEvent {}

  /** One call on the instance has ended; its answer went to the caller. */
  public record InvocationFinished(String instanceId, long invocationId) implements InstanceEvent {}

  public record NodeStatus(
      String nodeId,
      String member,
      int capacityMb,
      int allocatedMb,
      int inFlight,
      List<InstanceInfo> instances,
      boolean draining) {}

  public record InstanceInfo(
      String instanceId,
      String function,
      long version,
      InstanceKind kind,
      int memoryMb,
      int inFlight,
      boolean ready) {}

  // ---------------------------------------------------------------- state

  private static final class Sandbox {
    final StartInstance spec;
    PreparedModule module;
    int inFlight;
    boolean stopping;

    Sandbox(StartInstance spec) {
      this.spec = spec;
    }

    boolean ready() {
      return module != null;
    }
  }

  private final NodeSettings settings;
  private final SandboxRuntime runtime;
  private final ExecutorService sandboxPool;
  private final ExecutorService preparePool;
  private final ClusterSharding sharding;
  private final ModuleCache modules;
  private final Map<String, Sandbox> sandboxes = new HashMap<>();
  private int allocatedMb;
  private int inFlight;
  private final TimerScheduler<Command> timers;
  private boolean draining;
  private long drainingSinceNanos;
  private final List<ActorRef<org.apache.pekko.Done>> drained = new ArrayList<>();

  /**
   * @param sharding to register with this node's NodeEntity; {@code null} in tests that drive the
   *     Wavelet alone
   */
  public static Behavior<Command> create(
      NodeSettings settings,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool,
      ClusterSharding sharding) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new Wavelet(ctx, timers, settings, runtime, sandboxPool, preparePool, sharding)));
  }

  private Wavelet(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      NodeSettings settings,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool,
      ClusterSharding sharding) {
    super(context);
    this.settings = settings;
    this.runtime = runtime;
    this.sandboxPool = sandboxPool;
    this.preparePool = preparePool;
    this.sharding = sharding;
    this.modules = new ModuleCache(runtime, preparePool);
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
    context.getLog().info("Wavelet of node {} up with {} MB", settings.nodeId(), settings.capacityMb());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(StartInstance.class, this::onStart)
        .onMessage(Prepared.class, this::onPrepared)
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(StopInstance.class, this::onStop)
        .onMessage(Reconcile.class, this::onReconcile)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessageEquals(RegisterTick.INSTANCE, this::onRegisterTick)
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(DrainTick.INSTANCE, this::onDrainTick)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onStart(StartInstance start) {
    Sandbox existing = sandboxes.get(start.instanceId());
    if (existing != null) {
      if (existing.ready() && !existing.stopping) {
        start.owner().tell(ready(existing, 0L));
      }
      return this;
    }
    if (draining) {
      start.owner()
          .tell(new InstanceFailed(start.instanceId(), settings.nodeId(), true, "node " + settings.nodeId() + " is leaving"));
      return this;
    }
    if (allocatedMb + start.reservedMb() > settings.capacityMb()) {
      start
          .owner()
          .tell(
              new InstanceFailed(
                  start.instanceId(),
                  settings.nodeId(),
                  true,
                  "node " + settings.nodeId() + " is full (" + allocatedMb + " of "
                      + settings.capacityMb() + " MB allocated)"));
      return this;
    }
    sandboxes.put(start.instanceId(), new Sandbox(start));
    allocatedMb += start.reservedMb();
    ExecutionMode mode =
        start.kind() == InstanceKind.REGULAR ? ExecutionMode.COMPILED : ExecutionMode.INTERPRETED;
    long began = System.nanoTime();
    ActorRef<Command> self = getContext().getSelf();
    modules
        .prepare(start.function(), start.version(), mode, start.code(), start.memoryMb())
        .whenComplete(
            (module, error) ->
                self.tell(
                    new Prepared(
                        start.instanceId(),
                        module,
                        error == null ? null : rootMessage(error),
                        (System.nanoTime() - began) / 1_000)));
    return this;
  }

  private Behavior<Command> onPrepared(Prepared prepared) {
    Sandbox sandbox = sandboxes.get(prepared.instanceId());
    if (sandbox == null) {
      return this; // stopped while preparing
    }
    if (prepared.failure() != null) {
      remove(sandbox);
      sandbox.spec.owner()
          .tell(
              new InstanceFailed(
                  prepared.instanceId(), settings.nodeId(), false, prepared.failure()));
      return this;
    }
    sandbox.module = prepared.module();
    if (sandbox.stopping) {
      remove(sandbox);
      return this;
    }
    getContext()
        .getLog()
        .debug(
            "{} instance {} of {} ready in {} us",
            sandbox.spec.kind().label(),
            prepared.instanceId(),
            sandbox.spec.function(),
            prepared.micros());
    sandbox.spec.owner().tell(ready(sandbox, prepared.micros()));
    return this;
  }

  private InstanceReady ready(Sandbox sandbox, long micros) {
    return new InstanceReady(
        sandbox.spec.instanceId(),
        sandbox.spec.kind(),
        settings.nodeId(),
        getContext().getSelf(),
        micros);
  }

  private Behavior<Command> onInvoke(Invoke invoke) {
    Sandbox sandbox = sandboxes.get(invoke.instanceId());
    if (sandbox == null || !sandbox.ready() || sandbox.stopping) {
      invoke
          .replyTo()
          .tell(
              InvocationReply.rejected(
                  InvocationReply.Status.UNAVAILABLE,
                  "instance " + invoke.instanceId() + " is not running on node " + settings.nodeId()));
      invoke.owner().tell(new InvocationFinished(invoke.instanceId(), invoke.invocationId()));
      return this;
    }
    sandbox.inFlight++;
    inFlight++;
    PreparedModule module = sandbox.module;
    StartInstance spec = sandbox.spec;
    ActorRef<Command> self = getContext().getSelf();
    Invocation invocation =
        new Invocation(
            spec.function(), invoke.input(), spec.env(), spec.memoryMb(), Duration.ofMillis(invoke.timeoutMs()));
    sandboxPool.execute(
        () -> {
          InvocationReply reply;
          try {
            reply = toReply(runtime.invoke(module, invocation), spec, invoke.coldStart());
          } catch (RuntimeException e) {
            reply =
                new InvocationReply(
                    InvocationReply.Status.FUNCTION_ERROR,
                    new byte[0],
                    spec.instanceId(),
                    spec.kind(),
                    invoke.coldStart(),
                    0L,
                    "sandbox failure: " + rootMessage(e),
                    "");
          }
          invoke.replyTo().tell(reply);
          invoke.owner().tell(new InvocationFinished(spec.instanceId(), invoke.invocationId()));
          self.tell(new Finished(spec.instanceId()));
        });
    return this;
  }

  private static InvocationReply toReply(
      InvocationResult result, StartInstance spec, boolean coldStart) {
    if (result instanceof InvocationResult.Success s) {
      return new InvocationReply(
          InvocationReply.Status.OK,
          s.stdout(),
          spec.instanceId(),
          spec.kind(),
          coldStart,
          s.duration().toNanos() / 1_000,
          "",
          s.stderrTail());
    } else if (result instanceof InvocationResult.FunctionError e) {
      return new InvocationReply(
          InvocationReply.Status.FUNCTION_ERROR,
          new byte[0],
          spec.instanceId(),
          spec.kind(),
          coldStart,
          e.duration().toNanos() / 1_000,
          e.message(),
          e.stderrTail());
    } else {
      InvocationResult.TimedOut t = (InvocationResult.TimedOut) result;
      return new InvocationReply(
          InvocationReply.Status.TIMEOUT,
          new byte[0],
          spec.instanceId(),
          spec.kind(),
          coldStart,
          t.limit().toNanos() / 1_000,
          "function " + spec.function() + " timed out after " + t.limit().toMillis() + " ms",
          t.stderrTail());
    }
  }

  private Behavior<Command> onFinished(Finished finished) {
    inFlight--;
    Sandbox sandbox = sandboxes.get(finished.instanceId());
    if (sandbox != null) {
      sandbox.inFlight--;
      if (sandbox.stopping && sandbox.inFlight == 0) {
        remove(sandbox);
      }
    }
    return this;
  }

  private Behavior<Command> onStop(StopInstance stop) {
    Sandbox sandbox = sandboxes.get(stop.instanceId());
    if (sandbox != null) {
      sandbox.stopping = true;
      if (sandbox.inFlight == 0 && sandbox.ready()) {
        remove(sandbox);
      }
    }
    return this;
  }

  private Behavior<Command> onReconcile(Reconcile reconcile) {
    List<String> orphans = new ArrayList<>();
    for (Sandbox s : sandboxes.values()) {
      if (s.spec.kind() == InstanceKind.REGULAR
          && !reconcile.assignedRegular().contains(s.spec.instanceId())) {
        orphans.add(s.spec.instanceId());
      }
    }
    for (String id : orphans) {
      getContext().getLog().info("Stopping regular instance {}: no longer assigned to {}", id, settings.nodeId());
      onStop(new StopInstance(id));
    }
    return this;
  }

  private void remove(Sandbox sandbox) {
    if (sandboxes.remove(sandbox.spec.instanceId()) != null) {
      allocatedMb -= sandbox.spec.reservedMb();
      StartInstance spec = sandbox.spec;
      boolean stillUsed =
          sandboxes.values().stream()
              .anyMatch(
                  s ->
                      s.spec.function().equals(spec.function())
                          && s.spec.version() == spec.version()
                          && s.spec.kind() == spec.kind());
      if (!stillUsed) {
        modules.evict(
            spec.function(),
            spec.version(),
            spec.kind() == InstanceKind.REGULAR ? ExecutionMode.COMPILED : ExecutionMode.INTERPRETED);
      }
    }
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    List<InstanceInfo> infos = new ArrayList<>(sandboxes.size());
    for (Sandbox s : sandboxes.values()) {
      infos.add(
          new InstanceInfo(
              s.spec.instanceId(),
              s.spec.function(),
              s.spec.version(),
              s.spec.kind(),
              s.spec.reservedMb(),
              s.inFlight,
              s.ready() && !s.stopping));
    }
    get.replyTo()
        .tell(
            new NodeStatus(
                settings.nodeId(),
                getContext().getSystem().address().toString(),
                settings.capacityMb(),
                allocatedMb,
                inFlight,
                infos,
                draining));
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
    return this;
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
