package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
    return new Wavelet.StartInstance(id, "echo", 1, kind, ExampleFunctions.load("echo"), memoryMb, 1, Map.of(), owner);
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
    owner.expectMessage(new Wavelet.InvocationFinished("echo-e-1", 7L));
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
    owner.expectMessage(new Wavelet.InvocationFinished("ghost", 8L));
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
