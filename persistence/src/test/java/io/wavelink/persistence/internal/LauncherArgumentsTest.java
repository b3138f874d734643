package io.wavelink.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wavelink.persistence.CassandraServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LauncherArgumentsTest {

  private static final Path CLASSPATH = Path.of("/tmp/cassandra.classpath");

  @Test
  void defaults() {
    CassandraServer.Settings settings = LauncherArguments.parse(new String[0], () -> CLASSPATH);
    assertEquals(Path.of("data", "cassandra").toAbsolutePath(), settings.baseDir());
    assertEquals(9042, settings.nativePort());
    assertEquals(7000, settings.storagePort());
    assertEquals(7199, settings.jmxPort());
    assertEquals(CLASSPATH, settings.classpathFile());
  }

  @Test
  void options() {
    CassandraServer.Settings settings =
        LauncherArguments.parse(
            new String[] {
              "--dir",
              "/var/lib/wl",
              "--port",
              "9142",
              "--storage-port",
              "7100",
              "--jmx-port",
              "7299",
              "--heap",
              "512m",
              "--classpath-file",
              "/x.classpath"
            },
            () -> {
              throw new AssertionError("not needed");
            });
    assertEquals(Path.of("/var/lib/wl"), settings.baseDir());
    assertEquals(9142, settings.nativePort());
    assertEquals(7100, settings.storagePort());
    assertEquals(7299, settings.jmxPort());
    assertEquals("512m", settings.heap());
    assertEquals(Path.of("/x.classpath"), settings.classpathFile());
  }

  @Test
  void rejectsBadInput() {
    assertThrows(
        IllegalArgumentException.class,
        () -> LauncherArguments.parse(new String[] {"--port"}, () -> CLASSPATH));
    assertThrows(
        IllegalArgumentException.class,
        () -> LauncherArguments.parse(new String[] {"--port", "x"}, () -> CLASSPATH));
    assertThrows(
        IllegalArgumentException.class,
        () -> LauncherArguments.parse(new String[] {"--bogus", "1"}, () -> CLASSPATH));
  }
}
