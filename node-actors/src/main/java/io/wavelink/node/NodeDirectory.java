package io.wavelink.node;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A member-local, in-memory view of the cluster's worker nodes, for decisions that must not wait:
 * emergency spawns and placement. One runs per member that hosts function entities. It follows the
 * Receptionist's listing of Wavelets and polls each for its {@link Wavelet.NodeStatus} every {@code
 * refresh}; readers take the latest {@link View} from {@link #view()} without a message round trip.
 *
 * <p>The view is eventually consistent: a Wavelet that is full refuses a spawn, and the caller tries
 * another node.
 */
public final class NodeDirectory {

  /** A worker node as last seen. {@code status} is null until its Wavelet first answered. */
  public record Node(String nodeId, ActorRef<Wavelet.Command> wavelet, Wavelet.NodeStatus status) {
    public int freeMb() {
      return status == null ? 0 : status.capacityMb() - status.allocatedMb();
    }
  }

  /** An immutable snapshot of the live nodes. */
  public record View(List<Node> nodes) {
    public static final View EMPTY = new View(List.of());
  }

  private final AtomicReference<View> view = new AtomicReference<>(View.EMPTY);

  public View view() {
    return view.get();
  }

  private sealed interface Msg {}

  private record Listed(Set<ActorRef<Wavelet.Command>> wavelets) implements Msg, NoSerializationVerificationNeeded {}

  private record Status(ActorRef<Wavelet.Command> wavelet, Wavelet.NodeStatus status)
      implements Msg, NoSerializationVerificationNeeded {}

  private enum Refresh implements Msg, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The actor that keeps this directory's view current. */
  public Behavior<Void> behavior(Duration refresh) {
    return Behaviors.<Msg>setup(
            ctx -> {
              ActorRef<Receptionist.Listing> listingAdapter =
                  ctx.messageAdapter(
                      Receptionist.Listing.class,
                      l -> new Listed(l.getServiceInstances(Wavelet.SERVICE_KEY)));
              ctx.getSystem()
                  .receptionist()
                  .tell(Receptionist.subscribe(Wavelet.SERVICE_KEY, listingAdapter));
              Map<ActorRef<Wavelet.Command>, Wavelet.NodeStatus> known = new HashMap<>();
              return Behaviors.withTimers(
                  timers -> {
                    timers.startTimerWithFixedDelay(Refresh.INSTANCE, refresh);
                    return Behaviors.receive(Msg.class)
                        .onMessage(
                            Listed.class,
                            l -> {
                              known.keySet().retainAll(l.wavelets());
                              for (ActorRef<Wavelet.Command> w : l.wavelets()) {
                                known.putIfAbsent(w, null);
                                poll(ctx, w);
                              }
                              publish(known);
                              return Behaviors.same();
                            })
                        .onMessage(
                            Status.class,
                            s -> {
                              if (s.status() != null && known.containsKey(s.wavelet())) {
                                known.put(s.wavelet(), s.status());
                                publish(known);
                              }
                              return Behaviors.same();
                            })
                        .onMessageEquals(
                            Refresh.INSTANCE,
                            () -> {
                              known.keySet().forEach(w -> poll(ctx, w));
                              return Behaviors.same();
                            })
                        .build();
                  });
            })
        .unsafeCast();
  }

  private static void poll(
      org.apache.pekko.actor.typed.javadsl.ActorContext<Msg> ctx, ActorRef<Wavelet.Command> w) {
    ctx.ask(
        Wavelet.NodeStatus.class,
        w,
        Duration.ofSeconds(3),
        Wavelet.GetStatus::new,
        (status, error) -> new Status(w, status));
  }

  private void publish(Map<ActorRef<Wavelet.Command>, Wavelet.NodeStatus> known) {
    List<Node> nodes = new ArrayList<>(known.size());
    known.forEach((w, s) -> nodes.add(new Node(Wavelet.nodeIdOf(w), w, s)));
    nodes.sort((a, b) -> a.nodeId().compareTo(b.nodeId()));
    view.set(new View(List.copyOf(nodes)));
  }
}
