package io.wavelink.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, exit codes, and clear errors without stack traces. */
class MainTest {

  @TempDir Path dir;

  record Result(int status, String out, String err) {}

  static Result main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static void assertNoStackTrace(Result r) {
    assertFalse(r.err().contains("\tat "), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void parsesEveryOption() {
    LoadgenOptions o = LoadgenOptions.parse("run", List.of(
        "--trace", "synthetic:burst", "--target", "http://a:8080/", "--target=http://b:8080", "--out", "o",
        "--minutes", "2.5", "--speedup", "10", "--seed", "-3", "--functions", "7", "--regular-track-delay", "1500",
        "--mode", "sync", "--arrivals", "uniform", "--max-scale", "20", "--max-memory-mb", "256", "--work", "sleep", "--quiet"));
    assertEquals(List.of("http://a:8080", "http://b:8080"), o.targets().stream().map(Object::toString).toList());
    assertEquals(2.5, o.minutes().getAsDouble());
    assertEquals(10, o.speedup());
    assertEquals(-3, o.seed());
    assertEquals(7, o.functions().getAsInt());
    assertEquals(1500, o.regularTrackDelayMs().getAsLong());
    assertEquals("sync", o.mode());
    assertEquals(LoadgenOptions.Arrivals.UNIFORM, o.arrivals());
    assertEquals(20, o.maxScale());
    assertEquals(256, o.maxMemoryMb());
    assertEquals(LoadgenOptions.Work.SLEEP, o.work());
    assertTrue(o.quiet());

    LoadgenOptions d = LoadgenOptions.parse("run", List.of("--trace", "t", "--target", "http://a", "--out", "o"));
    assertEquals("dual", d.mode());
    assertEquals(1.0, d.speedup());
    assertEquals(LoadgenOptions.DEFAULT_SEED, d.seed());
    assertTrue(d.regularTrackDelayMs().isEmpty(), "the cluster's default unless given");
    assertEquals(LoadgenOptions.Work.SPIN, d.work(), "today's busy function unless told");
  }

  @Test
  void badOptionsAreUsageErrors() {
    assertTrue(assertThrows(UsageException.class, () -> LoadgenOptions.parse("run", List.of("--trace", "t", "--out", "o")))
        .getMessage().contains("--target is required"));
    assertTrue(assertThrows(UsageException.class, () -> LoadgenOptions.parse("run", List.of("--trace", "t", "--target", "ftp://x", "--out", "o")))
        .getMessage().contains("http(s) URL"));
    assertTrue(assertThrows(UsageException.class, () -> LoadgenOptions.parse("run", List.of("--speedup", "0")))
        .getMessage().contains("greater than 0"));
    assertTrue(assertThrows(UsageException.class, () -> LoadgenOptions.parse("compare", List.of("--trace", "t", "--target", "http://x", "--out", "o", "--mode", "dual")))
        .getMessage().contains("--mode is for run"));
    assertTrue(assertThrows(UsageException.class, () -> LoadgenOptions.parse("run", List.of("--work", "nap")))
        .getMessage().contains("--work must be spin or sleep"));

    Result r = main("run", "--trace", "t", "--target", "http://x", "--out", "o", "--colour", "red");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("unknown option --colour") && r.err().contains("usage:"), r.err());
    assertEquals(2, main().status());
    assertEquals(2, main("launch").status());
    assertEquals(0, main("--help").status());
  }

  @Test
  void anUnreachableGatewayIsNamed() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result r = main("run", "--trace", "synthetic:azure?functions=2&minutes=1", "--target", "http://127.0.0.1:" + port,
        "--out", dir.resolve("out").toString(), "--quiet");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("cannot reach the WaveLink gateway at http://127.0.0.1:" + port), r.err());
    assertNoStackTrace(r);
    assertFalse(Files.exists(dir.resolve("out")), "nothing written when nothing ran");
  }

  @Test
  void aMalformedTraceIsNamedWithItsLine() throws IOException {
    Path f = dir.resolve("calls.csv");
    Files.writeString(f, "app,func,end_timestamp,duration\na,f,1.5,0.5\na,f,oops,0.5\n");
    Result r = main("compare", "--trace", f.toString(), "--target", "http://127.0.0.1:9", "--out", dir.resolve("o").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("loadgen: error: " + f + ", line 3: end_timestamp must be a number"), r.err());
    assertNoStackTrace(r);
  }
}
