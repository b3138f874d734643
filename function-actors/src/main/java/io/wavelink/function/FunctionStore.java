package io.wavelink.function;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The durable half of a function: its definition and the desired set of its regular instances,
 * event-sourced into the journal under persistence id {@code Function|<name>}. It runs as a child
 * of the function's {@link FunctionEntity}, which keeps every invocation off this actor: an
 * event-sourced behaviour stashes its commands while it persists, so nothing on the hot path may
 * wait here. Only the entity talks to it, and every command gets a reply.
 *
 * <p>Emergency instances never reach this actor.
 */
public final class FunctionStore
    extends EventSourcedBehaviorWithEnforcedReplies<
        FunctionStore.Command, FunctionStore.Event, FunctionStore.State> {

  // ---------------------------------------------------------------- protocol

  public sealed interface Command {}

  /** Deploy or update; {@code expectedVersion} 0 means "any". */
  public record Deploy(FunctionSpec spec, long expectedVersion, ActorRef<DeployResult> replyTo)
      implements Command {}

  public record Delete(ActorRef<DeleteResult> replyTo) implements Command {}

  /**
   * Record a new desired regular instance of the current version, and the node it is placed on
   * ({@code nodeId} empty: not placed yet), in one write.
   */
  public record AddRegular(String instanceId, String nodeId, ActorRef<Done> replyTo) implements Command {

    public AddRegular(String instanceId, ActorRef<Done> replyTo) {
      this(instanceId, "", replyTo);
    }
  }

  /** Record the node a desired regular instance was placed on. */
  public record AssignRegular(String instanceId, String nodeId, ActorRef<Done> replyTo)
      implements Command {}

  public record RemoveRegular(String instanceId, ActorRef<Done> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface DeployResult {}

  public record Deployed(long version, boolean created, State state) implements DeployResult {}

  public record DeployConflict(String message) implements DeployResult {}

  public record DeleteResult(boolean found, State state) {}

  /** Acknowledgement that a regular-track change is in the journal. */
  public record Done(String instanceId, State state) {}

  // ---------------------------------------------------------------- events and state

  public sealed interface Event {}

  public record FunctionDeployed(FunctionSpec spec, long version) implements Event {}

  public record FunctionDeleted(long version) implements Event {}

  public record RegularInstanceAdded(String instanceId, long version) implements Event {}

  public record RegularInstanceAssigned(String instanceId, String nodeId) implements Event {}

  public record RegularInstanceRemoved(String instanceId) implements Event {}

  /** A desired regular instance; {@code nodeId} is empty until it has been placed. */
  public record RegularInstance(String instanceId, long version, String nodeId) {}

  /**
   * Immutable state. {@code lastVersion} keeps counting across deletes so that a version number is
   * never reused for a different spec.
   */
  public record State(
      Optional<FunctionSpec> spec, long version, long lastVersion, Map<String, RegularInstance> regular) {

    static final State EMPTY = new State(Optional.empty(), 0, 0, Map.of());

    public boolean exists() {
      return spec.isPresent();
    }

    State deployed(FunctionSpec s, long v) {
      // instances of earlier versions stay in the desired set until the entity removes them
      return new State(Optional.of(s), v, Math.max(lastVersion, v), regular);
    }

    State deleted() {
      return new State(Optional.empty(), 0, lastVersion, regular);
    }

    State withRegular(RegularInstance instance) {
      Map<String, RegularInstance> next = new HashMap<>(regular);
      next.put(instance.instanceId(), instance);
      return new State(spec, version, lastVersion, Map.copyOf(next));
    }

    State withoutRegular(String instanceId) {
      Map<String, RegularInstance> next = new HashMap<>(regular);
      next.remove(instanceId);
      return new State(spec, version, lastVersion, Map.copyOf(next));
    }
  }

  // ---------------------------------------------------------------- behaviour

  public static Behavior<Command> create(String name) {
    return new FunctionStore(name);
  }

  private FunctionStore(String name) {
    super(
        PersistenceId.of("Function", name),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Deploy.class, this::onDeploy)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(AddRegular.class, this::onAdd)
        .onCommand(AssignRegular.class, this::onAssign)
        .onCommand(RemoveRegular.class, this::onRemove)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
        .build();
  }

  private ReplyEffect<Event, State> onDeploy(State state, Deploy deploy) {
    if (deploy.expectedVersion() != 0 && deploy.expectedVersion() != state.version()) {
      return Effect()
          .reply(
              deploy.replyTo(),
              new DeployConflict(
                  "function " + deploy.spec().name() + " is at version " + state.version()
                      + ", not " + deploy.expectedVersion()));
    }
    boolean created = !state.exists();
    long version = state.lastVersion() + 1;
    return Effect()
        .persist(new FunctionDeployed(deploy.spec(), version))
        .thenReply(deploy.replyTo(), s -> new Deployed(version, created, s));
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete delete) {
    if (!state.exists()) {
      return Effect().reply(delete.replyTo(), new DeleteResult(false, state));
    }
    return Effect()
        .persist(new FunctionDeleted(state.version()))
        .thenReply(delete.replyTo(), s -> new DeleteResult(true, s));
  }

  private ReplyEffect<Event, State> onAdd(State state, AddRegular add) {
    if (!state.exists() || state.regular().containsKey(add.instanceId())) {
      return Effect().reply(add.replyTo(), new Done(add.instanceId(), state));
    }
    List<Event> events =
        add.nodeId().isEmpty()
            ? List.of(new RegularInstanceAdded(add.instanceId(), state.version()))
            : List.of(
                new RegularInstanceAdded(add.instanceId(), state.version()),
                new RegularInstanceAssigned(add.instanceId(), add.nodeId()));
    return Effect().persist(events).thenReply(add.replyTo(), s -> new Done(add.instanceId(), s));
  }

  private ReplyEffect<Event, State> onAssign(State state, AssignRegular assign) {
    RegularInstance current = state.regular().get(assign.instanceId());
    if (current == null || current.nodeId().equals(assign.nodeId())) {
      return Effect().reply(assign.replyTo(), new Done(assign.instanceId(), state));
    }
    return Effect()
        .persist(new RegularInstanceAssigned(assign.instanceId(), assign.nodeId()))
        .thenReply(assign.replyTo(), s -> new Done(assign.instanceId(), s));
  }

  private ReplyEffect<Event, State> onRemove(State state, RemoveRegular remove) {
    if (!state.regular().containsKey(remove.instanceId())) {
      return Effect().reply(remove.replyTo(), new Done(remove.instanceId(), state));
    }
    return Effect()
        .persist(new RegularInstanceRemoved(remove.instanceId()))
        .thenReply(remove.replyTo(), s -> new Done(remove.instanceId(), s));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FunctionDeployed.class, (s, e) -> s.deployed(e.spec(), e.version()))
        .onEvent(FunctionDeleted.class, (s, e) -> s.deleted())
        .onEvent(
            RegularInstanceAdded.class,
            (s, e) -> s.withRegular(new RegularInstance(e.instanceId(), e.version(), "")))
        .onEvent(
            RegularInstanceAssigned.class,
            (s, e) -> {
              RegularInstance r = s.regular().get(e.instanceId());
              return r == null ? s : s.withRegular(new RegularInstance(r.instanceId(), r.version(), e.nodeId()));
            })
        .onEvent(RegularInstanceRemoved.class, (s, e) -> s.withoutRegular(e.instanceId()))
        .build();
  }
}
