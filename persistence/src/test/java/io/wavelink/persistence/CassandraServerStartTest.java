package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link CassandraServer} fails, without starting a real Cassandra. */
class CassandraServerStartTest {

  @TempDir Path dir;

  @Test
  void refusesToStartWhenThePortIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      CassandraServer.Settings settings =
          settings(fakeClasspath()).withFreePorts().withNativePort(taken.getLocalPort());
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> CassandraServer.start(settings));
      assertTrue(
          e.getMessage().contains("CQL native port " + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
    }
  }

  @Test
  void awaitReadyFailsEarlyWithTheLogWhenTheChildDies() throws Exception {
    CassandraServer server = CassandraServer.start(settings(fakeClasspath()).withFreePorts());
    try {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> server.awaitReady(Duration.ofMinutes(2)));
      assertTrue(e.getMessage().contains("exited with code"), e.getMessage());
      assertTrue(e.getMessage().contains("jamm"), "log tail: " + e.getMessage());
      assertFalse(server.isAlive());
    } finally {
      server.stop();
    }
  }

  @Test
  void explainsHowToBuildAMissingClasspathFile() {
    CassandraServer.Settings settings = settings(dir.resolve("absent.classpath"));
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> CassandraServer.start(settings.withFreePorts()));
    assertTrue(
        e.getMessage().contains("./mvnw -pl persistence/cassandra-server install"), e.getMessage());
  }

  /** A classpath whose jamm "jar" is an empty file: the child JVM exits at once. */
  private Path fakeClasspath() throws Exception {
    Path jamm = Files.createFile(dir.resolve("jamm-0.4.0.jar"));
    Path file = dir.resolve("cassandra.classpath");
    Files.writeString(file, jamm + File.pathSeparator + jamm);
    return file;
  }

  private CassandraServer.Settings settings(Path classpathFile) {
    return new CassandraServer.Settings(
        classpathFile, dir.resolve("cassandra"), "127.0.0.1", 19042, 17000, 17199, "64m");
  }
}
