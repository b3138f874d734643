package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Wavelet alone, with the real WebAssembly runtime and the example modules. */
class WaveletTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(ConfigFactory.parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));
  private static final WasmSandboxRuntime runtime = new WasmSandboxRuntime();
  private static final ExecutorService sandboxPool = Executors.newFixedThreadPool(4);
  private static final ExecutorService preparePool = Executors.newFixedThreadPool(1);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    sandboxPool.shutdownNow();
    preparePool.shutdownNow();
    runtime.close();
  }

  private static ActorRef<Wavelet.Command> wavelet(String node, int capacityMb) {
    NodeSettings settings =
        new NodeSettings(node, capacityMb, 4, 1, 6 * 1024 * 1024, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(5));
    return testKit.spawn(Wavelet.create(settings, runtime, sandboxPool, preparePool, null), Wavelet.actorName(node));
  }

  private static Wavelet.StartInstance start(String id, InstanceKind kind, int memoryMb, ActorRef<Wavelet.InstanceEvent> owner) {
    return new Wavelet.StartInstance(id, "echo", 1, kind, ModuleRef.inline(ExampleFunctions.load("echo")), memoryMb, 1, Map.of(), owner);
  }

  /** A start of {@code function} (the busy example) that may reclaim and wait {@code waitMs} for room. */
  private static Wavelet.StartInstance startWaiting(
      String id, String function, InstanceKind kind, int memoryMb, ActorRef<Wavelet.InstanceEvent> owner, long waitMs) {
    return new Wavelet.StartInstance(
        id, function, 1, kind, ModuleRef.inline(ExampleFunctions.load("busy")), memoryMb, 1, Map.of(), owner, waitMs, true);
  }

  private static ActorRef<Wavelet.Command> wavelet(String node, int capacityMb, Duration reservationTtl) {
    return wavelet(node, capacityMb, reservationTtl, Duration.ofSeconds(10));
  }

  private static ActorRef<Wavelet.Command> wavelet(String node, int capacityMb, Duration reservationTtl, Duration lease) {
    NodeSettings settings =
        new NodeSettings(node, capacityMb, 4, 1, 6 * 1024 * 1024, Duration.ofSeconds(5), Duration.ofMillis(100),
            Duration.ofSeconds(5), reservationTtl, Duration.ofSeconds(2), lease);
    return testKit.spawn(Wavelet.create(settings, runtime, sandboxPool, preparePool, null), Wavelet.actorName(node));
  }

  private static int allocated(ActorRef<Wavelet.Command> w) {
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    w.tell(new Wavelet.GetStatus(status.getRef()));
    return status.receiveMessage().allocatedMb();
  }

  @Test
  void anIdleInstanceOfAnotherFunctionIsAskedBackForAStartThatWaits() {
    ActorRef<Wavelet.Command> w = wavelet("n5", 128);
    TestProbe<Wavelet.InstanceEvent> g = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    w.tell(startWaiting("g-e-1", "g", InstanceKind.EMERGENCY, 128, g.getRef(), 0));
    g.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));

    w.tell(startWaiting("f-e-1", "f", InstanceKind.EMERGENCY, 128, f.getRef(), 5000));
    Wavelet.Reclaim reclaim = g.expectMessageClass(Wavelet.Reclaim.class);
    assertEquals("g-e-1", reclaim.instanceId());
    f.expectNoMessage(Duration.ofMillis(100)); // no room until g gives it back
    w.tell(new Wavelet.StopInstance("g-e-1"));
    f.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    assertEquals(128, allocated(w));
  }

  @Test
  void anInstanceItsOwnerKeepsIsNotTakenAndAWaitingStartRunsOutOfTime() {
    ActorRef<Wavelet.Command> w = wavelet("n6", 128);
    TestProbe<Wavelet.InstanceEvent> g = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    w.tell(startWaiting("g-r-1", "g", InstanceKind.REGULAR, 128, g.getRef(), 0));
    g.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(startWaiting("f-e-1", "f", InstanceKind.EMERGENCY, 128, f.getRef(), 600));
    g.expectMessageClass(Wavelet.Reclaim.class);
    w.tell(new Wavelet.ReclaimDeclined("g-r-1")); // e.g. g is at its minScale
    Wavelet.InstanceFailed failed = f.expectMessageClass(Wavelet.InstanceFailed.class, Duration.ofSeconds(5));
    assertTrue(failed.refused());
    g.expectNoMessage(Duration.ofMillis(200)); // not asked again
    assertEquals(128, allocated(w));
  }

  @Test
  void aScaleUpAheadOfDemandRetiresAnIdleEmergencyInstance() {
    ActorRef<Wavelet.Command> w = wavelet("n10", 128);
    TestProbe<Wavelet.InstanceEvent> g = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    w.tell(startWaiting("g-e-1", "g", InstanceKind.EMERGENCY, 128, g.getRef(), 0));
    g.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(new Wavelet.Reserve("f-r-1", "f", InstanceKind.REGULAR, 128, 1, f.getRef(), 1000, false));
    assertEquals("g-e-1", g.expectMessageClass(Wavelet.Reclaim.class).instanceId());
    w.tell(new Wavelet.StopInstance("g-e-1"));
    f.expectMessageClass(Wavelet.Reserved.class);
  }

  @Test
  void aScaleUpAheadOfDemandIsRefusedRatherThanTakingMemory() {
    ActorRef<Wavelet.Command> w = wavelet("n7", 128);
    TestProbe<Wavelet.InstanceEvent> g = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    w.tell(startWaiting("g-r-1", "g", InstanceKind.REGULAR, 128, g.getRef(), 0));
    g.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(new Wavelet.Reserve("f-r-1", "f", InstanceKind.REGULAR, 128, 1, f.getRef(), 1000, false));
    assertTrue(f.expectMessageClass(Wavelet.InstanceFailed.class).refused());
    g.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aReservationHoldsMemoryUntilItsStartAndLapsesUnused() {
    ActorRef<Wavelet.Command> w = wavelet("n8", 1024, Duration.ofMillis(400));
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    w.tell(new Wavelet.Reserve("f-r-1", "f", InstanceKind.REGULAR, 64, 2, f.getRef(), 0, false));
    assertEquals("f-r-1", f.expectMessageClass(Wavelet.Reserved.class).instanceId());
    assertEquals(128, allocated(w));
    w.tell(startWaiting("f-r-1", "f", InstanceKind.REGULAR, 128, f.getRef(), 0));
    f.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    assertEquals(128, allocated(w), "the start used the reservation");

    w.tell(new Wavelet.Reserve("f-r-2", "f", InstanceKind.REGULAR, 64, 1, f.getRef(), 0, false));
    f.expectMessageClass(Wavelet.Reserved.class);
    assertEquals(192, allocated(w));
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    status.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(128, allocated(w), "the unused reservation lapsed");
      return null;
    });
  }

  @Test
  void anEmergencyInstanceWhoseLeaseIsNotRenewedStopsAndARenewedOneStays() {
    ActorRef<Wavelet.Command> w = wavelet("n11", 1024, Duration.ofSeconds(30), Duration.ofMillis(800));
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    w.tell(startWaiting("kept", "f", InstanceKind.EMERGENCY, 64, owner.getRef(), 0));
    w.tell(startWaiting("orphan", "g", InstanceKind.EMERGENCY, 64, owner.getRef(), 0));
    owner.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    owner.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    // the owner of "kept" renews its lease (as a FunctionEntity does every tick); nobody renews "orphan"
    status.awaitAssert(Duration.ofSeconds(10), () -> {
      w.tell(new Wavelet.RenewLeases(List.of("kept")));
      w.tell(new Wavelet.GetStatus(status.getRef()));
      assertEquals(List.of("kept"), status.receiveMessage().instances().stream().map(Wavelet.InstanceInfo::instanceId).toList());
      return null;
    });
    assertEquals(64, allocated(w), "the orphan's memory is free again");
  }

  @Test
  void anInstanceFinishingItsLastCallIsAskedBackForAWaitingRequest() {
    ActorRef<Wavelet.Command> w = wavelet("n9", 128);
    TestProbe<Wavelet.InstanceEvent> g = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> f = testKit.createTestProbe();
    TestProbe<InvocationReply> caller = testKit.createTestProbe();
    w.tell(startWaiting("g-r-1", "g", InstanceKind.REGULAR, 128, g.getRef(), 0));
    g.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(new Wavelet.Invoke("g-r-1", 1L, "300".getBytes(StandardCharsets.UTF_8), 5000, false, caller.getRef(), g.getRef()));
    w.tell(startWaiting("f-e-1", "f", InstanceKind.EMERGENCY, 128, f.getRef(), 10_000));
    // busy: nothing to ask back yet; once the call ends, g's instance is
    assertEquals(InvocationReply.Status.OK, caller.receiveMessage(Duration.ofSeconds(10)).status());
    assertEquals(1L, g.expectMessageClass(Wavelet.InvocationFinished.class).invocationId());
    assertEquals("g-r-1", g.expectMessageClass(Wavelet.Reclaim.class).instanceId());
    w.tell(new Wavelet.StopInstance("g-r-1"));
    f.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
  }

  @Test
  void startsAnInstanceAndRunsInvocationsOnIt() {
    ActorRef<Wavelet.Command> w = wavelet("n1", 1024);
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    TestProbe<InvocationReply> caller = testKit.createTestProbe();
    w.tell(start("echo-e-1", InstanceKind.EMERGENCY, 64, owner.getRef()));
    Wavelet.InstanceReady ready = owner.expectMessageClass(Wavelet.InstanceReady.class);
    assertEquals("n1", ready.nodeId());
    assertEquals("n1", Wavelet.nodeIdOf(ready.wavelet()));

    w.tell(new Wavelet.Invoke("echo-e-1", 7L, "hi".getBytes(StandardCharsets.UTF_8), 1000, true, caller.getRef(), owner.getRef()));
    InvocationReply reply = caller.receiveMessage(Duration.ofSeconds(10));
    assertEquals(InvocationReply.Status.OK, reply.status());
    assertEquals("hi", new String(reply.output(), StandardCharsets.UTF_8));
    assertEquals(InstanceKind.EMERGENCY, reply.kind());
    assertTrue(reply.coldStart());
    Wavelet.InvocationFinished finished = owner.expectMessageClass(Wavelet.InvocationFinished.class);
    assertEquals(7L, finished.invocationId());
    assertEquals(64 * 1024, finished.peakMemoryBytes(), "echo touches its one page of linear memory");
  }

  @Test
  void aFullNodeRefusesAndMemoryIsFreedOnStop() {
    ActorRef<Wavelet.Command> w = wavelet("n2", 100);
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    w.tell(start("a", InstanceKind.REGULAR, 64, owner.getRef()));
    owner.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(start("b", InstanceKind.EMERGENCY, 64, owner.getRef()));
    Wavelet.InstanceFailed refused = owner.expectMessageClass(Wavelet.InstanceFailed.class);
    assertTrue(refused.refused());

    w.tell(new Wavelet.StopInstance("a"));
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    status.awaitAssert(
        () -> {
          w.tell(new Wavelet.GetStatus(status.getRef()));
          assertEquals(0, status.receiveMessage().allocatedMb());
          return null;
        });
    w.tell(start("b", InstanceKind.EMERGENCY, 64, owner.getRef()));
    owner.expectMessageClass(Wavelet.InstanceReady.class);
  }

  @Test
  void anInvocationForAnUnknownInstanceIsAnsweredUnavailable() {
    ActorRef<Wavelet.Command> w = wavelet("n3", 1024);
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    TestProbe<InvocationReply> caller = testKit.createTestProbe();
    w.tell(new Wavelet.Invoke("ghost", 8L, new byte[0], 1000, false, caller.getRef(), owner.getRef()));
    assertEquals(InvocationReply.Status.UNAVAILABLE, caller.receiveMessage().status());
    Wavelet.InvocationFinished ended = owner.expectMessageClass(Wavelet.InvocationFinished.class);
    assertEquals("ghost", ended.instanceId());
    assertEquals(8L, ended.invocationId());
    assertEquals("UNAVAILABLE", ended.status(), "the invocation log shows why");
  }

  @Test
  void reconcileStopsRegularInstancesNoLongerAssigned() {
    ActorRef<Wavelet.Command> w = wavelet("n4", 1024);
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    w.tell(start("keep", InstanceKind.REGULAR, 64, owner.getRef()));
    w.tell(start("orphan", InstanceKind.REGULAR, 64, owner.getRef()));
    owner.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    owner.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(10));
    w.tell(new Wavelet.Reconcile(Set.of("keep")));
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    status.awaitAssert(
        () -> {
          w.tell(new Wavelet.GetStatus(status.getRef()));
          var instances = status.receiveMessage().instances();
          assertEquals(1, instances.size());
          assertEquals("keep", instances.get(0).instanceId());
          return null;
        });
  }
}
