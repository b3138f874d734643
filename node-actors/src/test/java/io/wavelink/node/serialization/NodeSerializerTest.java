package io.wavelink.node.serialization;

import static io.wavelink.persistence.testkit.DeepEquals.assertDeepEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.Blobs;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.ModuleRef;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every bound node-actors message survives a round trip through Pekko's serialization. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeSerializerTest {

  static final Config CONFIG =
      ConfigFactory.parseString(
          """
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical.hostname = 127.0.0.1
          pekko.remote.artery.canonical.port = 0
          pekko.actor.allow-java-serialization = off
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(CONFIG).build();

  private Serialization serialization() {
    return SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  /** Serializes with the serializer Pekko picks for {@code message}, which must be ours. */
  private Object roundTrip(Object message) throws NotSerializableException {
    Serialization serialization = serialization();
    Serializer serializer = serialization.findSerializerFor(message);
    assertInstanceOf(NodeSerializer.class, serializer, message.getClass().getName());
    assertEquals(NodeSerializer.IDENTIFIER, serializer.identifier());
    String manifest = Serializers.manifestFor(serializer, message);
    byte[] bytes = serializer.toBinary(message);
    Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
    assertNotSame(message, back);
    assertDeepEquals(message, back);
    return back;
  }

  /** For messages without {@code byte[]} fields, where the records' own equality applies. */
  private void assertRoundTrip(Object message) throws NotSerializableException {
    assertEquals(message, roundTrip(message));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Wavelet.StartInstance start(InstanceKind kind) {
    ActorRef<Wavelet.InstanceEvent> owner = testKit.<Wavelet.InstanceEvent>createTestProbe().ref();
    Map<String, String> env = new HashMap<>();
    env.put("GREETING", "hello");
    env.put("EMPTY", "");
    return new Wavelet.StartInstance(
        "echo-r-1a2b3c4d", "echo", 3, kind, ModuleRef.stored(HASH, 4_321_000), 128, 4, env, owner);
  }

  // ---------------------------------------------------------------- Wavelet

  @Test
  void startInstance() throws Exception {
    roundTrip(start(InstanceKind.REGULAR));
    roundTrip(start(InstanceKind.EMERGENCY));
    ActorRef<Wavelet.InstanceEvent> owner = testKit.<Wavelet.InstanceEvent>createTestProbe().ref();
    roundTrip(new Wavelet.StartInstance("i", "f", 0, InstanceKind.EMERGENCY, ModuleRef.NONE, 1, 1, Map.of(), owner));
    roundTrip(
        new Wavelet.StartInstance(
            "i", "f", 2, InstanceKind.REGULAR, ModuleRef.inline(new byte[] {0, 97, 115, 109, 1, 0, 0, 0, -1}), 64, 1,
            Map.of(), owner));
  }

  /** The module's SHA-256 as a StartInstance carries it (the module store's key). */
  static final String HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  @Test
  void startInstanceCarriesTheHashNotTheBytes() throws Exception {
    Wavelet.StartInstance start = start(InstanceKind.EMERGENCY);
    Serializer serializer = serialization().findSerializerFor(start);
    byte[] bytes = serializer.toBinary(start);
    assertTrue(bytes.length < 1000, "a 4 MB module travels as its hash: " + bytes.length + " bytes");
    var proto = io.wavelink.node.serialization.proto.NodeProtos.StartInstance.parseFrom(bytes);
    assertEquals(HASH, proto.getCodeSha256());
    assertEquals(4_321_000, proto.getCodeSize());
    assertTrue(proto.getCode().isEmpty());
  }

  /**
   * A StartInstance from a member older than the module store: no hash, the module in field 5 (the
   * wire format of those members, written here with the generated builder as they did).
   */
  @Test
  void anOldStartInstanceWithItsCodeStillStartsFromThatCode() throws Exception {
    var probe = testKit.<Wavelet.InstanceEvent>createTestProbe();
    byte[] code = {0, 97, 115, 109, 1, 0, 0, 0};
    byte[] old =
        io.wavelink.node.serialization.proto.NodeProtos.StartInstance.newBuilder()
            .setInstanceId("echo-e-1")
            .setFunction("echo")
            .setVersion(2)
            .setKind(io.wavelink.node.serialization.proto.NodeProtos.InstanceKind.INSTANCE_KIND_EMERGENCY)
            .setCode(com.google.protobuf.ByteString.copyFrom(code))
            .setMemoryMb(64)
            .setConcurrency(1)
            .setOwner(org.apache.pekko.actor.typed.ActorRefResolver.get(testKit.system()).toSerializationFormat(probe.ref()))
            .build()
            .toByteArray();
    Wavelet.StartInstance back =
        (Wavelet.StartInstance) serialization().deserialize(old, NodeSerializer.IDENTIFIER, "WS").get();
    assertFalse(back.module().isStored());
    assertDeepEquals(ModuleRef.inline(code), back.module());
    assertEquals("echo", back.function());
    assertEquals(64, back.memoryMb());
  }

  @Test
  void nodeStatusCarriesItsModuleFigures() throws Exception {
    assertRoundTrip(new Wavelet.NodeStatus("n", "m", 1024, 128, 0, List.of(), false, 0, 0, 0, 0, 3, 7L));
  }

  @Test
  void startInstanceKeepsItsOwnerReachable() throws Exception {
    var probe = testKit.<Wavelet.InstanceEvent>createTestProbe();
    Wavelet.StartInstance start =
        new Wavelet.StartInstance("i", "f", 1, InstanceKind.REGULAR, ModuleRef.inline(bytes("m")), 64, 1, Map.of(), probe.ref());
    Wavelet.StartInstance back = (Wavelet.StartInstance) roundTrip(start);
    back.owner().tell(new Wavelet.InvocationFinished("i", 3L));
    probe.expectMessage(new Wavelet.InvocationFinished("i", 3L));
  }

  @Test
  void stopInstance() throws Exception {
    assertRoundTrip(new Wavelet.StopInstance("echo-e-99"));
  }

  @Test
  void invoke() throws Exception {
    ActorRef<InvocationReply> replyTo = testKit.<InvocationReply>createTestProbe().ref();
    ActorRef<Wavelet.InstanceEvent> owner = testKit.<Wavelet.InstanceEvent>createTestProbe().ref();
    roundTrip(new Wavelet.Invoke("echo-r-1", 42L, bytes("{\"n\":1}"), 10_000, true, replyTo, owner));
    roundTrip(new Wavelet.Invoke("echo-r-1", 0L, new byte[0], 1, false, replyTo, owner));
    Wavelet.Invoke withId = new Wavelet.Invoke("echo-r-1", 7L, new byte[0], 1, false, replyTo, owner, null, "inv_abc");
    assertEquals("inv_abc", ((Wavelet.Invoke) roundTrip(withId)).requestId());
  }

  @Test
  void getStatus() throws Exception {
    assertRoundTrip(new Wavelet.GetStatus(testKit.<Wavelet.NodeStatus>createTestProbe().ref()));
  }

  @Test
  void reconcile() throws Exception {
    assertRoundTrip(new Wavelet.Reconcile(Set.of("a-r-1", "b-r-2", "c-r-3")));
    assertRoundTrip(new Wavelet.Reconcile(Set.of()));
    // what NodeEntity sends: the key set of its placements
    Map<String, NodeEntity.Placement> placements =
        Map.of("x-r-1", new NodeEntity.Placement("x-r-1", "x", 64));
    assertRoundTrip(new Wavelet.Reconcile(placements.keySet()));
  }

  @Test
  void instanceReady() throws Exception {
    ActorRef<Wavelet.Command> wavelet = testKit.<Wavelet.Command>createTestProbe().ref();
    assertRoundTrip(new Wavelet.InstanceReady("echo-r-1", InstanceKind.REGULAR, "node-1", wavelet, 12_345));
    assertRoundTrip(new Wavelet.InstanceReady("echo-e-1", InstanceKind.EMERGENCY, "node-2", wavelet, 0));
  }

  @Test
  void instanceFailed() throws Exception {
    assertRoundTrip(new Wavelet.InstanceFailed("echo-r-1", "node-1", true, "node node-1 is full"));
    assertRoundTrip(new Wavelet.InstanceFailed("echo-r-1", "node-1", false, "invalid module"));
  }

  @Test
  void invocationFinished() throws Exception {
    assertRoundTrip(new Wavelet.InvocationFinished("echo-r-1", Long.MAX_VALUE));
  }

  @Test
  void nodeStatus() throws Exception {
    List<Wavelet.InstanceInfo> infos =
        List.of(
            new Wavelet.InstanceInfo("echo-r-1", "echo", 2, InstanceKind.REGULAR, 128, 3, true),
            new Wavelet.InstanceInfo("echo-e-1", "echo", 2, InstanceKind.EMERGENCY, 128, 0, false));
    assertRoundTrip(new Wavelet.NodeStatus("node-1", "pekko://wavelink@10.0.0.1:7355", 4096, 256, 3, infos, true));
    assertRoundTrip(new Wavelet.NodeStatus("node-2", "", 0, 0, 0, new ArrayList<>(), false));
  }

  // ---------------------------------------------------------------- InvocationReply

  @Test
  void invocationReply() throws Exception {
    roundTrip(
        new InvocationReply(
            InvocationReply.Status.OK, bytes("hi"), "echo-r-1", InstanceKind.REGULAR, true, 1234, "", "log tail"));
    roundTrip(
        new InvocationReply(
            InvocationReply.Status.TIMEOUT, new byte[0], "echo-e-1", InstanceKind.EMERGENCY, false, 5, "slow", ""));
    for (InvocationReply.Status status : InvocationReply.Status.values()) {
      roundTrip(new InvocationReply(status, new byte[0], "", InstanceKind.REGULAR, false, 0, "m", ""));
    }
  }

  @Test
  void invocationReplyWithoutInstanceKind() throws Exception {
    InvocationReply rejected =
        InvocationReply.rejected(InvocationReply.Status.NOT_FOUND, "function f is not deployed");
    InvocationReply back = (InvocationReply) roundTrip(rejected);
    assertNull(back.kind());
  }

  // ---------------------------------------------------------------- NodeEntity

  @Test
  void register() throws Exception {
    ActorRef<Wavelet.Command> wavelet = testKit.<Wavelet.Command>createTestProbe().ref();
    assertRoundTrip(new NodeEntity.Register("pekko://wavelink@127.0.0.1:2552", 4096, wavelet));
  }

  @Test
  void place() throws Exception {
    roundTrip(new NodeEntity.Place(start(InstanceKind.REGULAR)));
  }

  @Test
  void release() throws Exception {
    assertRoundTrip(new NodeEntity.Release("echo-r-1"));
  }

  @Test
  void getState() throws Exception {
    assertRoundTrip(new NodeEntity.GetState(testKit.<NodeEntity.NodeView>createTestProbe().ref()));
  }

  @Test
  void events() throws Exception {
    assertRoundTrip(new NodeEntity.NodeRegistered("pekko://wavelink@127.0.0.1:2552", 2048));
    assertRoundTrip(new NodeEntity.InstancePlaced("echo-r-1", "echo", 128));
    assertRoundTrip(new NodeEntity.InstanceReleased("echo-r-1"));
  }

  @Test
  void state() throws Exception {
    assertRoundTrip(new NodeEntity.State("", 0, Map.of()));
    assertRoundTrip(
        new NodeEntity.State(
            "pekko://wavelink@127.0.0.1:2552",
            4096,
            Map.of(
                "echo-r-1", new NodeEntity.Placement("echo-r-1", "echo", 128),
                "sum-r-7", new NodeEntity.Placement("sum-r-7", "sum", 64))));
  }

  @Test
  void nodeView() throws Exception {
    List<NodeEntity.Placement> placements =
        List.of(
            new NodeEntity.Placement("echo-r-1", "echo", 128),
            new NodeEntity.Placement("sum-r-7", "sum", 64));
    assertRoundTrip(
        new NodeEntity.NodeView(
            "node-1", "pekko://wavelink@127.0.0.1:2552", 4096, 192, placements, true,
            Instant.parse("2025-03-01T12:34:56.789012345Z")));
  }

  @Test
  void nodeViewNeverSeen() throws Exception {
    NodeEntity.NodeView view = new NodeEntity.NodeView("node-9", "", 0, 0, List.of(), false, null);
    assertRoundTrip(view);
  }

  // ---------------------------------------------------------------- bindings and failures

  @Test
  void everyPublicMessageIsBoundAndNodeLocalOnesAreNot() throws Exception {
    List<Class<?>> hierarchy = new ArrayList<>();
    for (Class<?> root :
        List.of(Wavelet.Command.class, Wavelet.InstanceEvent.class, NodeEntity.Command.class, NodeEntity.Event.class)) {
      hierarchy.addAll(List.of(root.getPermittedSubclasses()));
    }
    for (Class<?> nested : NodeDirectory.class.getDeclaredClasses()) {
      if (NoSerializationVerificationNeeded.class.isAssignableFrom(nested)) {
        hierarchy.add(nested);
      }
    }
    int local = 0;
    for (Class<?> c : hierarchy) {
      if (NoSerializationVerificationNeeded.class.isAssignableFrom(c)) {
        local++;
        assertFalse(boundToOurs(c), c.getName() + " is node-local and must not be bound");
      } else {
        assertTrue(boundToOurs(c), c.getName() + " crosses members and must be bound");
      }
    }
    assertTrue(local > 0, "expected node-local messages in Wavelet and NodeDirectory");
    for (Class<?> c :
        List.of(Wavelet.NodeStatus.class, InvocationReply.class, NodeEntity.State.class, NodeEntity.NodeView.class)) {
      assertTrue(boundToOurs(c), c.getName() + " must be bound");
    }
  }

  private boolean boundToOurs(Class<?> c) {
    try {
      return serialization().serializerFor(c) instanceof NodeSerializer;
    } catch (NotSerializableException | RuntimeException e) {
      return false; // no binding at all (Java serialization is off)
    }
  }

  @Test
  void manifestsAreFrozen() {
    ActorRef<Wavelet.InstanceEvent> owner = testKit.<Wavelet.InstanceEvent>createTestProbe().ref();
    ActorRef<Wavelet.Command> wavelet = testKit.<Wavelet.Command>createTestProbe().ref();
    Wavelet.StartInstance start = start(InstanceKind.REGULAR);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("WS", start);
    expected.put("WX", new Wavelet.StopInstance("i"));
    expected.put("WI", new Wavelet.Invoke("i", 1L, new byte[0], 1, false, testKit.<InvocationReply>createTestProbe().ref(), owner));
    expected.put("WG", new Wavelet.GetStatus(testKit.<Wavelet.NodeStatus>createTestProbe().ref()));
    expected.put("WC", new Wavelet.Reconcile(Set.of()));
    expected.put("WR", new Wavelet.InstanceReady("i", InstanceKind.REGULAR, "n", wavelet, 0));
    expected.put("WF", new Wavelet.InstanceFailed("i", "n", true, "r"));
    expected.put("WD", new Wavelet.InvocationFinished("i", 3L));
    expected.put("WN", new Wavelet.NodeStatus("n", "m", 0, 0, 0, List.of(), false));
    expected.put("IR", InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE, "m"));
    expected.put("NR", new NodeEntity.Register("m", 0, wavelet));
    expected.put("NP", new NodeEntity.Place(start));
    expected.put("NL", new NodeEntity.Release("i"));
    expected.put("NG", new NodeEntity.GetState(testKit.<NodeEntity.NodeView>createTestProbe().ref()));
    expected.put("NNR", new NodeEntity.NodeRegistered("m", 0));
    expected.put("NIP", new NodeEntity.InstancePlaced("i", "f", 1));
    expected.put("NIR", new NodeEntity.InstanceReleased("i"));
    expected.put("NS", new NodeEntity.State("", 0, Map.of()));
    expected.put("NV", new NodeEntity.NodeView("n", "", 0, 0, List.of(), false, null));
    expected.put("NK", new NodeEntity.PlacementChecked("i", false));
    expected.put("WV", new Wavelet.Reserve("i", "f", InstanceKind.REGULAR, 1, 1, owner, 0, false));
    expected.put("WB", new Wavelet.ReclaimDeclined("i"));
    expected.put("WE", new Wavelet.Reserved("i", "n", wavelet));
    expected.put("WK", new Wavelet.Reclaim("i", "n", wavelet));
    expected.put("WL", new Wavelet.RenewLeases(List.of("i")));
    expected.put("BF", new Blobs.Fetch("b", 1L, false, testKit.<Blobs.Command>createTestProbe().ref()));
    expected.put("BD", new Blobs.Data(1L, true, new byte[0]));
    Serializer serializer = serialization().serializerByIdentity().apply(NodeSerializer.IDENTIFIER);
    expected.forEach((manifest, message) -> assertEquals(manifest, Serializers.manifestFor(serializer, message)));
  }

  @Test
  void capacityLeasesAndAntiEntropyMessages() throws Exception {
    ActorRef<Wavelet.InstanceEvent> owner = testKit.<Wavelet.InstanceEvent>createTestProbe().ref();
    ActorRef<Wavelet.Command> wavelet = testKit.<Wavelet.Command>createTestProbe().ref();
    roundTrip(new Wavelet.Reserve("f-r-1", "f", InstanceKind.REGULAR, 128, 4, owner, 5000, true));
    roundTrip(new Wavelet.Reserved("f-r-1", "node-1", wavelet));
    roundTrip(new Wavelet.Reclaim("g-e-1", "node-1", wavelet));
    roundTrip(new Wavelet.ReclaimDeclined("g-e-1"));
    roundTrip(new Wavelet.RenewLeases(List.of("e-1", "e-2")));
    roundTrip(new NodeEntity.PlacementChecked("f-r-1", true));
    roundTrip(new Wavelet.InvocationFinished("i", 3L, 65_536L));
    roundTrip(new Wavelet.InvocationFinished("i", 4L, 1L, "FUNCTION_ERROR", "exit status 101", 1234L, "panicked at src/main.rs"));
    roundTrip(new Wavelet.StartInstance("i", "f", 1, InstanceKind.EMERGENCY, ModuleRef.stored("ab", 1), 64, 1, Map.of(), owner, 700, true));
    roundTrip(new Wavelet.NodeStatus("n", "m", 1024, 512, 3,
        List.of(new Wavelet.InstanceInfo("i", "f", 1, InstanceKind.REGULAR, 128, 0, true, 1500, 17)), false, 256, 128, 17, 5));
  }

  @Test
  void payloadsThatTravelApart() throws Exception {
    ActorRef<Blobs.Command> store = testKit.<Blobs.Command>createTestProbe().ref();
    Blobs.Ref ref = new Blobs.Ref(store, "blob-1", 3_000_000);
    roundTrip(new Wavelet.Invoke("i", 1L, new byte[0], 1000, false, testKit.<InvocationReply>createTestProbe().ref(),
        testKit.<Wavelet.InstanceEvent>createTestProbe().ref(), ref));
    roundTrip(new InvocationReply(InvocationReply.Status.OK, new byte[0], "i", InstanceKind.REGULAR, false, 10, "", "", ref, null));
    for (io.wavelink.node.sandbox.ExecutionMode tier : io.wavelink.node.sandbox.ExecutionMode.values()) {
      InvocationReply reply =
          new InvocationReply(InvocationReply.Status.OK, new byte[0], "i", InstanceKind.EMERGENCY, true, 10, "", "")
              .withExecution(tier);
      assertEquals(tier, ((InvocationReply) roundTrip(reply)).execution());
    }
    roundTrip(new Blobs.Fetch("blob-1", 7L, true, store));
    roundTrip(new Blobs.Data(7L, true, bytes("payload")));
    roundTrip(new Blobs.Data(8L, false, new byte[0]));
  }

  @Test
  void unknownManifestIsRejected() {
    Serializer serializer = serialization().serializerByIdentity().apply(NodeSerializer.IDENTIFIER);
    NodeSerializer ours = assertInstanceOf(NodeSerializer.class, serializer);
    assertThrows(NotSerializableException.class, () -> ours.fromBinary(new byte[0], "no-such-manifest"));
  }

  @Test
  void corruptBytesAreRejected() {
    NodeSerializer ours =
        (NodeSerializer) serialization().serializerByIdentity().apply(NodeSerializer.IDENTIFIER);
    assertThrows(NotSerializableException.class, () -> ours.fromBinary(new byte[] {-1, -1, -1}, "WS"));
  }
}
