package io.wavelink.function;

import io.wavelink.function.internal.InvocationLog;
import io.wavelink.function.internal.Outbox;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A {@link FunctionEntity}'s {@link Outbox}: what its plain classes send becomes messages, asks of
 * its {@link FunctionStore} (whose answers come back to the entity as {@link
 * FunctionEntity.RegularPersisted} and {@link FunctionEntity.RegularRemoved}) and timers. Used on the
 * entity's thread only.
 */
final class EntityOutbox implements Outbox {

  private final ActorContext<FunctionEntity.Command> context;
  private final ActorRef<FunctionStore.Command> store;
  private final TimerScheduler<FunctionEntity.Command> timers;
  private final FunctionEntity.Deps deps;
  private final Duration storeTimeout;
  private final ActorRef<Wavelet.InstanceEvent> owner;
  /** the entity's invocation log, which also shows the calls the entity answers itself */
  private final InvocationLog log;

  EntityOutbox(
      ActorContext<FunctionEntity.Command> context,
      ActorRef<FunctionStore.Command> store,
      TimerScheduler<FunctionEntity.Command> timers,
      FunctionEntity.Deps deps,
      Duration storeTimeout,
      ActorRef<Wavelet.InstanceEvent> owner,
      InvocationLog log) {
    this.context = context;
    this.store = store;
    this.timers = timers;
    this.deps = deps;
    this.storeTimeout = storeTimeout;
    this.owner = owner;
    this.log = log;
  }

  @Override
  public long nowMs() {
    return deps.clockMs().getAsLong();
  }

  @Override
  public NodeDirectory.View nodes() {
    return deps.directory().view();
  }

  @Override
  public ActorRef<Wavelet.InstanceEvent> owner() {
    return owner;
  }

  @Override
  public void toWavelet(ActorRef<Wavelet.Command> wavelet, Wavelet.Command command) {
    wavelet.tell(command);
  }

  @Override
  public void toNode(String nodeId, NodeEntity.Command command) {
    deps.sharding().entityRefFor(NodeEntity.TYPE_KEY, nodeId).tell(command);
  }

  @Override
  public void answer(ActorRef<InvocationReply> caller, InvocationReply reply) {
    caller.tell(reply);
    // a call this function answered without an instance (queue full, timed out while queued, lost, ...)
    log.add(nowMs(), reply.instanceId() == null ? "" : reply.instanceId(), "", "", reply.status().name(),
        reply.message() == null ? "" : reply.message(), 0L, "");
  }

  @Override
  public void journal(JournalWrite write) {
    String id = write.instanceId();
    if (write instanceof Outbox.Remove) {
      context.ask(FunctionStore.Done.class, store, storeTimeout,
          replyTo -> new FunctionStore.RemoveRegular(id, replyTo),
          (done, error) -> new FunctionEntity.RegularRemoved(id, error == null));
    } else if (write instanceof Outbox.Add add) {
      context.ask(FunctionStore.Done.class, store, storeTimeout,
          replyTo -> new FunctionStore.AddRegular(id, add.nodeId(), replyTo),
          (done, error) -> new FunctionEntity.RegularPersisted(id, add.nodeId(), error == null));
    } else if (write instanceof Outbox.Assign assign) {
      context.ask(FunctionStore.Done.class, store, storeTimeout,
          replyTo -> new FunctionStore.AssignRegular(id, assign.nodeId(), replyTo),
          (done, error) -> new FunctionEntity.RegularPersisted(id, assign.nodeId(), error == null));
    }
  }

  @Override
  public void readJournal() {
    context.ask(FunctionStore.State.class, store, storeTimeout, FunctionStore.Get::new,
        (state, error) -> new FunctionEntity.JournalRead(state));
  }

  @Override
  public void placeAfter(String instanceId, long delayMs) {
    timers.startSingleTimer("place-" + instanceId, new FunctionEntity.PlaceNow(instanceId), Duration.ofMillis(delayMs));
  }
}
