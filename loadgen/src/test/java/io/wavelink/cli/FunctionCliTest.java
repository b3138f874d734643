package io.wavelink.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.loadgen.TestMember;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
