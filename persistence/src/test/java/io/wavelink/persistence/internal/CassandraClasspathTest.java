package io.wavelink.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraClasspathTest {

  @TempDir Path root;

  @Test
  void thePropertyWinsOverTheEnvironment() throws Exception {
    Path a = Files.createFile(root.resolve("a.classpath"));
    Path b = Files.createFile(root.resolve("b.classpath"));
    assertEquals(
        a, CassandraClasspath.locate(Optional.of(a.toString()), Optional.of(b.toString()), root));
    assertEquals(b, CassandraClasspath.locate(Optional.empty(), Optional.of(b.toString()), root));
  }

  @Test
  void findsTheBuildOutputAboveTheWorkingDirectory() throws Exception {
    Path file = root.resolve(CassandraClasspath.BUILD_OUTPUT);
    Files.createDirectories(file.getParent());
    Files.createFile(file);
    Path module = Files.createDirectories(root.resolve("gateway").resolve("src"));
    assertEquals(file, CassandraClasspath.locate(Optional.empty(), Optional.empty(), module));
  }

  @Test
  void saysHowToBuildAMissingFile() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> CassandraClasspath.locate(Optional.empty(), Optional.empty(), root));
    assertTrue(e.getMessage().contains("./mvnw -pl persistence/cassandra-server install"));
    IllegalStateException fromProperty =
        assertThrows(
            IllegalStateException.class,
            () ->
                CassandraClasspath.locate(
                    Optional.of(root.resolve("nope").toString()), Optional.empty(), root));
    assertTrue(fromProperty.getMessage().contains(CassandraClasspath.FILE_PROPERTY));
  }

  @Test
  void readsTheJarsAndFindsJamm() throws Exception {
    Path cassandra = Files.createFile(root.resolve("cassandra-all-5.0.9.jar"));
    Path jamm = Files.createFile(root.resolve("jamm-0.4.0.jar"));
    Path file = root.resolve("cassandra.classpath");
    Files.writeString(file, cassandra + File.pathSeparator + jamm + "\n");
    CassandraClasspath classpath = CassandraClasspath.read(file);
    assertEquals(jamm, classpath.jammJar());
    assertEquals(cassandra + File.pathSeparator + jamm, classpath.asClasspath());
  }

  @Test
  void rejectsJarsThatNoLongerExist() throws Exception {
    Path file = root.resolve("cassandra.classpath");
    Files.writeString(file, root.resolve("gone.jar").toString());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> CassandraClasspath.read(file));
    assertTrue(e.getMessage().contains("gone.jar"));
  }
}
