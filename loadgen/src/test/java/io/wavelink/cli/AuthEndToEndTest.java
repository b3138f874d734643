package io.wavelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.gateway.AdminKey;
import io.wavelink.loadgen.TestMember;
import io.wavelink.persistence.ApiKeyStore;
import io.wavelink.persistence.testkit.Await;
import io.wavelink.persistence.testkit.TestCassandra;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication on (the default everywhere but in tests), against a real member and Cassandra: the
 * first start creates the admin key, stores only its hash and writes the key to a file only its
 * owner can read; every API call needs it; health and metrics stay open; failed attempts from one
 * address are throttled.
 */
class AuthEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient http = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static WaveLinkMember member;
  private static String url;
  private static Path keyFile;
  private static CqlSession session;

  @BeforeAll
  static void start() throws Exception {
    session = TestCassandra.newSession();
    session.execute("TRUNCATE wavelink.api_keys"); // a cluster without keys: its first start
    session.execute("TRUNCATE wavelink.api_key_ids");
    keyFile = dir.resolve("data").resolve("admin.key");
    member = TestMember.start(1024, Map.of("wavelink.auth.mode", "on", "wavelink.auth.key-file", keyFile.toString()));
    url = TestMember.url(member);
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
    if (session != null) {
      session.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (key != null) {
      b.header("Authorization", key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String adminKey() throws Exception {
    Await.until("the admin key written", Duration.ofSeconds(60), () -> Files.exists(keyFile));
    return Files.readString(keyFile).strip();
  }

  private record Run(int status, String out, String err) {}

  private static Run cli(String key, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = FunctionCli.run(args, url, key, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theFirstStartWritesAnAdminKeyOnlyItsOwnerReadsAndStoresOnlyItsHash() throws Exception {
    String key = adminKey();
    assertTrue(key.startsWith("wlk_"), "a key, not something else");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    String stored = session.execute("SELECT * FROM wavelink.api_keys").all().stream()
        .map(com.datastax.oss.driver.api.core.cql.Row::getFormattedContents).toList().toString();
    assertTrue(stored.contains(ApiKeyStore.hash(key)), stored);
    assertFalse(stored.contains(key), "never the key itself");

    // another member starting later finds it: no second admin key, no file
    Path other = dir.resolve("other").resolve("admin.key");
    assertNull(AdminKey.ensure(member.system(), ApiKeyStore.using(session), other).toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertFalse(Files.exists(other));
    assertFalse(Files.exists(other.resolveSibling("admin.key.pending")), "its offer withdrawn");

    // a member that cannot write its key file offers no key at all (nobody would hold it)
    Path notADirectory = Files.writeString(dir.resolve("a-file"), "x");
    long rows = session.execute("SELECT hash FROM wavelink.api_keys").all().size();
    java.util.concurrent.CompletableFuture<Path> unwritable =
        AdminKey.ensure(member.system(), ApiKeyStore.using(session), notADirectory.resolve("admin.key")).toCompletableFuture();
    assertTrue(unwritable.isCompletedExceptionally(), "fails at once, before Cassandra");
    assertEquals(rows, session.execute("SELECT hash FROM wavelink.api_keys").all().size());
  }

  @Test
  void everyApiCallNeedsTheKeyHealthAndMetricsDoNot() throws Exception {
    String key = adminKey();
    for (String path : new String[] {"/v1/functions", "/v1/functions/echo", "/v1/functions/echo/logs", "/v1/nodes"}) {
      HttpResponse<String> none = send("GET", path, null);
      assertEquals(401, none.statusCode(), path + ": " + none.body());
      JsonNode body = JSON.readTree(none.body());
      assertEquals("unauthorized", body.path("error").asText(), none.body());
      assertTrue(body.path("message").asText().contains("Authorization: Bearer"), none.body());
      assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), none.headers().toString());
    }
    assertEquals(401, send("POST", "/v1/functions/echo/invoke", null).statusCode());
    assertEquals(401, send("DELETE", "/v1/functions/echo", null).statusCode());
    assertEquals(401, send("GET", "/v1/functions", "Bearer wlk_not-the-key").statusCode());
    assertEquals(401, send("GET", "/v1/functions", "Basic YWRtaW46YWRtaW4=").statusCode());
    assertEquals(200, send("GET", "/health/ready", null).statusCode());
    assertEquals(200, send("GET", "/health/live", null).statusCode());
    assertEquals(200, send("GET", "/metrics", null).statusCode());
    assertEquals(200, send("GET", "/v1/nodes", "Bearer " + key).statusCode());
    assertEquals(200, send("GET", "/v1/functions", "Bearer " + key).statusCode());
  }

  @Test
  void theCliSendsTheKeyAndSaysWhatIsMissingWithoutIt() throws Exception {
    String key = adminKey();
    Path echo = Path.of("..", "examples", "functions", "echo.wasm");
    Run deployed = cli(key, "fn", "deploy", "auth-echo", echo.toString(), "--memory", "32");
    assertEquals(0, deployed.status(), deployed.err());
    Run invoked = cli(null, "fn", "invoke", "auth-echo", "--data", "hi", "--api-key", key);
    assertEquals(0, invoked.status(), invoked.err());
    assertEquals("hi", invoked.out());

    Run without = cli(null, "fn", "invoke", "auth-echo", "--data", "hi");
    assertEquals(FunctionCli.REFUSED, without.status());
    assertTrue(without.err().contains("HTTP 401") && without.err().contains("WAVELINK_API_KEY"), without.err());
    assertEquals(0, cli(key, "fn", "delete", "auth-echo").status());
  }

  @Test
  void anAdminIssuesKeysWhoseRolesLimitWhatTheyDoAndRevokesThem() throws Exception {
    String admin = "Bearer " + adminKey();
    assertEquals(0, cli(admin.substring(7), "fn", "deploy", "roles-echo", Path.of("..", "examples", "functions", "echo.wasm").toString(),
        "--memory", "32").status());

    JsonNode invoker = issue(admin, "{\"role\": \"invoker\"}", 201);
    JsonNode developer = issue(admin, "{\"role\": \"developer\"}", 201);
    String inv = "Bearer " + invoker.path("key").asText();
    String dev = "Bearer " + developer.path("key").asText();
    assertTrue(invoker.path("key").asText().startsWith("wlk_"), invoker.toString());
    assertFalse(invoker.path("key").asText().contains(invoker.path("id").asText().substring(2)), "the id says nothing of the key");

    // an invoker invokes, and nothing else
    assertEquals(200, sendBody("POST", "/v1/functions/roles-echo/invoke", inv, "x").statusCode());
    assertForbidden(send("GET", "/v1/functions/roles-echo", inv));
    assertForbidden(send("GET", "/v1/functions", inv));
    assertForbidden(send("DELETE", "/v1/functions/roles-echo", inv));
    assertForbidden(send("GET", "/v1/nodes", inv));
    // a developer reads and writes functions, but not keys
    assertEquals(200, send("GET", "/v1/functions/roles-echo/logs", dev).statusCode());
    assertEquals(200, sendBody("POST", "/v1/functions/roles-echo/invoke", dev, "x").statusCode());
    assertForbidden(send("GET", "/v1/namespaces/default/keys", dev));
    assertForbidden(sendBody("POST", "/v1/namespaces/default/keys", dev, "{\"role\": \"owner\"}"));

    // listed without secrets
    HttpResponse<String> listed = send("GET", "/v1/namespaces/default/keys", admin);
    assertEquals(200, listed.statusCode(), listed.body());
    assertTrue(listed.body().contains(developer.path("id").asText()) && listed.body().contains("\"invoker\""), listed.body());
    assertFalse(listed.body().contains(developer.path("key").asText()), "never a secret: " + listed.body());
    assertFalse(listed.body().contains(adminKey()), listed.body());

    // revoked: refused within the gateway's cache second
    HttpResponse<String> revoked = send("DELETE", "/v1/namespaces/default/keys/" + developer.path("id").asText(), admin);
    assertEquals(200, revoked.statusCode(), revoked.body());
    Await.until("the revoked key refused", Duration.ofSeconds(2).plusMillis(500),
        () -> send("GET", "/v1/functions/roles-echo/logs", dev).statusCode() == 401);
    assertEquals(200, sendBody("POST", "/v1/functions/roles-echo/invoke", inv, "x").statusCode(), "the others still work");

    // an expiring key stops working when it expires
    JsonNode brief = issue(admin, "{\"role\": \"invoker\", \"expiresInSeconds\": 1}", 201);
    assertFalse(brief.path("expiresAt").isNull(), brief.toString());
    Await.until("the expired key refused", Duration.ofSeconds(10),
        () -> sendBody("POST", "/v1/functions/roles-echo/invoke", "Bearer " + brief.path("key").asText(), "x").statusCode() == 401);

    // mistakes
    issue(admin, "{\"role\": \"admin\"}", 400);
    issue(admin, "{\"role\": 3}", 400);
    issue(admin, "not json", 400);
    issue(admin, "{\"role\": \"invoker\", \"expiresInSeconds\": 0}", 400);
    assertEquals(404, send("DELETE", "/v1/namespaces/default/keys/k_nosuchkey", admin).statusCode());
    assertEquals(409, send("DELETE", "/v1/namespaces/default/keys/admin", admin).statusCode());
    assertEquals(404, send("GET", "/v1/namespaces/other/keys", admin).statusCode());
    assertEquals(0, cli(admin.substring(7), "fn", "delete", "roles-echo").status());
  }

  private static JsonNode issue(String auth, String body, int status) throws Exception {
    HttpResponse<String> r = sendBody("POST", "/v1/namespaces/default/keys", auth, body);
    assertEquals(status, r.statusCode(), r.body());
    JsonNode json = JSON.readTree(r.body());
    if (status >= 400) {
      assertTrue(json.hasNonNull("message"), r.body());
    }
    return json;
  }

  private static void assertForbidden(HttpResponse<String> r) throws Exception {
    assertEquals(403, r.statusCode(), r.body());
    assertEquals("forbidden", JSON.readTree(r.body()).path("error").asText(), r.body());
  }

  private static HttpResponse<String> sendBody(String method, String path, String key, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", key).method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * From an address of its own (127.0.0.2, bound on the loopback), so that the other tests' address
   * is not throttled: after failures-per-minute (20) failures, 429 with Retry-After, even with the
   * right key; other addresses go on.
   */
  @Test
  void manyFailuresFromOneAddressAreThrottled() throws Exception {
    String key = adminKey();
    for (int i = 0; i < 20; i++) {
      assertTrue(raw("127.0.0.2", "/v1/functions", "Bearer wlk_guess-" + i).startsWith("HTTP/1.1 401"), "guess " + i);
    }
    String throttled = raw("127.0.0.2", "/v1/functions", "Bearer " + key);
    assertTrue(throttled.startsWith("HTTP/1.1 429"), throttled);
    assertTrue(throttled.toLowerCase(java.util.Locale.ROOT).contains("retry-after: "), throttled);
    assertTrue(throttled.contains("too_many_failures"), throttled);
    assertTrue(raw("127.0.0.3", "/v1/functions", "Bearer " + key).startsWith("HTTP/1.1 200"), "another address");
  }

  /** One request from {@code from} on a connection of its own; the whole response. */
  private static String raw(String from, String path, String authorization) throws Exception {
    try (java.net.Socket s = new java.net.Socket()) {
      s.bind(new java.net.InetSocketAddress(from, 0));
      s.connect(new java.net.InetSocketAddress("127.0.0.1", member.httpPort()), 5_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
