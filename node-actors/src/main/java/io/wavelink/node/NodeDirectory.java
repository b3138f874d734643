package io.wavelink.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A member-local, in-memory view of the cluster's worker nodes, for decisions that must not wait:
 * emergency spawns, placement, and noticing that a node has gone. One runs per member. It follows
 * the Receptionist's listing of Wavelets (reachable and unreachable) and polls each reachable one
 * for its {@link Wavelet.NodeStatus} every {@code refresh}; readers take the latest {@link View}
 * from {@link #view()} without a message round trip.
 *
 * <p>Each node has a state: {@link #UP}; {@link #LEAVING} (its Wavelet drains for a graceful leave,
 * or its member is Leaving/Exiting); {@link #UNREACHABLE} (the failure detector suspects its
 * member); {@link #DOWN} (its Wavelet is gone from the listing; remembered for {@code
 * forgetDownAfter} so that operators see it). Only UP nodes take new instances.
 *
 * <p>The view is eventually consistent: a Wavelet that is full refuses a spawn, and the caller tries
 * another node.
 */
public final class NodeDirectory {

  public static final String UP = "up";
  public static final String LEAVING = "leaving";
  public static final String UNREACHABLE = "unreachable";
  public static final String DOWN = "down";

  /** A worker node as last seen. {@code status} is null until its Wavelet first answered. */
  public record Node(
      String nodeId, ActorRef<Wavelet.Command> wavelet, Wavelet.NodeStatus status, String state) {

    public int freeMb() {
      return status == null || !UP.equals(state) ? 0 : status.capacityMb() - status.allocatedMb();
    }

    /**
     * Room a request that may reclaim could get here: free memory plus idle instances that could be
     * asked back, less what requests already wait for. 0 when the node is not up.
     */
    public int roomMb() {
      return status == null || !UP.equals(state)
          ? 0
          : freeMb() + status.reclaimableMb() - status.waitingMb();
    }

    /** The node's whole capacity, 0 while unknown or not up. */
    public int capacityMb() {
      return status == null || !UP.equals(state) ? 0 : status.capacityMb();
    }

    public boolean up() {
      return UP.equals(state);
    }
  }

  /**
   * An immutable snapshot of the nodes. {@code initialized} is false until the first listing
   * arrived: before that, absence from the view means nothing.
   */
  public record View(List<Node> nodes, boolean initialized) {
    public static final View EMPTY = new View(List.of(), false);

    /** The node with this id, or null if the view does not know it. */
    public Node node(String nodeId) {
      for (Node n : nodes) {
        if (n.nodeId().equals(nodeId)) {
          return n;
        }
      }
      return null;
    }
  }

  private final AtomicReference<View> view = new AtomicReference<>(View.EMPTY);

  public View view() {
    return view.get();
  }

  private sealed interface Msg {}

  private record Listed(Set<ActorRef<Wavelet.Command>> reachable, Set<ActorRef<Wavelet.Command>> all)
      implements Msg, NoSerializationVerificationNeeded {}

  private record Status(ActorRef<Wavelet.Command> wavelet, Wavelet.NodeStatus status)
      implements Msg, NoSerializationVerificationNeeded {}

  private enum Refresh implements Msg, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private static final class Entry {
    Wavelet.NodeStatus status;
    boolean listed = true;
    boolean reachable = true;
    long goneSinceNanos;
  }

  /** The actor that keeps this directory's view current. */
  public Behavior<Void> behavior(Duration refresh, Duration forgetDownAfter) {
    return Behaviors.<Msg>setup(
            ctx -> {
              ActorRef<Receptionist.Listing> listingAdapter =
                  ctx.messageAdapter(
                      Receptionist.Listing.class,
                      l ->
                          new Listed(
                              l.getServiceInstances(Wavelet.SERVICE_KEY),
                              l.getAllServiceInstances(Wavelet.SERVICE_KEY)));
              ctx.getSystem()
                  .receptionist()
                  .tell(Receptionist.subscribe(Wavelet.SERVICE_KEY, listingAdapter));
              Map<ActorRef<Wavelet.Command>, Entry> known = new HashMap<>();
              boolean[] initialized = {false};
              return Behaviors.withTimers(
                  timers -> {
                    timers.startTimerWithFixedDelay(Refresh.INSTANCE, refresh);
                    return Behaviors.receive(Msg.class)
                        .onMessage(
                            Listed.class,
                            l -> {
                              initialized[0] = true;
                              long now = System.nanoTime();
                              for (Map.Entry<ActorRef<Wavelet.Command>, Entry> e : known.entrySet()) {
                                if (!l.all().contains(e.getKey()) && e.getValue().listed) {
                                  e.getValue().listed = false;
                                  e.getValue().goneSinceNanos = now;
                                }
                              }
                              for (ActorRef<Wavelet.Command> w : l.all()) {
                                Entry entry = known.computeIfAbsent(w, k -> new Entry());
                                entry.listed = true;
                                entry.reachable = l.reachable().contains(w);
                                if (entry.reachable) {
                                  poll(ctx, w);
                                }
                              }
                              publish(ctx, known, initialized[0]);
                              return Behaviors.same();
                            })
                        .onMessage(
                            Status.class,
                            s -> {
                              Entry entry = known.get(s.wavelet());
                              if (s.status() != null && entry != null && entry.listed) {
                                entry.status = s.status();
                                publish(ctx, known, initialized[0]);
                              }
                              return Behaviors.same();
                            })
                        .onMessageEquals(
                            Refresh.INSTANCE,
                            () -> {
                              long now = System.nanoTime();
                              known
                                  .entrySet()
                                  .removeIf(
                                      e ->
                                          !e.getValue().listed
                                              && now - e.getValue().goneSinceNanos > forgetDownAfter.toNanos());
                              known.forEach(
                                  (w, e) -> {
                                    if (e.listed && e.reachable) {
                                      poll(ctx, w);
                                    }
                                  });
                              publish(ctx, known, initialized[0]);
                              return Behaviors.same();
                            })
                        .build();
                  });
            })
        .unsafeCast();
  }

  private static void poll(ActorContext<Msg> ctx, ActorRef<Wavelet.Command> w) {
    ctx.ask(
        Wavelet.NodeStatus.class,
        w,
        Duration.ofSeconds(3),
        Wavelet.GetStatus::new,
        (status, error) -> new Status(w, status));
  }

  private void publish(
      ActorContext<Msg> ctx, Map<ActorRef<Wavelet.Command>, Entry> known, boolean initialized) {
    Cluster cluster = Cluster.get(ctx.getSystem());
    org.apache.pekko.actor.Address self = cluster.selfMember().address();
    Map<org.apache.pekko.actor.Address, MemberStatus> members = new HashMap<>();
    for (Member m : cluster.state().getMembers()) {
      members.put(m.address(), m.status());
    }
    List<Node> nodes = new ArrayList<>(known.size());
    known.forEach(
        (w, e) -> {
          org.apache.pekko.actor.Address address = w.path().address();
          MemberStatus member = members.get(address.hasLocalScope() ? self : address);
          String state;
          if (!e.listed) {
            state = DOWN;
          } else if (!e.reachable) {
            state = UNREACHABLE;
          } else if ((e.status != null && e.status.draining())
              || MemberStatus.leaving().equals(member)
              || MemberStatus.exiting().equals(member)) {
            state = LEAVING;
          } else {
            state = UP;
          }
          nodes.add(new Node(Wavelet.nodeIdOf(w), w, e.status, state));
        });
    nodes.sort((a, b) -> a.nodeId().compareTo(b.nodeId()));
    view.set(new View(List.copyOf(nodes), initialized));
  }
}
