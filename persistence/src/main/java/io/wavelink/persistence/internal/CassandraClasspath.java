package io.wavelink.persistence.internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Apache Cassandra's own jars, as listed by {@code persistence/cassandra-server} in {@code
 * target/cassandra.classpath} (one line, entries separated by the platform's path separator).
 *
 * @param file the classpath file read
 * @param entries the jars, in order
 * @param jammJar the jamm jar among them, which Cassandra needs as {@code -javaagent}
 */
public record CassandraClasspath(Path file, List<Path> entries, Path jammJar) {

  /** System property naming the classpath file. */
  public static final String FILE_PROPERTY = "wavelink.cassandra.classpath-file";

  /** Environment variable naming the classpath file, used when the property is not set. */
  public static final String FILE_ENV = "WAVELINK_CASSANDRA_CLASSPATH";

  /** Where the build writes the file, relative to the repository root. */
  public static final Path BUILD_OUTPUT =
      Path.of("persistence", "cassandra-server", "target", "cassandra.classpath");

  private static final String BUILD_HINT =
      "build it with ./mvnw -pl persistence/cassandra-server install"
          + " (it writes persistence/cassandra-server/target/cassandra.classpath)";

  public CassandraClasspath {
    entries = List.copyOf(entries);
  }

  /** The entries joined with the path separator, for {@code -cp}. */
  public String asClasspath() {
    return String.join(File.pathSeparator, entries.stream().map(Path::toString).toList());
  }

  /**
   * Finds the classpath file: the system property {@value #FILE_PROPERTY}, else the environment
   * variable {@value #FILE_ENV}, else {@link #BUILD_OUTPUT} under the working directory or one of
   * its parents.
   *
   * @throws IllegalStateException with what to do, if there is no such file
   */
  public static Path locate() {
    return locate(
        Optional.ofNullable(System.getProperty(FILE_PROPERTY)),
        Optional.ofNullable(System.getenv(FILE_ENV)),
        Path.of(System.getProperty("user.dir")));
  }

  static Path locate(Optional<String> property, Optional<String> env, Path workingDir) {
    if (property.filter(p -> !p.isBlank()).isPresent()) {
      return existing(Path.of(property.get()), "system property " + FILE_PROPERTY);
    }
    if (env.filter(e -> !e.isBlank()).isPresent()) {
      return existing(Path.of(env.get()), "environment variable " + FILE_ENV);
    }
    for (Path dir = workingDir.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(BUILD_OUTPUT);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "Cassandra's classpath file was not found: set -D"
            + FILE_PROPERTY
            + "=FILE or "
            + FILE_ENV
            + "=FILE, or run from the WaveLink checkout after the build wrote "
            + BUILD_OUTPUT
            + " ("
            + BUILD_HINT
            + "); searched upwards from "
            + workingDir.toAbsolutePath());
  }

  /**
   * Reads and checks a classpath file.
   *
   * @throws IllegalStateException if it is empty, lists jars that no longer exist, or has no jamm
   */
  public static CassandraClasspath read(Path file) {
    existing(file, "the settings");
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read Cassandra's classpath file " + file, e);
    }
    List<Path> entries =
        Arrays.stream(content.split(File.pathSeparator))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .map(Path::of)
            .toList();
    if (entries.isEmpty()) {
      throw new IllegalStateException(
          "Cassandra's classpath file " + file + " is empty; " + BUILD_HINT);
    }
    List<Path> missing = entries.stream().filter(p -> !Files.exists(p)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "Cassandra's classpath file "
              + file
              + " lists "
              + missing.size()
              + " jar(s) that do not exist, e.g. "
              + missing.get(0)
              + "; "
              + BUILD_HINT);
    }
    Path jamm =
        entries.stream()
            .filter(p -> p.getFileName().toString().matches("jamm-[0-9.]+\\.jar"))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "No jamm jar in Cassandra's classpath file " + file + "; " + BUILD_HINT));
    return new CassandraClasspath(file, entries, jamm);
  }

  private static Path existing(Path file, String source) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "Cassandra's classpath file "
              + file
              + " (from "
              + source
              + ") does not exist; "
              + BUILD_HINT);
    }
    return file;
  }
}
