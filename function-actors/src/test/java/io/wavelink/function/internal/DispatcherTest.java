package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.Wavelet;
import java.util.List;
import org.junit.jupiter.api.Test;

class DispatcherTest {

  private final InstancePool pool = new InstancePool();
  private final FakeOutbox out = new FakeOutbox();
  private final Counters counters = new Counters();
  private final Dispatcher dispatcher =
      new Dispatcher(pool, new InvocationQueue(2, 1000), counters, new FunctionMetrics("test"), out);

  @Test
  void aFreeSlotTakesTheCallAtOnceOtherwiseItWaitsAndTheQueueIsBounded() {
    Instance r = instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    pool.add(r);
    assertEquals(Dispatcher.Accepted.RUNNING, dispatcher.accept("f", new byte[1], null, 1000));
    Wavelet.Invoke invoke = out.take(Wavelet.Invoke.class).get(0);
    assertEquals("r", invoke.instanceId());
    assertEquals(Dispatcher.Accepted.QUEUED, dispatcher.accept("f", new byte[1], null, 1000));
    assertEquals(Dispatcher.Accepted.QUEUED, dispatcher.accept("f", new byte[1], null, 1000));
    assertEquals(Dispatcher.Accepted.REFUSED, dispatcher.accept("f", new byte[1], null, 1000));
    assertEquals(InvocationReply.Status.OVERLOADED, out.take(InvocationReply.class).get(0).status());
    assertEquals(3, dispatcher.level());
    assertEquals(1, counters.rejected());
  }

  @Test
  void aFinishedCallFreesItsSlotForTheOldestQueuedOne() {
    Instance r = instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    pool.add(r);
    dispatcher.accept("f", new byte[] {1}, null, 1000);
    long first = out.take(Wavelet.Invoke.class).get(0).invocationId();
    dispatcher.accept("f", new byte[] {2}, null, 1000);
    out.nowMs = 77;
    assertSame(r, dispatcher.finished("r", first, 3L << 20));
    assertEquals(77, r.idleSinceMs());
    dispatcher.drain(null);
    Wavelet.Invoke next = out.take(Wavelet.Invoke.class).get(0);
    assertEquals(2, next.input()[0]);
    assertNull(dispatcher.finished("r", first, 0), "counted once");
    assertEquals(3, r.touchedMb(), "the most its calls touched");
  }

  @Test
  void aNewlyReadyInstanceTakesWaitingCallsAsColdStarts() {
    dispatcher.accept("f", new byte[1], null, 1000);
    Instance e = instance("e", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    pool.add(e);
    dispatcher.drain(e);
    Wavelet.Invoke invoke = out.take(Wavelet.Invoke.class).get(0);
    assertEquals(true, invoke.coldStart());
    assertEquals(1, counters.coldStarts(InstanceKind.EMERGENCY));
  }

  @Test
  void callsQueuedOrRunningAreHeldOthersAreNot() {
    Instance r = instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    pool.add(r);
    FakeRef<InvocationReply> running = new FakeRef<>("running");
    FakeRef<InvocationReply> queued = new FakeRef<>("queued");
    FakeRef<InvocationReply> finished = new FakeRef<>("finished");
    FakeRef<InvocationReply> never = new FakeRef<>("never-arrived");
    dispatcher.accept("f", new byte[1], finished, 1000);
    dispatcher.finished("r", out.take(Wavelet.Invoke.class).get(0).invocationId(), 0);
    dispatcher.accept("f", new byte[1], running, 1000);
    dispatcher.accept("f", new byte[1], queued, 1000);
    assertEquals(List.of(finished, never), dispatcher.notHeld(List.of(running, finished, queued, never)));
  }

  @Test
  void aCallNeverAnsweredPastItsDeadlineAndGraceFreesItsSlot() {
    Instance r = instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    pool.add(r);
    dispatcher.accept("f", new byte[1], new FakeRef<>("caller-1"), 0); // its deadline is now
    dispatcher.accept("f", new byte[1], null, 60_000);                 // waits for the slot
    out.sent.clear();
    assertEquals(0, dispatcher.giveUpUnanswered(60_000_000_000L, "f"), "still within the grace");
    assertEquals(1, dispatcher.giveUpUnanswered(-1, "f"), "past deadline and grace, the Invoke or its end was lost");
    InvocationReply timeout = out.take(InvocationReply.class).get(0);
    assertEquals(InvocationReply.Status.TIMEOUT, timeout.status());
    assertEquals(0, r.inFlight());
    dispatcher.drain(null);
    assertEquals(1, out.take(Wavelet.Invoke.class).size(), "the slot serves the waiting call");
  }

  @Test
  void aLostInstancesCallsAreHandedBack() {
    Instance r = instance("r", InstanceKind.REGULAR, 2, Instance.Phase.READY, 0);
    pool.add(r);
    dispatcher.accept("f", new byte[1], null, 1000);
    dispatcher.accept("f", new byte[1], null, 1000);
    out.sent.clear();
    InvocationReply lost = InvocationReply.rejected(InvocationReply.Status.INSTANCE_LOST, "lost");
    assertEquals(2, dispatcher.handBack(r, lost));
    assertEquals(List.of(lost, lost), out.take(InvocationReply.class));
    assertEquals(0, dispatcher.level());
  }

  @Test
  void queuedCallsAreTakenWhole() {
    Instance r = instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    pool.add(r);
    dispatcher.accept("f", new byte[] {1}, null, 1000); // runs
    dispatcher.accept("f", new byte[] {2}, null, 1000); // waits
    dispatcher.accept("f", new byte[] {3}, null, 1000); // waits
    out.sent.clear();
    List<InvocationQueue.Waiting> queued = dispatcher.takeQueued();
    assertEquals(List.of((byte) 2, (byte) 3), queued.stream().map(w -> w.input()[0]).toList(), "oldest first");
    assertEquals(1, dispatcher.level(), "the running call stays");
    assertTrue(out.sent.isEmpty(), "nobody answered: the calls go on to the next incarnation");
    assertTrue(dispatcher.takeQueued().isEmpty());
  }
}
