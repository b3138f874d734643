package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class InstanceExitsTest {

  private final InstancePool pool = new InstancePool();
  private final FakeOutbox out = new FakeOutbox();
  private final Counters counters = new Counters();
  private final CostMeter cost = new CostMeter();
  private final Dispatcher dispatcher =
      new Dispatcher(pool, new InvocationQueue(10, 1000), counters, new FunctionMetrics("test"), out);
  private final RegularTrack regular =
      new RegularTrack(pool, cost, out, io.wavelink.node.Placement.byName("most-free"), new java.util.SplittableRandom(1), 100);
  private final EmergencyTrack emergency =
      new EmergencyTrack(3, 1000, 0, 1000, pool, cost, counters, new FunctionMetrics("test"), out, new java.util.SplittableRandom(1));
  private int changed;
  private int gone;
  private final InstanceExits exits =
      new InstanceExits("f", pool, dispatcher, cost, regular, emergency, out, () -> changed++, () -> gone++);
  private final FakeRef<Wavelet.Command> wavelet = new FakeRef<>("wavelet");

  private Instance placed(String id, InstanceKind kind) {
    return placed(id, kind, "node-1");
  }

  private Instance placed(String id, InstanceKind kind, String node) {
    Instance i = instance(id, kind, 2, Instance.Phase.READY, 0);
    i.placeOn(node, wavelet);
    pool.add(i);
    return i;
  }

  @Test
  void anIdleInstanceRetiredStopsAtOnceABusyOneWhenItsCallsHaveEnded() {
    Instance idle = placed("e-idle", InstanceKind.EMERGENCY);
    exits.retire(idle);
    assertNull(pool.get("e-idle"), "dropped from the view");
    assertEquals(List.of(new Wavelet.StopInstance("e-idle")), out.take(Wavelet.StopInstance.class));
    assertEquals(1, gone);

    Instance busy = placed("e-busy", InstanceKind.EMERGENCY);
    dispatcher.accept("f", new byte[1], new FakeRef<>("caller"), 1000);
    long call = out.take(Wavelet.Invoke.class).get(0).invocationId();
    exits.retire(busy);
    assertSame(busy, pool.get("e-busy"), "drains: its call runs on");
    assertEquals(Instance.Phase.DRAINING, busy.phase());
    assertTrue(out.take(Wavelet.StopInstance.class).isEmpty());
    exits.retire(busy);
    dispatcher.finished("e-busy", call, 0);
    exits.stop(busy);
    assertNull(pool.get("e-busy"));
    assertEquals(1, out.take(Wavelet.StopInstance.class).size());
    assertTrue(changed >= 3);
  }

  @Test
  void aStoppedRegularInstanceLeavesTheJournalAndItsNode() {
    Instance r = placed("r1", InstanceKind.REGULAR);
    r.journaled(true);
    exits.stop(r);
    assertEquals(List.of(new Outbox.Remove("r1")), out.journal);
    assertEquals(List.of(new NodeEntity.Release("r1")), out.take(NodeEntity.Release.class));
  }

  @Test
  void aLostInstancesCallersAreToldAtOnce() {
    Instance r = placed("r1", InstanceKind.REGULAR);
    FakeRef<InvocationReply> a = new FakeRef<>("a");
    FakeRef<InvocationReply> b = new FakeRef<>("b");
    dispatcher.accept("f", new byte[1], a, 1000);
    dispatcher.accept("f", new byte[1], b, 1000);
    out.sent.clear();
    assertEquals(2, exits.lose(r));
    List<FakeOutbox.Sent> answers = out.sent.stream().filter(s -> s.message() instanceof InvocationReply).toList();
    assertEquals(2, answers.size());
    answers.forEach(s -> assertEquals(InvocationReply.Status.INSTANCE_LOST, ((InvocationReply) s.message()).status()));
    assertNull(pool.get("r1"));

    Instance e = placed("e1", InstanceKind.EMERGENCY);
    out.sent.clear();
    assertEquals(0, exits.lose(e));
    assertEquals(List.of(new Wavelet.StopInstance("e1")), out.take(Wavelet.StopInstance.class),
        "stopped if its node comes back (else its lease lapses)");
    assertNull(pool.get("e1"));
  }

  @Test
  void checkingNodesRetiresWhatIsOnALeavingNodeAndLosesWhatIsOnAGoneOne() {
    Instance gone = placed("e-gone", InstanceKind.EMERGENCY, "node-3");
    FakeRef<InvocationReply> caller = new FakeRef<>("caller");
    dispatcher.accept("f", new byte[1], caller, 1000); // runs on the only instance so far
    Instance keep = placed("r-keep", InstanceKind.REGULAR, "node-1");
    Instance leaving = placed("r-leaving", InstanceKind.REGULAR, "node-2");
    out.sent.clear();
    NodeDirectory.View view = new NodeDirectory.View(List.of(
        new NodeDirectory.Node("node-1", null, null, NodeDirectory.UP),
        new NodeDirectory.Node("node-2", null, null, NodeDirectory.LEAVING),
        new NodeDirectory.Node("node-3", null, null, NodeDirectory.DOWN)), true);

    assertTrue(exits.checkNodes(view, 0, 1000, LoggerFactory.getLogger(InstanceExitsTest.class)));
    assertSame(keep, pool.get("r-keep"));
    assertNull(pool.get("r-leaving"), "idle on a leaving node: retired and stopped at once");
    assertNull(pool.get("e-gone"), "on a node that is down: lost");
    assertEquals(InvocationReply.Status.INSTANCE_LOST,
        out.sent.stream().map(FakeOutbox.Sent::message).filter(m -> m instanceof InvocationReply)
            .map(m -> ((InvocationReply) m).status()).findFirst().orElseThrow(),
        "the lost instance's caller is told at once");

    assertFalse(exits.checkNodes(view, 0, 1000, LoggerFactory.getLogger(InstanceExitsTest.class)),
        "nothing left to replace");
  }
}
