package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.wavelink.gateway.GatewaySettings;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import io.wavelink.persistence.ModuleStore;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A deploy's checks, with the real WebAssembly runtime, off the caller's thread and bounded. */
class DeployChecksTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final WasmSandboxRuntime runtime = new WasmSandboxRuntime();
  private static final GatewaySettings SETTINGS = GatewaySettings.create(ConfigFactory.load());
  private static final byte[] ECHO = ExampleFunctions.load("echo");

  /** {@code (module (memory 32767) (func (export "_start")))}: 2 GiB less 64 KiB of initial memory. */
  private static final byte[] MEMORY_2_GIB =
      HexFormat.of()
          .parseHex("0061736d01000000010401600000030201000505010" + "0ffff01" + "070a01065f73746172740000" + "0a040102000b");

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static byte[] body(byte[] code, Map<String, Object> fields) throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "wasm");
    spec.put("code", Base64.getEncoder().encodeToString(code));
    spec.putAll(fields);
    return JSON.writeValueAsBytes(spec);
  }

  private static DeployChecks.Outcome check(DeployChecks checks, byte[] body) throws Exception {
    return checks.check("f", body).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static DeployChecks.Refused refused(DeployChecks.Outcome o, int status) {
    DeployChecks.Refused r = assertInstanceOf(DeployChecks.Refused.class, o, String.valueOf(o));
    assertEquals(status, r.status(), r.toString());
    assertFalse(r.message().isBlank());
    return r;
  }

  @Test
  void aValidDeployNamesItsModuleByHash() throws Exception {
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      DeployChecks.Valid valid =
          assertInstanceOf(DeployChecks.Valid.class, check(checks, body(ECHO, Map.of("memoryMb", 64))));
      assertEquals(ModuleStore.sha256(ECHO), valid.spec().module().sha256());
      assertEquals(ECHO.length, valid.spec().module().sizeBytes());
      assertEquals(0, valid.spec().module().inlineCode().length, "the spec never carries the bytes");
      assertEquals(ECHO.length, valid.code().length);
    }
  }

  @Test
  void aNullEnvValueOrAutoscalingKnobIsA400() throws Exception {
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      String code = Base64.getEncoder().encodeToString(ECHO);
      DeployChecks.Refused env =
          refused(check(checks, ("{\"code\":\"" + code + "\",\"env\":{\"A\":null}}").getBytes(StandardCharsets.UTF_8)), 400);
      assertEquals("invalid_spec", env.error());
      assertTrue(env.message().contains("env values must not be null"), env.message());
      DeployChecks.Refused knob =
          refused(
              check(checks, ("{\"code\":\"" + code + "\",\"autoscaling\":{\"stableWindowMs\":null}}").getBytes(StandardCharsets.UTF_8)),
              400);
      assertTrue(knob.message().contains("autoscaling values must not be null"), knob.message());
    }
  }

  @Test
  void aTimeoutTheGatewayWouldNotWaitForIsA400WithTheLimit() throws Exception {
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      assertEquals(300_000, SETTINGS.maxFunctionTimeoutMs());
      DeployChecks.Refused r = refused(check(checks, body(ECHO, Map.of("timeoutMs", 900_000))), 400);
      assertTrue(r.message().contains("timeoutMs must be at most 300000"), r.message());
      assertInstanceOf(DeployChecks.Valid.class, check(checks, body(ECHO, Map.of("timeoutMs", 300_000))));
    }
  }

  @Test
  void badBase64AndUnknownFieldsAre400() throws Exception {
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      DeployChecks.Refused b64 = refused(check(checks, "{\"code\":\"!!!!\"}".getBytes(StandardCharsets.UTF_8)), 400);
      assertTrue(b64.message().startsWith("code must be a base64-encoded WebAssembly module"), b64.message());
      DeployChecks.Refused unknown = refused(check(checks, body(ECHO, Map.of("colour", 1))), 400);
      assertTrue(unknown.message().contains("colour"), unknown.message());
      refused(check(checks, "{not json".getBytes(StandardCharsets.UTF_8)), 400);
      DeployChecks.Refused notWasm = refused(check(checks, body("not wasm".getBytes(StandardCharsets.UTF_8), Map.of())), 400);
      assertEquals("invalid_module", notWasm.error());
    }
  }

  @Test
  void aModuleOverTheLimitIsA413() throws Exception {
    GatewaySettings small =
        new GatewaySettings(
            "127.0.0.1", 0, 1 << 20, 1 << 20, Duration.ofSeconds(310), Duration.ofSeconds(15), Duration.ofSeconds(1),
            Duration.ofSeconds(2), ECHO.length - 1, SETTINGS.validation());
    try (DeployChecks checks = new DeployChecks(runtime, small)) {
      DeployChecks.Refused r = refused(check(checks, body(ECHO, Map.of())), 413);
      assertEquals("payload_too_large", r.error());
    }
  }

  @Test
  void aModuleDeclaringTwoGibibytesIsCheckedQuicklyWithoutThatMemory() throws Exception {
    byte[] body = body(MEMORY_2_GIB, Map.of("memoryMb", 2048));
    try (DeployChecks warmUp = new DeployChecks(runtime, SETTINGS)) {
      warmUp.checkNow("f", body);
    }
    // a fresh instance: its verdicts are empty, so the module is validated again, not looked up
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      DeployChecks.Outcome o = checks.checkNow("f", body);
      long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
      assertInstanceOf(DeployChecks.Valid.class, o, String.valueOf(o));
      assertEquals(1, checks.validations(), "the module was validated, not found among the verdicts");
      assertTrue(allocated < 16L << 20, "checking allocated " + allocated + " bytes");
      long started = System.nanoTime();
      assertInstanceOf(DeployChecks.Valid.class, check(checks, body));
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "answered quickly");
    }
  }

  @Test
  void aModuleDeployedAgainIsNotValidatedAgainButItsVerdictHolds() throws Exception {
    try (DeployChecks checks = new DeployChecks(runtime, SETTINGS)) {
      for (int i = 0; i < 3; i++) {
        assertInstanceOf(DeployChecks.Valid.class, check(checks, body(ECHO, Map.of("memoryMb", 64, "maxScale", 1 + i))));
      }
      assertEquals(1, checks.validations(), "one module, one memory size: validated once");
      assertInstanceOf(DeployChecks.Valid.class, check(checks, body(ECHO, Map.of("memoryMb", 128))));
      assertEquals(2, checks.validations(), "another memory size is another verdict");
      byte[] tooBig = body(MEMORY_2_GIB, Map.of("memoryMb", 64));
      DeployChecks.Refused first = refused(check(checks, tooBig), 400);
      DeployChecks.Refused again = refused(check(checks, tooBig), 400);
      assertEquals("invalid_module", again.error());
      assertEquals(first.message(), again.message(), "a refusal kept says the same");
      assertEquals(3, checks.validations());
      assertInstanceOf(DeployChecks.Valid.class, check(checks, body(MEMORY_2_GIB, Map.of("memoryMb", 2048))),
          "the same module with the memory it declares is valid");
    }
  }

  @Test
  void theLeastRecentlyUsedVerdictsGoBeyondTheBound() {
    ModuleVerdicts verdicts = new ModuleVerdicts(2);
    verdicts.verdict("a", 1, () -> null);
    verdicts.verdict("b", 1, () -> "bad");
    verdicts.verdict("a", 1, () -> "not asked");
    verdicts.verdict("c", 1, () -> null); // b goes
    assertEquals(3, verdicts.computed());
    assertEquals(null, verdicts.verdict("a", 1, () -> "not asked"));
    assertEquals("bad again", verdicts.verdict("b", 1, () -> "bad again"));
    assertEquals(4, verdicts.computed());
  }

  /** The real runtime, whose validation waits for {@code release} (a module slow to check). */
  private static final class SlowRuntime implements SandboxRuntime {
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch entered = new CountDownLatch(1);

    @Override
    public PreparedModule validate(byte[] code, int memoryMb) throws InvalidModuleException {
      entered.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return runtime.validate(code, memoryMb);
    }

    @Override
    public PreparedModule prepare(byte[] code, int memoryMb, ExecutionMode mode) throws InvalidModuleException {
      return runtime.prepare(code, memoryMb, mode);
    }

    @Override
    public InvocationResult invoke(PreparedModule module, Invocation invocation) {
      return runtime.invoke(module, invocation);
    }

    @Override
    public MemoryUsage memoryUsage() {
      return runtime.memoryUsage();
    }

    @Override
    public void close() {}
  }

  private static GatewaySettings withValidation(int threads, int queue, Duration timeout) {
    return new GatewaySettings(
        "127.0.0.1", 0, SETTINGS.maxInvokeBytes(), SETTINGS.maxDeployBytes(), SETTINGS.invokeTimeout(),
        SETTINGS.controlTimeout(), SETTINGS.lostCallProbeTimeout(), SETTINGS.callCheckInterval(), SETTINGS.maxModuleBytes(),
        new GatewaySettings.Validation(threads, queue, timeout, 140L << 20));
  }

  @Test
  void aSaturatedExecutorAnswers503WithRetryAfterAtOnce() throws Exception {
    SlowRuntime slow = new SlowRuntime();
    try (DeployChecks checks = new DeployChecks(slow, withValidation(1, 0, Duration.ofSeconds(30)))) {
      CompletableFuture<DeployChecks.Outcome> first = checks.check("f", body(ECHO, Map.of())).toCompletableFuture();
      assertTrue(slow.entered.await(30, TimeUnit.SECONDS));
      DeployChecks.Outcome second = checks.check("g", body(ECHO, Map.of())).toCompletableFuture().getNow(null);
      DeployChecks.Refused busy = refused(second, 503);
      assertEquals("busy", busy.error());
      assertTrue(busy.retryAfter());
      slow.release.countDown();
      assertInstanceOf(DeployChecks.Valid.class, first.get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void bodiesBeyondTheByteBoundAnswer503ButOneDeployIsAlwaysTaken() throws Exception {
    SlowRuntime slow = new SlowRuntime();
    GatewaySettings tight =
        new GatewaySettings(
            "127.0.0.1", 0, SETTINGS.maxInvokeBytes(), SETTINGS.maxDeployBytes(), SETTINGS.invokeTimeout(),
            SETTINGS.controlTimeout(), SETTINGS.lostCallProbeTimeout(), SETTINGS.callCheckInterval(), SETTINGS.maxModuleBytes(),
            new GatewaySettings.Validation(2, 8, Duration.ofSeconds(30), 100));
    try (DeployChecks checks = new DeployChecks(slow, tight)) {
      byte[] body = body(ECHO, Map.of());
      assertTrue(body.length > 100);
      CompletableFuture<DeployChecks.Outcome> first = checks.check("f", body).toCompletableFuture();
      assertTrue(slow.entered.await(30, TimeUnit.SECONDS));
      refused(checks.check("g", body).toCompletableFuture().getNow(null), 503);
      slow.release.countDown();
      assertInstanceOf(DeployChecks.Valid.class, first.get(30, TimeUnit.SECONDS));
      assertInstanceOf(DeployChecks.Valid.class, check(checks, body), "the bytes were given back");
    }
  }

  @Test
  void aCheckThatOverrunsItsTimeLimitIsAnswered() throws Exception {
    SlowRuntime slow = new SlowRuntime();
    try (DeployChecks checks = new DeployChecks(slow, withValidation(1, 1, Duration.ofMillis(300)))) {
      DeployChecks.Refused r = refused(check(checks, body(ECHO, Map.of())), 400);
      assertTrue(r.message().contains("within 300 ms"), r.message());
      slow.release.countDown();
    }
  }

  @Test
  void theModulesSizeIsReadFromTheBodyWithoutDecodingIt() {
    java.util.function.Function<String, Long> size =
        json -> DeployChecks.codeBytesDeclared(json.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    org.junit.jupiter.api.Assertions.assertEquals(3L, size.apply("{\"code\":\"AAAA\"}"));
    org.junit.jupiter.api.Assertions.assertEquals(1L, size.apply("{ \"memoryMb\": 64, \"code\" : \"AA==\" }"));
    org.junit.jupiter.api.Assertions.assertEquals(2L, size.apply("{\"code\":\"AAA\"}"), "unpadded");
    org.junit.jupiter.api.Assertions.assertEquals(-1L, size.apply("{\"env\":{\"A\":\"\\\"code\\\": x\"}}"), "inside a string");
    org.junit.jupiter.api.Assertions.assertEquals(-1L, size.apply("{\"memoryMb\":64}"));
    for (String b64 : new String[] {"", "AQ==", "AQI=", "AQID", "AQIDBA=="}) {
      org.junit.jupiter.api.Assertions.assertEquals(
          (long) java.util.Base64.getDecoder().decode(b64).length, size.apply("{\"code\":\"" + b64 + "\"}"), b64);
    }
  }
}
