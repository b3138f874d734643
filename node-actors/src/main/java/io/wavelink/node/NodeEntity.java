package io.wavelink.node;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A worker node as the regular track sees it, sharded by node id: its capacity and the regular
 * instances placed on it, both persisted, and the liveness of its Wavelet, in memory.
 *
 * <ul>
 *   <li>{@link Register} from the node's Wavelet at start and then periodically: persists the node's
 *       member and capacity when they change, remembers the Wavelet (not persisted) and answers with
 *       {@link Wavelet.Reconcile} listing the regular instances assigned to it.
 *   <li>{@link Place} from a FunctionEntity: persists {@link InstancePlaced} and then asks the
 *       Wavelet to start the instance; the owner hears back from the Wavelet. The node's capacity is
 *       the Wavelet's to admit (one ledger for both tracks; the owner reserves there before it
 *       places): this entity keeps the durable record. If the Wavelet is not registered, the owner
 *       gets {@link Wavelet.InstanceFailed} with {@code refused = true}. Idempotent per instance id.
 *   <li>{@link Release}: persists {@link InstanceReleased} and stops the instance on the Wavelet.
 *   <li>{@link GetState}: the persisted state plus liveness, for {@code GET /v1/nodes}.
 *   <li>Anti-entropy: every {@code placement-check-every}, and at the Wavelet's first registration
 *       after this entity started, each placement's function is asked whether it still wants that
 *       instance on this node ({@link PlacementOwners}), {@link #CHECK_BATCH} placements every
 *       {@link #CHECK_PACE} (a check wakes a function that is not in memory); one answered
 *       {@link PlacementChecked} {@code wanted = false} (its function let it go, and a release was
 *       lost) is released. So NodeEntity placements and FunctionStore intents agree after any
 *       fault, and no capacity leaks.
 * </ul>
 *
 * Emergency instances never pass through here.
 */
public final class NodeEntity
    extends EventSourcedBehavior<NodeEntity.Command, NodeEntity.Event, NodeEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "Node");

  /** Starts the shard region, or a proxy on members without {@code role}. */
  public static void init(ClusterSharding sharding, String role, PlacementOwners owners, Duration checkEvery) {
    sharding.init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), owners, checkEvery)).withRole(role));
  }

  /** Asks a placement's function whether it still wants it; wired in by the cluster module. */
  @FunctionalInterface
  public interface PlacementOwners {
    /** The function's entity answers {@link PlacementChecked} to {@code replyTo}. */
    void check(String function, String instanceId, String nodeId, ActorRef<Command> replyTo);
  }

  // ---------------------------------------------------------------- protocol

  public sealed interface Command {}

  public record Register(String member, int capacityMb, ActorRef<Wavelet.Command> wavelet)
      implements Command {}

  public record Place(Wavelet.StartInstance start) implements Command {}

  public record Release(String instanceId) implements Command {}

  public record GetState(ActorRef<NodeView> replyTo) implements Command {}

  /** A function's answer to the anti-entropy check of one of its placements on this node. */
  public record PlacementChecked(String instanceId, boolean wanted) implements Command {}

  /** Starts a round of checks of every placement with its function, unless one is under way. */
  private enum CheckPlacements implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The round's next {@link #CHECK_BATCH} placements, those after instance id {@code after}. */
  private record CheckFrom(String after) implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /**
   * A round asks the functions of at most this many placements every {@link #CHECK_PACE}: a check
   * wakes a function that is not in memory (after a restart, all of them), and a node's thousands
   * of placements woken at once would hold up the first calls behind their journal reads.
   */
  static final int CHECK_BATCH = 10;

  static final Duration CHECK_PACE = Duration.ofMillis(200);

  /** What the journal holds of a node. */
  public sealed interface Event {}

  public record NodeRegistered(String member, int capacityMb) implements Event {}

  public record InstancePlaced(String instanceId, String function, int memoryMb) implements Event {}

  public record InstanceReleased(String instanceId) implements Event {}

  public record Placement(String instanceId, String function, int memoryMb) {}

  /** Immutable state; event handlers return a new one. */
  public record State(String member, int capacityMb, Map<String, Placement> placements) {
    static final State EMPTY = new State("", 0, Map.of());

    public int placedMb() {
      return placements.values().stream().mapToInt(Placement::memoryMb).sum();
    }

    State registered(String member, int capacityMb) {
      return new State(member, capacityMb, placements);
    }

    State placed(Placement p) {
      Map<String, Placement> next = new HashMap<>(placements);
      next.put(p.instanceId(), p);
      return new State(member, capacityMb, Map.copyOf(next));
    }

    State released(String instanceId) {
      Map<String, Placement> next = new HashMap<>(placements);
      next.remove(instanceId);
      return new State(member, capacityMb, Map.copyOf(next));
    }
  }

  /** Reply to {@link GetState}. */
  public record NodeView(
      String nodeId,
      String member,
      int capacityMb,
      int placedMb,
      List<Placement> placements,
      boolean registered,
      Instant lastSeen) {}

  // ---------------------------------------------------------------- behaviour

  private final String nodeId;
  /** The node's Wavelet as of its last registration: liveness, not persisted. */
  private ActorRef<Wavelet.Command> wavelet;

  private Instant lastSeen;

  /** The instance ids of the check round under way (taken at its start), or null: not persisted. */
  private java.util.NavigableSet<String> round;

  public static Behavior<Command> create(String nodeId) {
    return create(nodeId, (function, instanceId, node, replyTo) -> {}, Duration.ZERO);
  }

  /** @param checkEvery how often placements are checked with their functions (zero: never) */
  public static Behavior<Command> create(String nodeId, PlacementOwners owners, Duration checkEvery) {
    return org.apache.pekko.actor.typed.javadsl.Behaviors.setup(
        ctx ->
            org.apache.pekko.actor.typed.javadsl.Behaviors.withTimers(
                timers -> {
                  if (!checkEvery.isZero()) {
                    timers.startTimerWithFixedDelay(CheckPlacements.INSTANCE, checkEvery);
                  }
                  return new NodeEntity(ctx, nodeId, owners);
                }));
  }

  private final org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context;
  private final PlacementOwners owners;

  private NodeEntity(
      org.apache.pekko.actor.typed.javadsl.ActorContext<Command> context, String nodeId, PlacementOwners owners) {
    super(
        PersistenceId.of(TYPE_KEY.name(), nodeId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.nodeId = nodeId;
    this.context = context;
    this.owners = owners;
  }

  /** The Wavelet is watched: when its member goes, the node has no live Wavelet until it registers again. */
  @Override
  public org.apache.pekko.persistence.typed.javadsl.SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            org.apache.pekko.actor.typed.Terminated.class,
            (state, terminated) -> {
              if (terminated.getRef().equals(wavelet)) {
                context.getLog().info("Wavelet of node {} terminated", nodeId);
                wavelet = null;
              }
            })
        .build();
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Place.class, this::onPlace)
        .onCommand(Release.class, this::onRelease)
        .onCommand(GetState.class, this::onGetState)
        .onCommand(CheckPlacements.class, (state, check) -> {
          if (round == null) {
            round = new java.util.TreeSet<>(state.placements().keySet());
            checkFrom(state, "");
          }
          return Effect().none();
        })
        .onCommand(CheckFrom.class, (state, from) -> {
          checkFrom(state, from.after());
          return Effect().none();
        })
        .onCommand(PlacementChecked.class, this::onPlacementChecked)
        .build();
  }

  /**
   * Asks the functions of the round's next placements (those still held) whether they want them,
   * and schedules the rest; ends the round after its last placement.
   */
  private void checkFrom(State state, String after) {
    if (round == null) {
      return;
    }
    java.util.Iterator<String> ids = round.tailSet(after, false).iterator();
    String last = after;
    int asked = 0;
    while (ids.hasNext() && asked < CHECK_BATCH) {
      last = ids.next();
      Placement p = state.placements().get(last);
      if (p != null) {
        owners.check(p.function(), p.instanceId(), nodeId, context.getSelf());
        asked++;
      }
    }
    if (ids.hasNext()) {
      context.scheduleOnce(CHECK_PACE, context.getSelf(), new CheckFrom(last));
    } else {
      round = null;
    }
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onRegister(
      State state, Register register) {
    if (wavelet == null && !state.placements().isEmpty()) {
      // the first registration since this entity started (a restart, or its shard moved): a round
      // of checks of its placements with their functions starts now, not at the next periodic
      // check; it also wakes, after a restart, the functions that still have regular instances
      // here, a batch at a time
      context.getSelf().tell(CheckPlacements.INSTANCE);
    }
    if (!register.wavelet().equals(wavelet)) {
      if (wavelet != null) {
        context.unwatch(wavelet);
      }
      context.watch(register.wavelet());
    }
    wavelet = register.wavelet();
    lastSeen = Instant.now();
    if (state.member().equals(register.member()) && state.capacityMb() == register.capacityMb()) {
      register.wavelet().tell(new Wavelet.Reconcile(state.placements().keySet()));
      return Effect().none();
    }
    return Effect()
        .persist(new NodeRegistered(register.member(), register.capacityMb()))
        .thenRun(s -> register.wavelet().tell(new Wavelet.Reconcile(s.placements().keySet())));
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onPlace(
      State state, Place place) {
    Wavelet.StartInstance start = place.start();
    if (wavelet == null) {
      start.owner()
          .tell(
              new Wavelet.InstanceFailed(
                  start.instanceId(), nodeId, true, "node " + nodeId + " has no live Wavelet"));
      return Effect().none();
    }
    if (state.placements().containsKey(start.instanceId())) {
      wavelet.tell(start);
      return Effect().none();
    }
    ActorRef<Wavelet.Command> target = wavelet;
    return Effect()
        .persist(new InstancePlaced(start.instanceId(), start.function(), start.reservedMb()))
        .thenRun(s -> target.tell(start));
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onRelease(
      State state, Release release) {
    if (!state.placements().containsKey(release.instanceId())) {
      return Effect().none();
    }
    return Effect()
        .persist(new InstanceReleased(release.instanceId()))
        .thenRun(
            s -> {
              if (wavelet != null) {
                wavelet.tell(new Wavelet.StopInstance(release.instanceId()));
              }
            });
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onPlacementChecked(
      State state, PlacementChecked checked) {
    if (checked.wanted() || !state.placements().containsKey(checked.instanceId())) {
      return Effect().none();
    }
    context.getLog().info("Node {}: instance {} is no longer wanted by its function: released", nodeId, checked.instanceId());
    return onRelease(state, new Release(checked.instanceId()));
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onGetState(
      State state, GetState get) {
    get.replyTo()
        .tell(
            new NodeView(
                nodeId,
                state.member(),
                state.capacityMb(),
                state.placedMb(),
                List.copyOf(state.placements().values()),
                wavelet != null,
                lastSeen));
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(NodeRegistered.class, (s, e) -> s.registered(e.member(), e.capacityMb()))
        .onEvent(
            InstancePlaced.class,
            (s, e) -> s.placed(new Placement(e.instanceId(), e.function(), e.memoryMb())))
        .onEvent(InstanceReleased.class, (s, e) -> s.released(e.instanceId()))
        .build();
  }
}
