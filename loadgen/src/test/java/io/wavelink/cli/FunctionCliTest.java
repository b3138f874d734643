package io.wavelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.loadgen.TestMember;
import io.wavelink.persistence.testkit.Await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function CLI against a real member (real Cassandra, HTTP and WebAssembly): each command, the
 * messages it prints, and the exit status a script sees.
 */
class FunctionCliTest {

  private static final Path EXAMPLES = Path.of("..", "examples", "functions");

  private static WaveLinkMember member;
  private static String url;

  @TempDir Path dir;

  /** What one run of the CLI printed and returned. */
  private record Run(int status, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    member = TestMember.start(2048);
    url = TestMember.url(member);
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  private static Run cliWithInput(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FunctionCli.run(
            args, url, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run cli(String... args) {
    return cliWithInput("", args);
  }

  private static String example(String name) {
    return EXAMPLES.resolve(name + ".wasm").toString();
  }

  @Test
  void deployInvokeListGetAndDelete() throws Exception {
    Run deployed = cli("fn", "deploy", "cli-echo", example("echo"), "--memory", "32", "--concurrency", "2",
        "--min", "0", "--max", "3", "--env", "GREETING=hi");
    assertEquals(0, deployed.status(), deployed.err());
    assertEquals("deployed cli-echo: version 1\n", deployed.out());
    Run updated = cli("fn", "deploy", "cli-echo", example("echo"), "--memory", "32", "--timeout", "5000");
    assertEquals("updated cli-echo: version 2\n", updated.out());

    Run invoked = cli("fn", "invoke", "cli-echo", "--data", "hello from the cli", "-v");
    assertEquals(0, invoked.status(), invoked.err());
    assertEquals("hello from the cli", invoked.out(), "the output as is, nothing added");
    assertTrue(invoked.err().contains("HTTP 200"), invoked.err());
    assertTrue(invoked.err().toLowerCase().contains("x-wavelink-instance-kind: "), invoked.err());

    Path input = dir.resolve("input.txt");
    Files.writeString(input, "from a file");
    assertEquals("from a file", cli("fn", "invoke", "cli-echo", "--data", "@" + input).out());
    assertEquals("from stdin", cliWithInput("from stdin", "fn", "invoke", "cli-echo", "--data", "-").out());

    Run async = cli("fn", "invoke", "cli-echo", "--data", "later", "--async");
    assertEquals(0, async.status(), async.err());
    String id = async.out().trim();
    assertTrue(id.startsWith("inv_"), async.out());
    io.wavelink.persistence.testkit.Await.until("the async call succeeded", java.time.Duration.ofSeconds(60),
        () -> cli("fn", "invocation", id).out().contains("\"status\" : \"succeeded\""));
    assertEquals(FunctionCli.NOT_FOUND, cli("fn", "invocation", "inv_nope").status());

    Run list = cli("fn", "list");
    assertEquals(0, list.status(), list.err());
    assertTrue(list.out().startsWith("NAME"), list.out());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("cli-echo ") && l.contains(" 2 ")), list.out());

    Run get = cli("fn", "get", "cli-echo");
    assertEquals(0, get.status());
    assertTrue(get.out().contains("\"name\" : \"cli-echo\""), get.out());
    assertTrue(get.out().contains("\"timeoutMs\" : 5000"), get.out());

    Run nodes = cli("nodes");
    assertEquals(0, nodes.status(), nodes.err());
    assertTrue(nodes.out().lines().anyMatch(l -> l.contains(" up ")), nodes.out());

    assertEquals("deleted cli-echo\n", cli("fn", "delete", "cli-echo").out());
    Run gone = cli("fn", "invoke", "cli-echo");
    assertEquals(FunctionCli.NOT_FOUND, gone.status());
    assertTrue(gone.err().contains("HTTP 404"), gone.err());
  }

  @Test
  void envValuesReachTheFunctionButNoResponse() {
    String secret = "s3cret-" + System.nanoTime();
    assertEquals(0, cli("fn", "deploy", "cli-env", example("env"), "--env", "GREETING=" + secret).status());
    Run invoked = cli("fn", "invoke", "cli-env");
    assertEquals(0, invoked.status(), invoked.err());
    assertEquals(secret, invoked.out(), "the function sees its env");

    Run get = cli("fn", "get", "cli-env");
    assertEquals(0, get.status(), get.err());
    assertTrue(get.out().contains("\"envNames\" : [ \"GREETING\" ]"), get.out());
    assertFalse(get.out().contains(secret), "GET shows the names, never the values: " + get.out());
    Run list = cli("fn", "list");
    assertEquals(0, list.status(), list.err());
    assertFalse(list.out().contains(secret), list.out());
    assertEquals(0, cli("fn", "delete", "cli-env").status());
  }

  @Test
  void theInvocationLogShowsRecentCallsWithTheirStatusAndStderr() throws Exception {
    assertEquals(0, cli("fn", "deploy", "cli-logs", example("echo")).status());
    assertEquals(0, cli("fn", "logs", "cli-logs").status());
    assertEquals("", cli("fn", "logs", "cli-logs").out(), "no call yet");
    assertEquals(0, cli("fn", "invoke", "cli-logs", "--data", "one").status());
    assertEquals(0, cli("fn", "invoke", "cli-logs", "--data", "two").status());
    // a call's end reaches its function's log just after its answer reached the caller
    Await.until("two calls in the log", Duration.ofSeconds(10),
        () -> cli("fn", "logs", "cli-logs").out().lines().filter(l -> l.contains(" ok ")).count() == 2);
    Run logs = cli("fn", "logs", "cli-logs");
    assertEquals(0, logs.status(), logs.err());
    assertEquals(2, logs.out().lines().count(), logs.out());

    // a new version that fails: its call is logged with its status and stderr
    assertEquals(0, cli("fn", "deploy", "cli-logs", example("fail")).status());
    assertEquals(FunctionCli.FUNCTION_FAILED, cli("fn", "invoke", "cli-logs").status());
    Await.until("the failed call in the log", Duration.ofSeconds(10),
        () -> cli("fn", "logs", "cli-logs", "--limit", "1").out().contains(" function_error "));
    Run failed = cli("fn", "logs", "cli-logs", "--limit", "1");
    List<String> lines = failed.out().lines().toList();
    assertTrue(lines.get(0).contains(" function_error "), failed.out());
    assertTrue(lines.contains("    | fail: something went wrong"), failed.out());

    // the HTTP API pages it: the most recent, then what comes after a number
    HttpClient http = HttpClient.newHttpClient();
    JsonNode recent = json(http, "/v1/functions/cli-logs/logs?limit=2");
    assertEquals(2, recent.path("entries").size(), recent.toString());
    assertEquals(3, recent.path("next").asLong(), "three calls so far: " + recent);
    assertEquals("function_error", recent.path("entries").get(1).path("status").asText());
    assertTrue(recent.path("entries").get(1).path("instance").asText().startsWith("cli-logs-"), recent.toString());
    JsonNode after = json(http, "/v1/functions/cli-logs/logs?after=1");
    assertEquals(2, after.path("entries").size(), after.toString());
    assertEquals(2, after.path("entries").get(0).path("seq").asLong());
    assertEquals(0, json(http, "/v1/functions/cli-logs/logs?after=3").path("entries").size());

    assertEquals(FunctionCli.USAGE, cli("fn", "logs", "cli-logs", "--limit", "0").status());

    // a call the function answers itself, without an instance, is in its log too, with why
    assertEquals(0, cli("fn", "deploy", "cli-too-big", example("echo"), "--memory", "4000").status());
    assertEquals(FunctionCli.UNAVAILABLE, cli("fn", "invoke", "cli-too-big").status(), "no node of 2048 MB holds it");
    Await.until("the refused call in the log", Duration.ofSeconds(10),
        () -> cli("fn", "logs", "cli-too-big").out().contains(" no_capacity "));
    String refused = cli("fn", "logs", "cli-too-big").out();
    assertTrue(refused.contains("    no worker node can hold an instance of cli-too-big"), "with its message: " + refused);
    assertEquals(0, cli("fn", "delete", "cli-too-big").status());
    HttpResponse<String> bad = http.send(
        HttpRequest.newBuilder(URI.create(url + "/v1/functions/cli-logs/logs?after=x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("\"message\""), bad.body());
    assertEquals(0, cli("fn", "delete", "cli-logs").status());
    assertEquals(FunctionCli.NOT_FOUND, cli("fn", "logs", "cli-logs").status());
  }

  private static JsonNode json(HttpClient http, String path) throws Exception {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body());
  }

  @Test
  void aFailingFunctionShowsItsStderrAndExitsOne() {
    assertEquals(0, cli("fn", "deploy", "cli-trap", example("trap")).status());
    Run r = cli("fn", "invoke", "cli-trap", "--data", "x");
    assertEquals(FunctionCli.FUNCTION_FAILED, r.status(), r.err());
    assertTrue(r.err().contains("HTTP 502"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void refusalsAndMistakesHaveTheirOwnExitStatus() throws Exception {
    Run invalid = cli("fn", "deploy", "cli-bad", example("echo"), "--min", "5", "--max", "1");
    assertEquals(FunctionCli.REFUSED, invalid.status());
    assertTrue(invalid.err().contains("HTTP 400") && invalid.err().contains("minScale"), invalid.err());

    Path notWasm = dir.resolve("not.wasm");
    Files.writeString(notWasm, "not webassembly");
    assertEquals(FunctionCli.REFUSED, cli("fn", "deploy", "cli-bad", notWasm.toString()).status());

    Run missing = cli("fn", "deploy", "cli-bad", dir.resolve("absent.wasm").toString());
    assertEquals(FunctionCli.USAGE, missing.status());
    assertTrue(missing.err().contains("no such file"), missing.err());
    assertEquals(FunctionCli.USAGE, cli("fn", "deploy", "cli-bad", example("echo"), "--memory", "lots").status());
    assertEquals(FunctionCli.USAGE, cli("fn", "frobnicate").status());
    assertEquals(FunctionCli.USAGE, cli().status());
    assertEquals(0, cli("--help").status());
    assertEquals(FunctionCli.NOT_FOUND, cli("fn", "get", "cli-never-deployed").status());

    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Run noGateway = cli("--url", "http://127.0.0.1:" + closedPort, "fn", "list");
    assertEquals(FunctionCli.NO_CONNECTION, noGateway.status());
    assertTrue(noGateway.err().contains("cannot connect"), noGateway.err());
  }
}
