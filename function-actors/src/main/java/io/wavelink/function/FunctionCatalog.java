package io.wavelink.function;

import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
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
 * serves {@code GET /v1/functions}, and after a restart it wakes every function's entity so that
 * their regular instances come back without waiting for a first invocation. Deploys and deletes
 * pass through here; invocations never do.
 */
public final class FunctionCatalog
    extends EventSourcedBehaviorWithEnforcedReplies<
        FunctionCatalog.Command, FunctionCatalog.Event, FunctionCatalog.State> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "FunctionCatalog");
  public static final String ENTITY_ID = "catalog";

  /** Starts the shard region, or a proxy on members without {@code role}. */
  public static void init(ClusterSharding sharding, String role) {
    sharding.init(
        Entity.of(
                TYPE_KEY,
                ctx -> create(sharding))
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

  public record Register(String name, ActorRef<Ack> replyTo) implements Command {}

  public record Unregister(String name, ActorRef<Ack> replyTo) implements Command {}

  public record ListNames(ActorRef<Names> replyTo) implements Command {}

  public enum Ack {
    INSTANCE
  }

  public record Names(List<String> names) {}

  public sealed interface Event {}

  public record FunctionRegistered(String name) implements Event {}

  public record FunctionUnregistered(String name) implements Event {}

  /** Immutable sorted set of names. */
  public record State(TreeSet<String> names) {
    State with(String name) {
      TreeSet<String> next = new TreeSet<>(names);
      next.add(name);
      return new State(next);
    }

    State without(String name) {
      TreeSet<String> next = new TreeSet<>(names);
      next.remove(name);
      return new State(next);
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
    return new State(new TreeSet<>());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Unregister.class, this::onUnregister)
        .onCommand(
            ListNames.class,
            (state, list) -> Effect().reply(list.replyTo(), new Names(List.copyOf(state.names()))))
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register register) {
    if (state.names().contains(register.name())) {
      return Effect().reply(register.replyTo(), Ack.INSTANCE);
    }
    return Effect()
        .persist(new FunctionRegistered(register.name()))
        .thenReply(register.replyTo(), s -> Ack.INSTANCE);
  }

  private ReplyEffect<Event, State> onUnregister(State state, Unregister unregister) {
    if (!state.names().contains(unregister.name())) {
      return Effect().reply(unregister.replyTo(), Ack.INSTANCE);
    }
    return Effect()
        .persist(new FunctionUnregistered(unregister.name()))
        .thenReply(unregister.replyTo(), s -> Ack.INSTANCE);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FunctionRegistered.class, (s, e) -> s.with(e.name()))
        .onEvent(FunctionUnregistered.class, (s, e) -> s.without(e.name()))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              context.getLog().info("Catalog recovered {} functions; waking them", state.names().size());
              for (String name : sharding == null ? java.util.Set.<String>of() : state.names()) {
                sharding.entityRefFor(FunctionEntity.TYPE_KEY, name).tell(FunctionEntity.Wake.INSTANCE);
              }
            })
        .build();
  }
}
