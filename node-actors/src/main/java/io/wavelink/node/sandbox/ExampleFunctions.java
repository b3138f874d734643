package io.wavelink.node.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The example functions of {@code examples/functions/} (WAT sources compiled to {@code .wasm}),
 * packaged on node-actors' classpath under {@code io/wavelink/examples/}, for tests, benchmarks and
 * load generation in any module.
 *
 * <ul>
 *   <li>{@code echo}: copies stdin to stdout;
 *   <li>{@code busy}: reads {@code "<ms> [mb]"}, touches mb MiB of memory, spins ms milliseconds on
 *       the monotonic clock, writes {@code "ok <ms>"};
 *   <li>{@code sleep}: as busy, but waits the ms in WASI {@code poll_oneoff} without using a core;
 *   <li>{@code trap}: writes to stderr, then traps ({@code unreachable});
 *   <li>{@code fail}: writes to stderr, then {@code proc_exit(3)};
 *   <li>{@code loop}: loops forever;
 *   <li>{@code env}: writes the value of the environment variable {@code GREETING}, or {@code
 *       "unset"};
 *   <li>{@code invocation-id}: writes the value of {@code WAVELINK_INVOCATION_ID} (its call's id), or
 *       {@code "unset"}.
 * </ul>
 */
public final class ExampleFunctions {

  /** Names of all example functions. */
  public static final List<String> NAMES = List.of("echo", "busy", "sleep", "trap", "fail", "loop", "env", "invocation-id");

  private static final String DIRECTORY = "/io/wavelink/examples/";

  private ExampleFunctions() {}

  /**
   * The compiled module of an example function.
   *
   * @param name a name from {@link #NAMES}, without extension
   * @throws IllegalArgumentException if there is no such example on the classpath
   */
  public static byte[] load(String name) {
    String resource = DIRECTORY + name + ".wasm";
    try (InputStream in = ExampleFunctions.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no example function " + name + " (classpath resource " + resource + ")");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
