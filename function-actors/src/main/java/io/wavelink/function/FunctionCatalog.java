package io.wavelink.function;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The names of all deployed functions, event-sourced as one sharded entity ({@link #ENTITY_ID}). It
 * serves {@code GET /v1/functions} a page at a time, and after a restart it wakes the entities of
 * the functions that keep instances whatever their load ({@code minScale} > 0), {@link #WAKE_BATCH}
 * every {@link #WAKE_EVERY}, so that those instances come back without waiting for a first
 * invocation and without a storm of journal recoveries. Every other function stays asleep until its
 * first call, which loads it from the journal in milliseconds; one that still has regular instances
 * placed on a node is woken by that node's {@code NodeEntity}, which checks its placements with their
 * functions as soon as its Wavelet registers. Deploys and deletes pass through here; invocations
 * never do.
 *
 * <p>The names are a persistent sorted set (Scala's immutable {@code TreeSet}: adding or removing
 * a name shares the rest of the tree), so a catalog of 100,000 names costs O(log n) per deploy, not
 * a copy of the whole set.
 */
public final class FunctionCatalog
    extends EventSourcedBehaviorWithEnforcedReplies<
        FunctionCatalog.Command, FunctionCatalog.Event, FunctionCatalog.State> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "FunctionCatalog");
  public static final String ENTITY_ID = "catalog";

  /**
   * Starts the shard region, or a proxy on members without {@code role}. The entity is a {@link
   * CatalogWriter} in front of the event-sourced catalog, so that the registrations that arrive
   * while one write is on its way go to the journal together, in the next one.
   */
  public static void init(ClusterSharding sharding, String role) {
    sharding.init(
        Entity.of(
                TYPE_KEY,
                ctx -> CatalogWriter.create(create(sharding), CatalogWriter.MAX_BATCH, CatalogWriter.WRITE_TIMEOUT))
            .withRole(role));
  }

  /** @param sharding to wake the functions after recovery; null in tests of the catalog alone */
  public static org.apache.pekko.actor.typed.Behavior<Command> create(ClusterSharding sharding) {
    return Behaviors.<Command>setup(actorCtx -> new FunctionCatalog(actorCtx, sharding));
  }

  public static EntityRef<Command> ref(ClusterSharding sharding) {
    return sharding.entityRefFor(TYPE_KEY, ENTITY_ID);
  }

  public sealed interface Command {}

  /** @param asleep the function need not be woken after a restart ({@code minScale} 0) */
  public record Register(String name, boolean asleep, ActorRef<Ack> replyTo) implements Command {
    /** A function woken after a restart. */
    public Register(String name, ActorRef<Ack> replyTo) {
      this(name, false, replyTo);
    }
  }

  public record Unregister(String name, ActorRef<Ack> replyTo) implements Command {}

  /**
   * At most {@code limit} names after {@code after} (exclusive; "" from the first), in order;
   * {@code limit} 0: every name.
   */
  public record ListNames(String after, int limit, ActorRef<Names> replyTo) implements Command {
    /** Every name. */
    public ListNames(ActorRef<Names> replyTo) {
      this("", 0, replyTo);
    }
  }

  /**
   * {@link Register}s and {@link Unregister}s applied in order and written in one journal write
   * (those that change nothing are left out); {@code replyTo} hears once they are all recorded. Sent
   * by the {@link CatalogWriter} in front of the catalog, on the same member; the changes' own
   * {@code replyTo} are answered by the writer, not by the catalog.
   */
  record Apply(List<Command> changes, ActorRef<Applied> replyTo)
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** {@link Apply} recorded: {@code events} were written (0: nothing changed). */
  record Applied(int events) implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** To the {@link CatalogWriter} itself: a batch's write ended ({@code applied} null if it was not confirmed). */
  record Written(List<Command> batch, Applied applied, Throwable error)
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** Wakes the functions after {@code after}, a batch at a time; sent to itself. */
  private record WakeFrom(String after) implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /**
   * About 50 functions/s: right after a start the member loads functions at about 85/s on two cores
   * (a cold JVM and journal), and every function woken faster waits in the journal's recovery queue
   * with the first calls' own reads (docs/benchmarks.md, "100,000 functions ...").
   */
  static final int WAKE_BATCH = 25;
  static final Duration WAKE_EVERY = Duration.ofMillis(500);

  public enum Ack {
    INSTANCE
  }

  /** A page of names; {@code more}: names follow the last one. */
  public record Names(List<String> names, boolean more) {
    public Names(List<String> names) {
      this(names, false);
    }
  }

  public sealed interface Event {}

  /** A name registered, or its {@code asleep} flag changed. */
  public record FunctionRegistered(String name, boolean asleep) implements Event {
    public FunctionRegistered(String name) {
      this(name, false);
    }
  }

  public record FunctionUnregistered(String name) implements Event {}

  /**
   * The names, sorted, and those of them woken after a restart ({@code awake}); immutable (each
   * change makes new sets sharing the rest).
   */
  public record State(scala.collection.immutable.TreeSet<String> sorted, scala.collection.immutable.TreeSet<String> awake) {
    private static final scala.collection.immutable.TreeSet<String> EMPTY =
        scala.collection.immutable.TreeSet$.MODULE$.empty(scala.math.Ordering.String$.MODULE$);

    /** Every name woken after a restart (as before names could sleep). */
    public static State of(Iterable<String> names) {
      return of(names, names);
    }

    public static State of(Iterable<String> names, Iterable<String> awake) {
      return new State(set(names), set(awake));
    }

    private static scala.collection.immutable.TreeSet<String> set(Iterable<String> names) {
      scala.collection.immutable.TreeSet<String> set = EMPTY;
      for (String n : names) {
        set = set.incl(n);
      }
      return set;
    }

    public boolean contains(String name) {
      return sorted.contains(name);
    }

    /** Whether {@code name} is registered and woken after a restart. */
    public boolean awake(String name) {
      return awake.contains(name);
    }

    /** The names woken after a restart, in order. */
    public List<String> awakeNames() {
      return page(awake, "", 0).names();
    }

    /** At most {@code limit} names to wake after {@code after}, and whether more follow. */
    public Names awakePage(String after, int limit) {
      return page(awake, after, limit);
    }

    public int size() {
      return sorted.size();
    }

    /** Every name, in order. */
    public List<String> names() {
      return page("", 0).names();
    }

    /** At most {@code limit} (0: no limit) names after {@code after}, and whether more follow. */
    public Names page(String after, int limit) {
      return page(sorted, after, limit);
    }

    private static Names page(scala.collection.immutable.TreeSet<String> sorted, String after, int limit) {
      java.util.Iterator<String> it =
          scala.jdk.javaapi.CollectionConverters.asJava(
              after.isEmpty() ? sorted.iterator() : sorted.iteratorFrom(after));
      List<String> out = new java.util.ArrayList<>();
      while (it.hasNext()) {
        String n = it.next();
        if (n.equals(after)) {
          continue;
        }
        if (limit > 0 && out.size() == limit) {
          return new Names(List.copyOf(out), true);
        }
        out.add(n);
      }
      return new Names(List.copyOf(out), false);
    }

    State with(String name, boolean asleep) {
      return new State(sorted.incl(name), asleep ? awake.excl(name) : awake.incl(name));
    }

    State without(String name) {
      return new State(sorted.excl(name), awake.excl(name));
    }
  }

  private final ActorContext<Command> context;
  private final ClusterSharding sharding;

  private FunctionCatalog(ActorContext<Command> context, ClusterSharding sharding) {
    super(
        PersistenceId.of(TYPE_KEY.name(), ENTITY_ID),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.context = context;
    this.sharding = sharding;
  }

  @Override
  public State emptyState() {
    return State.of(List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // a snapshot holds every name (100,000 names: about 2 MB): not too often
    return RetentionCriteria.snapshotEvery(1000, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Unregister.class, this::onUnregister)
        .onCommand(
            ListNames.class,
            (state, list) -> Effect().reply(list.replyTo(), state.page(list.after(), list.limit())))
        .onCommand(Apply.class, this::onApply)
        .onCommand(WakeFrom.class, this::onWakeFrom)
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register register) {
    if (state.contains(register.name()) && state.awake(register.name()) != register.asleep()) {
      return Effect().reply(register.replyTo(), Ack.INSTANCE);
    }
    return Effect()
        .persist(new FunctionRegistered(register.name(), register.asleep()))
        .thenReply(register.replyTo(), s -> Ack.INSTANCE);
  }

  private ReplyEffect<Event, State> onUnregister(State state, Unregister unregister) {
    if (!state.contains(unregister.name())) {
      return Effect().reply(unregister.replyTo(), Ack.INSTANCE);
    }
    return Effect()
        .persist(new FunctionUnregistered(unregister.name()))
        .thenReply(unregister.replyTo(), s -> Ack.INSTANCE);
  }

  private ReplyEffect<Event, State> onApply(State state, Apply apply) {
    List<Event> events = new java.util.ArrayList<>();
    State s = state;
    for (Command change : apply.changes()) {
      if (change instanceof Register r && !(s.contains(r.name()) && s.awake(r.name()) != r.asleep())) {
        events.add(new FunctionRegistered(r.name(), r.asleep()));
        s = s.with(r.name(), r.asleep());
      } else if (change instanceof Unregister u && s.contains(u.name())) {
        events.add(new FunctionUnregistered(u.name()));
        s = s.without(u.name());
      }
    }
    if (events.isEmpty()) {
      return Effect().reply(apply.replyTo(), new Applied(0));
    }
    int n = events.size();
    return Effect().persist(events).thenReply(apply.replyTo(), after -> new Applied(n));
  }

  private ReplyEffect<Event, State> onWakeFrom(State state, WakeFrom wake) {
    Names batch = state.awakePage(wake.after(), WAKE_BATCH);
    for (String name : batch.names()) {
      sharding.entityRefFor(FunctionEntity.TYPE_KEY, name).tell(FunctionEntity.Wake.INSTANCE);
    }
    if (batch.more()) {
      context.scheduleOnce(WAKE_EVERY, context.getSelf(), new WakeFrom(batch.names().get(batch.names().size() - 1)));
    }
    return Effect().noReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FunctionRegistered.class, (s, e) -> s.with(e.name(), e.asleep()))
        .onEvent(FunctionUnregistered.class, (s, e) -> s.without(e.name()))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              context.getLog().info("Catalog recovered {} functions; waking the {} with minScale > 0, {} every {} ms",
                  state.size(), state.awake().size(), WAKE_BATCH, WAKE_EVERY.toMillis());
              if (sharding != null) {
                context.getSelf().tell(new WakeFrom(""));
              }
            })
        .build();
  }
}
