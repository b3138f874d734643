package io.wavelink.function.serialization;

import static io.wavelink.persistence.testkit.DeepEquals.assertDeepEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.function.FunctionCatalog;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.function.FunctionSpec;
import io.wavelink.function.FunctionStore;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.ModuleRef;
import io.wavelink.function.serialization.proto.FunctionProtos;
import java.io.NotSerializableException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

/** Every bound function-actors message survives a round trip through Pekko's serialization. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FunctionSerializerTest {

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
    assertInstanceOf(FunctionSerializer.class, serializer, message.getClass().getName());
    assertEquals(FunctionSerializer.IDENTIFIER, serializer.identifier());
    String manifest = Serializers.manifestFor(serializer, message);
    byte[] bytes = serializer.toBinary(message);
    Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
    assertDeepEquals(message, back);
    return back;
  }

  /** For messages without {@code byte[]} fields, where the records' own equality applies. */
  private void assertRoundTrip(Object message) throws NotSerializableException {
    assertEquals(message, roundTrip(message));
  }

  private <T> ActorRef<T> ref() {
    return testKit.<T>createTestProbe().ref();
  }

  private static FunctionSpec spec(String name) {
    Map<String, String> env = new HashMap<>();
    env.put("GREETING", "hello");
    env.put("EMPTY", "");
    return new FunctionSpec(
        name, FunctionSpec.WASM, ModuleRef.stored(HASH, 5_242_880), 128, 10_000, 4, 1, 10,
        env, "dual", -1, Map.of("stableWindowMs", 30_000.0, "targetUtilization", 0.5),
        new FunctionSpec.AsyncPolicy(5, 8, 250,
            java.util.List.of(new FunctionSpec.Schedule("*/5 * * * *", "Europe/Berlin", "tick", "skip")), "dead-letters"));
  }

  private static FunctionSpec minimalSpec() {
    return new FunctionSpec("min", FunctionSpec.WASM, ModuleRef.NONE, 1, 1, 1, 0, 1, null, null, 0, null);
  }

  /** A module's SHA-256 as specs carry it (the module store's key). */
  static final String HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  /** The spec as a journal written before the module store holds it: the code inline. */
  private static FunctionSpec legacySpec(String name) {
    return new FunctionSpec(
        name, FunctionSpec.WASM, ModuleRef.inline(new byte[] {0, 97, 115, 109, 1, 0, 0, 0, -128}), 128, 10_000, 4,
        1, 10, Map.of("A", "b"), "dual", -1, Map.of());
  }

  private static FunctionStore.State deployedState() {
    return new FunctionStore.State(
        Optional.of(spec("echo")),
        3,
        5,
        Map.of(
            "echo-r-1", new FunctionStore.RegularInstance("echo-r-1", 3, "node-1"),
            "echo-r-2", new FunctionStore.RegularInstance("echo-r-2", 2, "")));
  }

  private static FunctionStore.State emptyState() {
    return new FunctionStore.State(Optional.empty(), 0, 4, Map.of());
  }

  // ---------------------------------------------------------------- FunctionEntity

  @Test
  void entityDeploy() throws Exception {
    roundTrip(new FunctionEntity.Deploy(spec("echo"), 0, ref()));
    roundTrip(new FunctionEntity.Deploy(minimalSpec(), 7, ref()));
  }

  @Test
  void entityDeployKeepsItsReplyToReachable() throws Exception {
    var probe = testKit.<FunctionEntity.DeployReply>createTestProbe();
    FunctionEntity.Deploy back =
        (FunctionEntity.Deploy) roundTrip(new FunctionEntity.Deploy(spec("echo"), 0, probe.ref()));
    back.replyTo().tell(new FunctionEntity.Deployed(1, true));
    probe.expectMessage(new FunctionEntity.Deployed(1, true));
  }

  @Test
  void entityDelete() throws Exception {
    assertRoundTrip(new FunctionEntity.Delete(ref()));
  }

  @Test
  void entityGet() throws Exception {
    assertRoundTrip(new FunctionEntity.Get(ref()));
  }

  @Test
  void findCallsAndTheAnswer() throws Exception {
    assertRoundTrip(new FunctionEntity.FindCalls(List.of(ref(), ref()), ref()));
    assertRoundTrip(new FunctionEntity.FindCalls(List.of(), ref()));
    assertRoundTrip(new FunctionEntity.CallsNotHeld(List.of(ref())));
    assertRoundTrip(new FunctionEntity.CallsNotHeld(List.of()));
  }

  @Test
  void invocationLogPages() throws Exception {
    assertRoundTrip(new FunctionEntity.GetLogs(-1, 100, ref()));
    assertRoundTrip(new FunctionEntity.GetLogs(41, 10, ref()));
    assertRoundTrip(new FunctionEntity.Logs(false, List.of(), 0, 0));
    assertRoundTrip(new FunctionEntity.Logs(true, List.of(
        new FunctionEntity.LogEntry(42, 1_700_000_000_000L, "f-r-1", "regular", "node-1", "OK", "", 850, ""),
        new FunctionEntity.LogEntry(43, 1_700_000_000_001L, "f-e-2", "emergency", "node-2", "FUNCTION_ERROR", "exit 3", 12,
            "panicked: index out of bounds")), 43, 2));
  }

  @Test
  void entityInvoke() throws Exception {
    ActorRef<InvocationReply> replyTo = ref();
    roundTrip(new FunctionEntity.Invoke("{\"n\":1}".getBytes(StandardCharsets.UTF_8), replyTo));
    roundTrip(new FunctionEntity.Invoke(new byte[0], replyTo));
    // the caller's id for the call, which the guest sees
    FunctionEntity.Invoke withId = new FunctionEntity.Invoke(new byte[0], replyTo, null, "req_00ff00ff00ff00ff");
    assertEquals("req_00ff00ff00ff00ff", ((FunctionEntity.Invoke) roundTrip(withId)).requestId());
    // a large input travels apart: the message carries where it is
    roundTrip(new FunctionEntity.Invoke(new byte[0], replyTo,
        new io.wavelink.node.Blobs.Ref(testKit.<io.wavelink.node.Blobs.Command>createTestProbe().ref(), "blob-1", 3_000_000)));
    roundTrip(new FunctionEntity.CheckPlacement("f-r-1", "node-1",
        testKit.<io.wavelink.node.NodeEntity.Command>createTestProbe().ref()));
  }

  @Test
  void wake() throws Exception {
    assertSame(FunctionEntity.Wake.INSTANCE, roundTrip(FunctionEntity.Wake.INSTANCE));
  }

  @Test
  void entityDeployReplies() throws Exception {
    assertRoundTrip(new FunctionEntity.Deployed(4, false));
    assertRoundTrip(new FunctionEntity.Deployed(1, true));
    for (FunctionEntity.DeployRejected.Reason reason : FunctionEntity.DeployRejected.Reason.values()) {
      assertRoundTrip(new FunctionEntity.DeployRejected(reason, "because " + reason));
    }
  }

  @Test
  void entityDeleteReply() throws Exception {
    assertRoundTrip(new FunctionEntity.DeleteReply(true, false, "deleted"));
    assertRoundTrip(new FunctionEntity.DeleteReply(false, true, "the journal did not confirm"));
  }

  @Test
  void functionStatus() throws Exception {
    List<FunctionStatus.InstanceStatus> instances =
        List.of(
            new FunctionStatus.InstanceStatus("echo-r-1", InstanceKind.REGULAR, "ready", "node-1", 2, 4),
            new FunctionStatus.InstanceStatus("echo-e-1", InstanceKind.EMERGENCY, "starting", "", 0, 1));
    FunctionStatus.Stats stats = new FunctionStatus.Stats(10, 5, 1, 2, 3, 1, 7, true, 2, 1000, 200, 128000, 25600, 3, 4, 5, 6, 8, 9, 640, 64);
    roundTrip(
        new FunctionStatus(true, spec("echo").withoutCode(), 3, "dual", instances, 2, 9, stats, "pekko://wavelink@127.0.0.1:2552", 12_345));
  }

  @Test
  void functionStatusNotFound() throws Exception {
    FunctionStatus notFound = FunctionStatus.notFound("pekko://wavelink@127.0.0.1:2552", 77);
    FunctionStatus back = (FunctionStatus) roundTrip(notFound);
    assertEquals(notFound, back);
    assertNull(back.spec());
    assertNull(back.stats());
  }

  // ---------------------------------------------------------------- FunctionStore

  @Test
  void storeCommands() throws Exception {
    roundTrip(new FunctionStore.Deploy(spec("echo"), 2, ref()));
    assertRoundTrip(new FunctionStore.Delete(ref()));
    assertRoundTrip(new FunctionStore.AddRegular("echo-r-1", ref()));
    assertRoundTrip(new FunctionStore.AssignRegular("echo-r-1", "node-2", ref()));
    assertRoundTrip(new FunctionStore.RemoveRegular("echo-r-1", ref()));
    assertRoundTrip(new FunctionStore.Get(ref()));
  }

  @Test
  void storeReplies() throws Exception {
    roundTrip(new FunctionStore.Deployed(3, false, deployedState()));
    roundTrip(new FunctionStore.Deployed(1, true, deployedState()));
    assertRoundTrip(new FunctionStore.DeployConflict("function echo is at version 3, not 2"));
    roundTrip(new FunctionStore.DeleteResult(true, deployedState()));
    assertRoundTrip(new FunctionStore.DeleteResult(false, emptyState()));
    roundTrip(new FunctionStore.Done("echo-r-1", deployedState()));
    assertRoundTrip(new FunctionStore.Done("echo-r-1", emptyState()));
  }

  @Test
  void storeStateAsReplyAndSnapshot() throws Exception {
    roundTrip(deployedState());
    FunctionStore.State empty = (FunctionStore.State) roundTrip(emptyState());
    assertEquals(emptyState(), empty);
    assertFalse(empty.exists());
    assertRoundTrip(new FunctionStore.State(Optional.empty(), 0, 0, Map.of()));
  }

  @Test
  void storeEvents() throws Exception {
    roundTrip(new FunctionStore.FunctionDeployed(spec("echo"), 1));
    roundTrip(new FunctionStore.FunctionDeployed(minimalSpec(), 2));
    roundTrip(new FunctionStore.FunctionDeployed(legacySpec("old"), 3));
    assertRoundTrip(new FunctionStore.FunctionDeleted(2));
    assertRoundTrip(new FunctionStore.RegularInstanceAdded("echo-r-1", 2));
    assertRoundTrip(new FunctionStore.RegularInstanceAssigned("echo-r-1", "node-3"));
    assertRoundTrip(new FunctionStore.RegularInstanceRemoved("echo-r-1"));
  }

  @Test
  void aDeployedEventCarriesTheModulesHashNotItsBytes() throws Exception {
    FunctionStore.FunctionDeployed event = new FunctionStore.FunctionDeployed(spec("echo"), 1);
    byte[] bytes = serialization().findSerializerFor(event).toBinary(event);
    assertTrue(bytes.length < 400, "a 5 MiB module is journaled as its hash: " + bytes.length + " bytes");
    FunctionProtos.FunctionDeployed proto = FunctionProtos.FunctionDeployed.parseFrom(bytes);
    assertEquals(HASH, proto.getSpec().getCodeSha256());
    assertEquals(5_242_880, proto.getSpec().getCodeSize());
    assertTrue(proto.getSpec().getCode().isEmpty());
  }

  /**
   * A FunctionDeployed event (and a snapshot) journaled before the module store: the code in field
   * 3 and no hash, written here with the generated builder as those members did. It still reads,
   * with its code inline, so the function keeps starting its instances.
   */
  @Test
  void anOldDeployedEventWithItsCodeStillReads() throws Exception {
    byte[] code = {0, 97, 115, 109, 1, 0, 0, 0, -128};
    FunctionProtos.FunctionSpec oldSpec =
        FunctionProtos.FunctionSpec.newBuilder()
            .setName("old")
            .setRuntime("wasm")
            .setCode(com.google.protobuf.ByteString.copyFrom(code))
            .setMemoryMb(128)
            .setTimeoutMs(10_000)
            .setConcurrency(4)
            .setMinScale(1)
            .setMaxScale(10)
            .putEnv("A", "b")
            .setControlPlaneMode("dual")
            .setRegularTrackDelayMs(-1)
            .build();
    byte[] event = FunctionProtos.FunctionDeployed.newBuilder().setSpec(oldSpec).setVersion(3).build().toByteArray();
    Object back = serialization().deserialize(event, FunctionSerializer.IDENTIFIER, "SFD").get();
    assertDeepEquals(new FunctionStore.FunctionDeployed(legacySpec("old"), 3), back);
    FunctionSpec spec = ((FunctionStore.FunctionDeployed) back).spec();
    assertFalse(spec.module().isStored());
    assertTrue(spec.problems().isEmpty(), spec.problems().toString());

    byte[] snapshot =
        FunctionProtos.StoreState.newBuilder().setSpec(oldSpec).setVersion(3).setLastVersion(3).build().toByteArray();
    String stateManifest = Serializers.manifestFor(serialization().findSerializerFor(emptyState()), emptyState());
    FunctionStore.State state =
        (FunctionStore.State) serialization().deserialize(snapshot, FunctionSerializer.IDENTIFIER, stateManifest).get();
    assertDeepEquals(ModuleRef.inline(code), state.spec().orElseThrow().module());
  }

  @Test
  void aNullEnvValueIsAUserErrorNotANullPointer() {
    Map<String, String> env = new HashMap<>();
    env.put("A", null);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new FunctionSpec("f", "wasm", ModuleRef.NONE, 1, 1, 1, 0, 1, env, null, 0, null));
    assertTrue(e.getMessage().contains("\"A\""), e.getMessage());
    Map<String, Double> knobs = new HashMap<>();
    knobs.put("stableWindowMs", null);
    assertThrows(
        IllegalArgumentException.class,
        () -> new FunctionSpec("f", "wasm", ModuleRef.NONE, 1, 1, 1, 0, 1, null, null, 0, knobs));
  }

  // ---------------------------------------------------------------- FunctionCatalog

  @Test
  void catalogCommands() throws Exception {
    assertRoundTrip(new FunctionCatalog.Register("echo", ref()));
    assertRoundTrip(new FunctionCatalog.Register("echo", true, ref()));
    assertRoundTrip(new FunctionCatalog.Unregister("echo", ref()));
    assertRoundTrip(new FunctionCatalog.ListNames(ref()));
    assertRoundTrip(new FunctionCatalog.ListNames("echo", 100, ref()));
  }

  @Test
  void catalogUnregisterWithIgnoreRef() throws Exception {
    // what a FunctionEntity sends on delete
    ActorRef<FunctionCatalog.Ack> ignore = testKit.system().ignoreRef();
    assertRoundTrip(new FunctionCatalog.Unregister("echo", ignore));
  }

  @Test
  void catalogReplies() throws Exception {
    assertSame(FunctionCatalog.Ack.INSTANCE, roundTrip(FunctionCatalog.Ack.INSTANCE));
    assertRoundTrip(new FunctionCatalog.Names(List.of("a", "b", "echo")));
    assertRoundTrip(new FunctionCatalog.Names(List.of()));
    assertRoundTrip(new FunctionCatalog.Names(List.of("a"), true));
  }

  @Test
  void catalogEvents() throws Exception {
    assertRoundTrip(new FunctionCatalog.FunctionRegistered("echo"));
    assertRoundTrip(new FunctionCatalog.FunctionRegistered("echo", true));
    // an event journaled before functions could sleep: woken after a restart, as it was then
    FunctionCatalog.FunctionRegistered old = (FunctionCatalog.FunctionRegistered) serialization().deserialize(
        io.wavelink.function.serialization.proto.FunctionProtos.FunctionRegistered.newBuilder().setName("old").build().toByteArray(),
        FunctionSerializer.IDENTIFIER, "CFR").get();
    assertEquals(new FunctionCatalog.FunctionRegistered("old", false), old);
    assertRoundTrip(new FunctionCatalog.FunctionUnregistered("echo"));
  }

  @Test
  void catalogState() throws Exception {
    FunctionCatalog.State state = FunctionCatalog.State.of(List.of("zeta", "alpha", "echo"));
    FunctionCatalog.State back = (FunctionCatalog.State) roundTrip(state);
    assertEquals(state, back);
    assertEquals(List.of("alpha", "echo", "zeta"), new ArrayList<>(back.names()));
    assertRoundTrip(FunctionCatalog.State.of(List.of()));
    FunctionCatalog.State someAsleep = FunctionCatalog.State.of(List.of("zeta", "alpha", "echo"), List.of("echo"));
    assertRoundTrip(someAsleep);
    assertEquals(List.of("echo"), ((FunctionCatalog.State) roundTrip(someAsleep)).awakeNames());
    // a snapshot taken before functions could sleep: every name is woken after a restart
    FunctionCatalog.State old = (FunctionCatalog.State) serialization().deserialize(
        io.wavelink.function.serialization.proto.FunctionProtos.CatalogState.newBuilder()
            .addNames("a").addNames("b").build().toByteArray(),
        FunctionSerializer.IDENTIFIER, "CS").get();
    assertEquals(List.of("a", "b"), old.awakeNames());
  }

  // ---------------------------------------------------------------- bindings and failures

  @Test
  void everyPublicMessageIsBoundAndMemberLocalOnesAreNot() {
    List<Class<?>> hierarchy = new ArrayList<>();
    for (Class<?> nested : FunctionEntity.class.getDeclaredClasses()) {
      if (FunctionEntity.Command.class.isAssignableFrom(nested) && !nested.isInterface()) {
        hierarchy.add(nested);
      }
    }
    for (Class<?> root :
        List.of(
            FunctionEntity.DeployReply.class,
            FunctionStore.Command.class,
            FunctionStore.DeployResult.class,
            FunctionStore.Event.class,
            FunctionCatalog.Command.class,
            FunctionCatalog.Event.class)) {
      hierarchy.addAll(List.of(root.getPermittedSubclasses()));
    }
    int local = 0;
    for (Class<?> c : hierarchy) {
      if (NoSerializationVerificationNeeded.class.isAssignableFrom(c)) {
        local++;
        assertFalse(boundToOurs(c), c.getName() + " is member-local and must not be bound");
      } else {
        assertTrue(Modifier.isPublic(c.getModifiers()), c.getName() + " crosses members but is not public");
        assertTrue(boundToOurs(c), c.getName() + " crosses members and must be bound");
      }
    }
    assertTrue(local > 0, "expected member-local messages in FunctionEntity");
    for (Class<?> c :
        List.of(
            FunctionEntity.DeleteReply.class,
            FunctionStatus.class,
            FunctionStore.DeleteResult.class,
            FunctionStore.Done.class,
            FunctionStore.State.class,
            FunctionCatalog.Ack.class,
            FunctionCatalog.Names.class,
            FunctionCatalog.State.class)) {
      assertTrue(boundToOurs(c), c.getName() + " must be bound");
    }
  }

  private boolean boundToOurs(Class<?> c) {
    try {
      return serialization().serializerFor(c) instanceof FunctionSerializer;
    } catch (NotSerializableException | RuntimeException e) {
      return false; // no binding at all (Java serialization is off)
    }
  }

  @Test
  void manifestsAreFrozen() {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("FD", new FunctionEntity.Deploy(minimalSpec(), 0, ref()));
    expected.put("FX", new FunctionEntity.Delete(ref()));
    expected.put("FG", new FunctionEntity.Get(ref()));
    expected.put("FI", new FunctionEntity.Invoke(new byte[0], ref()));
    expected.put("FW", FunctionEntity.Wake.INSTANCE);
    expected.put("FCP", new FunctionEntity.CheckPlacement("i", "n", null));
    expected.put("FFC", new FunctionEntity.FindCalls(List.of(), ref()));
    expected.put("FCN", new FunctionEntity.CallsNotHeld(List.of()));
    expected.put("FGL", new FunctionEntity.GetLogs(-1, 1, ref()));
    expected.put("FL", new FunctionEntity.Logs(false, List.of(), 0, 0));
    expected.put("FDK", new FunctionEntity.Deployed(1, true));
    expected.put("FDR", new FunctionEntity.DeployRejected(FunctionEntity.DeployRejected.Reason.INVALID, "m"));
    expected.put("FXR", new FunctionEntity.DeleteReply(true, false, "m"));
    expected.put("FS", FunctionStatus.notFound("", 0));
    expected.put("SD", new FunctionStore.Deploy(minimalSpec(), 0, ref()));
    expected.put("SX", new FunctionStore.Delete(ref()));
    expected.put("SA", new FunctionStore.AddRegular("i", ref()));
    expected.put("SN", new FunctionStore.AssignRegular("i", "n", ref()));
    expected.put("SR", new FunctionStore.RemoveRegular("i", ref()));
    expected.put("SG", new FunctionStore.Get(ref()));
    expected.put("SDK", new FunctionStore.Deployed(1, true, emptyState()));
    expected.put("SDC", new FunctionStore.DeployConflict("m"));
    expected.put("SXR", new FunctionStore.DeleteResult(false, emptyState()));
    expected.put("SK", new FunctionStore.Done("i", emptyState()));
    expected.put("SS", emptyState());
    expected.put("SFD", new FunctionStore.FunctionDeployed(minimalSpec(), 1));
    expected.put("SFX", new FunctionStore.FunctionDeleted(1));
    expected.put("SRA", new FunctionStore.RegularInstanceAdded("i", 1));
    expected.put("SRN", new FunctionStore.RegularInstanceAssigned("i", "n"));
    expected.put("SRR", new FunctionStore.RegularInstanceRemoved("i"));
    expected.put("CR", new FunctionCatalog.Register("f", ref()));
    expected.put("CU", new FunctionCatalog.Unregister("f", ref()));
    expected.put("CL", new FunctionCatalog.ListNames(ref()));
    expected.put("CA", FunctionCatalog.Ack.INSTANCE);
    expected.put("CN", new FunctionCatalog.Names(List.of()));
    expected.put("CFR", new FunctionCatalog.FunctionRegistered("f"));
    expected.put("CFU", new FunctionCatalog.FunctionUnregistered("f"));
    expected.put("CS", FunctionCatalog.State.of(List.of()));
    Serializer serializer = serialization().serializerByIdentity().apply(FunctionSerializer.IDENTIFIER);
    expected.forEach((manifest, message) -> assertEquals(manifest, Serializers.manifestFor(serializer, message)));
  }

  @Test
  void unknownManifestIsRejected() {
    Serializer serializer = serialization().serializerByIdentity().apply(FunctionSerializer.IDENTIFIER);
    FunctionSerializer ours = assertInstanceOf(FunctionSerializer.class, serializer);
    assertThrows(NotSerializableException.class, () -> ours.fromBinary(new byte[0], "no-such-manifest"));
  }

  @Test
  void corruptBytesAreRejected() {
    FunctionSerializer ours =
        (FunctionSerializer) serialization().serializerByIdentity().apply(FunctionSerializer.IDENTIFIER);
    assertThrows(NotSerializableException.class, () -> ours.fromBinary(new byte[] {-1, -1, -1}, "FD"));
  }
}
