package io.wavelink.function.internal;

import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** Records what the plain classes send; a settable clock and node view. Single-threaded. */
final class FakeOutbox implements Outbox {

  record Sent(Object to, Object message) {}

  long nowMs;
  NodeDirectory.View view = NodeDirectory.View.EMPTY;
  final List<Sent> sent = new ArrayList<>();
  final List<JournalWrite> journal = new ArrayList<>();
  final List<String> placeAfter = new ArrayList<>();
  int journalReads;

  @Override
  public long nowMs() {
    return nowMs;
  }

  @Override
  public NodeDirectory.View nodes() {
    return view;
  }

  @Override
  public ActorRef<Wavelet.InstanceEvent> owner() {
    return null;
  }

  @Override
  public void toWavelet(ActorRef<Wavelet.Command> wavelet, Wavelet.Command command) {
    sent.add(new Sent(wavelet, command));
  }

  @Override
  public void toNode(String nodeId, NodeEntity.Command command) {
    sent.add(new Sent(nodeId, command));
  }

  @Override
  public void answer(ActorRef<InvocationReply> caller, InvocationReply reply) {
    sent.add(new Sent(caller, reply));
  }

  @Override
  public void journal(JournalWrite write) {
    journal.add(write);
  }

  @Override
  public void readJournal() {
    journalReads++;
  }

  @Override
  public void placeAfter(String instanceId, long delayMs) {
    placeAfter.add(instanceId + "@" + delayMs);
  }

  /** The messages of type {@code type} sent so far, oldest first; forgets all that was sent. */
  <T> List<T> take(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Sent s : sent) {
      if (type.isInstance(s.message())) {
        out.add(type.cast(s.message()));
      }
    }
    sent.clear();
    return out;
  }

  /** A node that is up, with this much capacity, allocation and idle (reclaimable) memory. */
  static NodeDirectory.Node node(String id, int capacityMb, int allocatedMb, int reclaimableMb) {
    return new NodeDirectory.Node(
        id, new FakeRef<>("wavelet-" + id),
        new Wavelet.NodeStatus(id, "m", capacityMb, allocatedMb, 0, List.of(), false, reclaimableMb, 0, 0, 0),
        NodeDirectory.UP);
  }

  void nodes(NodeDirectory.Node... nodes) {
    view = new NodeDirectory.View(List.of(nodes), true);
  }
}
