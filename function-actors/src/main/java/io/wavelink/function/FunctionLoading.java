package io.wavelink.function;

import io.wavelink.function.FunctionProtocol.CallsNotHeld;
import io.wavelink.function.FunctionProtocol.Command;
import io.wavelink.function.FunctionProtocol.FindCalls;
import io.wavelink.function.FunctionProtocol.Invoke;
import io.wavelink.node.InvocationReply;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * A {@link FunctionEntity} while its {@link FunctionStore} recovers it from the journal. Everything
 * but the store's answer waits in the stash; invocations wait apart, so that they can be answered
 * 503 at once if the journal does not answer (the store is then asked again). Once the state is
 * there, the entity restores itself from it and takes the waiting messages, invocations last.
 */
final class FunctionLoading {

  /** The store's answer: null if it did not answer in time. */
  record Loaded(FunctionStore.State state) implements Command, NoSerializationVerificationNeeded {}

  private FunctionLoading() {}

  /**
   * @param restored restores the entity from the journal's state and returns its running behaviour
   */
  static Behavior<Command> behavior(
      String name,
      FunctionSettings settings,
      ActorContext<Command> context,
      StashBuffer<Command> stash,
      ActorRef<FunctionStore.Command> store,
      Function<FunctionStore.State, Behavior<Command>> restored) {
    List<Invoke> invokes = new ArrayList<>();
    Runnable ask = () -> context.ask(
        FunctionStore.State.class, store, settings.storeTimeout(), FunctionStore.Get::new,
        (state, error) -> new Loaded(state));
    ask.run();
    return Behaviors.receive(Command.class)
        .onMessage(Loaded.class, loaded -> {
          if (loaded.state() == null) {
            invokes.forEach(i -> i.replyTo().tell(InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE,
                "function " + name + " cannot be loaded: the journal (Cassandra) is not reachable")));
            invokes.clear();
            ask.run(); // other commands wait for the retry
            return Behaviors.same();
          }
          Behavior<Command> running = restored.apply(loaded.state());
          invokes.forEach(stash::stash);
          invokes.clear();
          return stash.unstashAll(running);
        })
        .onMessage(FindCalls.class, find -> {
          // not known yet which calls are here: none is reported missing, the gateway asks again
          find.replyTo().tell(new CallsNotHeld(List.of()));
          return Behaviors.same();
        })
        .onMessage(Invoke.class, invoke -> {
          if (invokes.size() >= settings.queueCapacity()) {
            invoke.replyTo().tell(InvocationReply.rejected(InvocationReply.Status.OVERLOADED,
                "function " + name + " is still loading; retry later"));
          } else {
            invokes.add(invoke);
          }
          return Behaviors.same();
        })
        .onAnyMessage(msg -> {
          if (!stash.isFull()) {
            stash.stash(msg);
          }
          return Behaviors.same();
        })
        .build();
  }
}
