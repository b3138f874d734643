package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import io.wavelink.persistence.ModuleStore;
import io.wavelink.persistence.testkit.TestCassandra;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Wavelet that fetches its modules by hash from the module store in a real Cassandra: instances
 * of two functions with the same code make one fetch, and StartInstance carries only the hash
 * (messages are serialized in this test).
 */
class WaveletModulesTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(ConfigFactory.parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));
  private static final WasmSandboxRuntime runtime = new WasmSandboxRuntime();
  private static final ExecutorService sandboxPool = Executors.newFixedThreadPool(4);
  private static final ExecutorService preparePool = Executors.newFixedThreadPool(1);
  private static CqlSession session;
  private static ModuleStore store;
  private static final AtomicInteger fetches = new AtomicInteger();

  @BeforeAll
  static void start() {
    session = TestCassandra.newSession();
    store = ModuleStore.using(session, new ModuleStore.Settings(1 << 20, 4, Duration.ofSeconds(10)), preparePool);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    sandboxPool.shutdownNow();
    preparePool.shutdownNow();
    runtime.close();
    if (session != null) {
      session.close();
    }
  }

  private static ActorRef<Wavelet.Command> wavelet(String node) {
    NodeSettings settings =
        new NodeSettings(node, 1024, 4, 1, 6 * 1024 * 1024, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(5));
    ModuleSource counting =
        sha256 -> {
          fetches.incrementAndGet();
          CompletionStage<byte[]> fetched = store.fetch(sha256);
          return fetched;
        };
    return testKit.spawn(
        Wavelet.create(settings, runtime, sandboxPool, preparePool, null, null, counting), Wavelet.actorName(node));
  }

  private static Wavelet.StartInstance start(
      String id, String function, InstanceKind kind, ModuleRef module, ActorRef<Wavelet.InstanceEvent> owner) {
    return new Wavelet.StartInstance(id, function, 1, kind, module, 64, 1, Map.of(), owner);
  }

  private static String invoke(ActorRef<Wavelet.Command> w, String instance, TestProbe<Wavelet.InstanceEvent> owner) {
    TestProbe<InvocationReply> caller = testKit.createTestProbe();
    w.tell(new Wavelet.Invoke(instance, 1L, instance.getBytes(StandardCharsets.UTF_8), 5000, true, caller.getRef(), owner.getRef()));
    InvocationReply reply = caller.receiveMessage(Duration.ofSeconds(20));
    assertEquals(InvocationReply.Status.OK, reply.status(), reply.message());
    return new String(reply.output(), StandardCharsets.UTF_8);
  }

  @Test
  void instancesOfTwoFunctionsWithTheSameCodeFetchItOnce() throws Exception {
    byte[] echo = ExampleFunctions.load("echo");
    String hash = ModuleStore.sha256(echo);
    store.store(hash, echo).toCompletableFuture().get(30, TimeUnit.SECONDS);
    ModuleRef module = ModuleRef.stored(hash, echo.length);
    ActorRef<Wavelet.Command> w = wavelet("m1");
    TestProbe<Wavelet.InstanceEvent> a = testKit.createTestProbe();
    TestProbe<Wavelet.InstanceEvent> b = testKit.createTestProbe();
    int before = fetches.get();

    w.tell(start("a-e-1", "a", InstanceKind.EMERGENCY, module, a.getRef()));
    w.tell(start("b-e-1", "b", InstanceKind.EMERGENCY, module, b.getRef()));
    w.tell(start("b-r-1", "b", InstanceKind.REGULAR, module, b.getRef()));
    a.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(30));
    b.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(30));
    b.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(30));
    assertEquals("a-e-1", invoke(w, "a-e-1", a));
    assertEquals("b-e-1", invoke(w, "b-e-1", b));
    assertEquals("b-r-1", invoke(w, "b-r-1", b));

    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    w.tell(new Wavelet.GetStatus(status.getRef()));
    Wavelet.NodeStatus s = status.receiveMessage();
    assertEquals(1, s.moduleFetches(), "one fetch for three instances of two functions");
    assertEquals(1, s.modules());
    assertEquals(1, fetches.get() - before);

    // every instance stopped, then a new one: the module is still on the node
    for (String id : new String[] {"a-e-1", "b-e-1", "b-r-1"}) {
      w.tell(new Wavelet.StopInstance(id));
    }
    TestProbe<Wavelet.InstanceEvent> again = testKit.createTestProbe();
    w.tell(start("a-e-2", "a", InstanceKind.EMERGENCY, module, again.getRef()));
    again.expectMessageClass(Wavelet.InstanceReady.class, Duration.ofSeconds(30));
    assertEquals(1, fetches.get() - before);
  }

  @Test
  void aModuleMissingFromTheStoreFailsTheStartWithAReason() {
    ActorRef<Wavelet.Command> w = wavelet("m2");
    TestProbe<Wavelet.InstanceEvent> owner = testKit.createTestProbe();
    String unknown = ModuleStore.sha256("never stored".getBytes(StandardCharsets.UTF_8));
    w.tell(start("x-e-1", "x", InstanceKind.EMERGENCY, ModuleRef.stored(unknown, 12), owner.getRef()));
    Wavelet.InstanceFailed failed = owner.expectMessageClass(Wavelet.InstanceFailed.class, Duration.ofSeconds(30));
    assertTrue(!failed.refused() && failed.reason().contains(unknown), failed.reason());
    TestProbe<Wavelet.NodeStatus> status = testKit.createTestProbe();
    w.tell(new Wavelet.GetStatus(status.getRef()));
    assertEquals(0, status.receiveMessage().allocatedMb(), "its memory is free again");
  }
}
