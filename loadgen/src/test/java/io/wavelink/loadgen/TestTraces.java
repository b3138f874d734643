package io.wavelink.loadgen;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The trace excerpts under src/test/resources/traces, and option helpers. */
public final class TestTraces {

  private TestTraces() {}

  public static Path resource(String name) {
    try {
      return Path.of(TestTraces.class.getResource("/traces/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** run options for {@code trace}, with a dummy target and output, plus {@code more}. */
  public static LoadgenOptions options(String trace, String... more) {
    List<String> args = new ArrayList<>(List.of("--trace", trace, "--target", "http://127.0.0.1:9", "--out", "unused"));
    args.addAll(List.of(more));
    return LoadgenOptions.parse("run", args);
  }
}
