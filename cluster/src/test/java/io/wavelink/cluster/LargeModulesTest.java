package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.wavelink.function.FunctionStore;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.ModuleStore;
import io.wavelink.persistence.testkit.TestCassandra;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Large modules and the deploy route's limits against a real member: a real Cassandra, the real HTTP
 * server and real WebAssembly. The modules are the echo example with a custom section of the wanted
 * size (a custom section is valid anywhere in a module and ignored by the runtime).
 */
class LargeModulesTest {

  private static WaveLinkMember member;
  private static Http http;
  private static CqlSession cql;

  @BeforeAll
  static void start() throws Exception {
    member = MemberEndToEndTest.startMember(MemberEndToEndTest.memberConfig());
    http = new Http(member.httpPort());
    cql = TestCassandra.newSession();
  }

  /** Deletes what the tests deployed, so that members of later tests do not wake these functions. */
  @AfterAll
  static void stop() throws Exception {
    if (cql != null) {
      cql.close();
    }
    if (member != null) {
      for (String f : List.of("big5", "big50", "same-a", "same-b", "two-gib")) {
        http.delete("/v1/functions/" + f);
      }
      member.close();
    }
  }

  /** {@code module} with a custom section named "pad" of {@code payload} random bytes appended. */
  static byte[] withCustomSection(byte[] module, int payload, long seed) {
    byte[] name = "pad".getBytes(StandardCharsets.US_ASCII);
    byte[] data = new byte[payload];
    new Random(seed).nextBytes(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream(module.length + payload + 16);
    out.writeBytes(module);
    out.write(0); // custom section
    writeLeb(out, 1 + name.length + payload);
    writeLeb(out, name.length);
    out.writeBytes(name);
    out.writeBytes(data);
    return out.toByteArray();
  }

  private static void writeLeb(ByteArrayOutputStream out, long value) {
    do {
      int b = (int) (value & 0x7f);
      value >>>= 7;
      out.write(value == 0 ? b : b | 0x80);
    } while (value != 0);
  }

  private static byte[] invokeOk(String function, String input) throws Exception {
    HttpResponse<byte[]> r = http.invoke(function, input.getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return r.body();
  }

  private static JsonNode node() throws Exception {
    http.await(
        "the node's status in the view",
        () -> {
          JsonNode nodes = Http.json(http.get("/v1/nodes").body()).get("nodes");
          return nodes.size() == 1 && nodes.get(0).has("moduleFetches");
        });
    return Http.json(http.get("/v1/nodes").body()).get("nodes").get(0);
  }

  /** Defect: a valid 5 MiB module answered 503 (its FunctionDeployed event was over 4 MiB). */
  @Test
  void aValidFiveMebibyteModuleDeploysAndAnswers() throws Exception {
    byte[] big = withCustomSection(ExampleFunctions.load("echo"), 5 * 1024 * 1024, 5);
    HttpResponse<String> deployed = http.deploy("big5", big, Map.of("memoryMb", 64));
    assertEquals(201, deployed.statusCode(), deployed.body());
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), invokeOk("big5", "hello"));

    // the journal holds the module's hash, not its bytes
    List<Object> events =
        JournalReader.events(cql, SerializationExtension.get(Adapter.toClassic(member.system())), "Function|big5");
    FunctionStore.FunctionDeployed event = assertInstanceOf(FunctionStore.FunctionDeployed.class, events.get(0));
    assertEquals(ModuleStore.sha256(big), event.spec().module().sha256());
    assertEquals(big.length, event.spec().module().sizeBytes());
    assertEquals(0, event.spec().module().inlineCode().length);
    Row row = cql.execute("SELECT event FROM wavelink.messages WHERE persistence_id = 'Function|big5' AND partition_nr = 0 LIMIT 1").one();
    ByteBuffer bytes = row.getByteBuffer("event");
    assertTrue(bytes.remaining() < 1024, "FunctionDeployed is " + bytes.remaining() + " bytes");

    JsonNode spec = Http.json(http.get("/v1/functions/big5").body()).get("spec");
    assertEquals(ModuleStore.sha256(big), spec.get("module").get("sha256").asText());
  }

