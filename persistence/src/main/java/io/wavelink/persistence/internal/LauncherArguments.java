package io.wavelink.persistence.internal;

import io.wavelink.persistence.CassandraServer;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;

/** Parses the command line of {@link CassandraServer#main}. */
public final class LauncherArguments {

  /** Printed when the arguments are wrong. */
  public static final String USAGE =
      "usage: java -cp ... io.wavelink.persistence.CassandraServer [--dir DIR] [--port N]"
          + " [--storage-port N] [--jmx-port N] [--host HOST] [--heap SIZE] [--classpath-file"
          + " FILE]\n"
          + "  defaults: --dir data/cassandra --port 9042 --storage-port 7000 --jmx-port 7199"
          + " --host 127.0.0.1 --heap 384m";

  private static final Set<String> OPTIONS =
      Set.of(
          "--dir",
          "--classpath-file",
          "--host",
          "--port",
          "--storage-port",
          "--jmx-port",
          "--heap");

  private LauncherArguments() {}

  /**
   * Turns {@code args} into settings. {@code classpathFile} supplies the classpath file when {@code
   * --classpath-file} is absent.
   *
   * @throws IllegalArgumentException on an unknown option, a missing value or a bad number
   */
  public static CassandraServer.Settings parse(String[] args, Supplier<Path> classpathFile) {
    Path dir = Path.of("data", "cassandra");
    Path file = null;
    String host = CassandraServer.Settings.DEFAULT_HOST;
    int port = CassandraServer.Settings.DEFAULT_NATIVE_PORT;
    int storagePort = CassandraServer.Settings.DEFAULT_STORAGE_PORT;
    int jmxPort = CassandraServer.Settings.DEFAULT_JMX_PORT;
    String heap = CassandraServer.Settings.DEFAULT_HEAP;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option " + option);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--dir" -> dir = Path.of(value);
        case "--classpath-file" -> file = Path.of(value);
        case "--host" -> host = value;
        case "--port" -> port = number(option, value);
        case "--storage-port" -> storagePort = number(option, value);
        case "--jmx-port" -> jmxPort = number(option, value);
        case "--heap" -> heap = value;
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    return new CassandraServer.Settings(
        file != null ? file : classpathFile.get(), dir, host, port, storagePort, jmxPort, heap);
  }

  private static int number(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number, not '" + value + "'", e);
    }
  }
}