  /** Whether the node runs a ready instance of {@code function}. */
  private static boolean readyOn(JsonNode node, String function) {
    for (JsonNode i : node.get("instances")) {
      if (i.get("function").asText().equals(function) && i.get("ready").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  /** Two functions with the same code: one stored module, written once, fetched once by the node. */
  @Test
  void twoFunctionsWithTheSameCodeMakeOneStoredModuleAndOneFetchPerNode() throws Exception {
    byte[] code = withCustomSection(ExampleFunctions.load("echo"), 300_000, 77);
    String hash = ModuleStore.sha256(code);

    // the first function's regular instance (minScale 1) fetches the module
    assertEquals(201, http.deploy("same-a", code, Map.of("minScale", 1, "memoryMb", 64)).statusCode());
    http.await("a ready instance of same-a", () -> readyOn(node(), "same-a"));
    long fetchesWithA = node().get("moduleFetches").asLong();
    long writtenAt = cql.execute("SELECT writetime(size) AS w FROM wavelink.modules WHERE hash = ?", hash).one().getLong("w");

    // the second deploy of the same code stores nothing, and its instance fetches nothing
    assertEquals(201, http.deploy("same-b", code, Map.of("minScale", 1, "memoryMb", 32)).statusCode());
    assertEquals(
        writtenAt,
        cql.execute("SELECT writetime(size) AS w FROM wavelink.modules WHERE hash = ?", hash).one().getLong("w"),
        "the second deploy stored nothing: the module was there");
    assertEquals(1, cql.execute("SELECT chunk FROM wavelink.module_chunks WHERE hash = ? AND chunk = 0", hash).all().size());
    http.await("a ready instance of same-b", () -> readyOn(node(), "same-b"));
    JsonNode node = node();
    assertTrue(readyOn(node, "same-a") || readyOn(node, "same-b"));
    assertEquals(fetchesWithA, node.get("moduleFetches").asLong(), "same-b's instance used the module on the node");
    assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), invokeOk("same-a", "a"));
    assertArrayEquals("b".getBytes(StandardCharsets.UTF_8), invokeOk("same-b", "b"));
  }

  /** The documented limit: a valid module of 50 MiB deploys (stored in 50 chunks) and answers. */
  @Test
  void aValidFiftyMebibyteModuleDeploysAndAnswers() throws Exception {
    byte[] echo = ExampleFunctions.load("echo");
    // the custom section's header takes 9 bytes: the module is exactly 50 MiB
    byte[] big = withCustomSection(echo, 50 * 1024 * 1024 - echo.length - 9, 50);
    assertEquals(50 * 1024 * 1024, big.length);
    byte[] prefix = "{\"memoryMb\":64,\"timeoutMs\":60000,\"code\":\"".getBytes(StandardCharsets.US_ASCII);
    byte[] code = java.util.Base64.getEncoder().encode(big);
    byte[] body = new byte[prefix.length + code.length + 2];
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    System.arraycopy(code, 0, body, prefix.length, code.length);
    body[body.length - 2] = '"';
    body[body.length - 1] = '}';
    code = null;
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> deployed =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + member.httpPort() + "/v1/functions/big50"))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    body = null;
    assertEquals(201, deployed.statusCode(), deployed.body());
    String hash = ModuleStore.sha256(big);
    assertEquals(50, cql.execute("SELECT chunks FROM wavelink.modules WHERE hash = ?", hash).one().getInt("chunks"));
    assertArrayEquals("fifty".getBytes(StandardCharsets.UTF_8), invokeOk("big50", "fifty"));
  }

  /**
   * A module of 51 MiB, over the 50 MiB limit: 413 with a JSON error. Sent as curl sends a large
   * body, with {@code Expect: 100-continue}, over a plain socket (the JDK 17 HttpClient waits forever
   * for a 100 that a refusal never sends, JDK-8286171): the refusal comes before the upload.
   */
  @Test
  void aFiftyOneMebibyteModuleAnswers413() throws Exception {
    int moduleBytes = 51 * 1024 * 1024;
    byte[] prefix = "{\"runtime\":\"wasm\",\"code\":\"".getBytes(StandardCharsets.US_ASCII);
    byte[] suffix = "\"}".getBytes(StandardCharsets.US_ASCII);
    // the body would be the prefix, the module's base64 and the suffix: only its length is sent
    long bodyLength = prefix.length + 4L * ((moduleBytes + 2) / 3) + suffix.length;
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", member.httpPort())) {
      socket.setSoTimeout(60_000);
      java.io.OutputStream out = socket.getOutputStream();
      java.io.BufferedReader in =
          new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      out.write(
          ("PUT /v1/functions/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Expect: 100-continue\r\nContent-Length: " + bodyLength + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = in.readLine();
      assertTrue(status.startsWith("HTTP/1.1 413"), "refused without asking for the body: " + status);
      int length = 0;
      for (String header = in.readLine(); !header.isEmpty(); header = in.readLine()) {
        if (header.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(header.substring("content-length:".length()).trim());
        }
      }
      char[] chars = new char[length];
      int read = 0;
      while (read < length) {
        read += in.read(chars, read, length - read);
      }
      JsonNode error = Http.json(new String(chars));
      assertEquals("payload_too_large", error.get("error").asText(), error.toString());
      assertTrue(error.hasNonNull("message"), error.toString());
    }
    Http.assertError(http.get("/v1/functions/huge"), 404);
  }

  /** A module one byte over 50 MiB whose base64 still fits the body limit: 413 once decoded. */
  @Test
  void aModuleJustOverFiftyMebibytesAnswers413() throws Exception {
    int moduleBytes = 50 * 1024 * 1024 + 1;
    byte[] prefix = "{\"code\":\"".getBytes(StandardCharsets.US_ASCII);
    byte[] suffix = "\"}".getBytes(StandardCharsets.US_ASCII);
    int b64 = 4 * ((moduleBytes + 2) / 3);
    byte[] body = new byte[prefix.length + b64 + suffix.length];
    Arrays.fill(body, (byte) 'A'); // 50 MiB + 1 is a multiple of 3: no padding
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    System.arraycopy(suffix, 0, body, body.length - suffix.length, suffix.length);
    HttpResponse<String> r =
        http.put("/v1/functions/huge", new String(body, StandardCharsets.US_ASCII));
    JsonNode error = Http.assertError(r, 413);
    assertTrue(error.get("message").asText().contains("52428801 bytes"), error.toString());
  }

  /** Defect: validation instantiated the declared memory on the route's thread (2 GiB: a 500). */
  @Test
  void aModuleDeclaringTwoGibibytesIsValidatedWithoutThatMemoryAndAnsweredQuickly() throws Exception {
    byte[] twoGib =
        java.util.HexFormat.of()
            .parseHex("0061736d01000000010401600000030201000505010" + "0ffff01" + "070a01065f73746172740000" + "0a040102000b");
    long started = System.nanoTime();
    HttpResponse<String> r = http.deploy("two-gib", twoGib, Map.of("memoryMb", 2048));
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertEquals(201, r.statusCode(), r.body());
    assertTrue(ms < 10_000, "answered in " + ms + " ms");
  }

  /** Defects: a null env value or autoscaling knob was a 500; timeoutMs beyond invoke-timeout was accepted. */
  @Test
  void nullsAndTimeoutsTheGatewayWouldNotWaitForAre400() throws Exception {
    String code = java.util.Base64.getEncoder().encodeToString(ExampleFunctions.load("echo"));
    JsonNode env = Http.assertError(http.put("/v1/functions/nulls", "{\"code\":\"" + code + "\",\"env\":{\"A\":null}}"), 400);
    assertTrue(env.get("message").asText().contains("env values must not be null"), env.toString());
    Http.assertError(
        http.put("/v1/functions/nulls", "{\"code\":\"" + code + "\",\"autoscaling\":{\"panicWindowMs\":null}}"), 400);
    JsonNode timeout = Http.assertError(http.deploy("nulls", ExampleFunctions.load("echo"), Map.of("timeoutMs", 900_000)), 400);
    assertTrue(timeout.get("message").asText().contains("at most 300000"), timeout.toString());
    Http.assertError(http.get("/v1/functions/nulls"), 404);
  }
}
