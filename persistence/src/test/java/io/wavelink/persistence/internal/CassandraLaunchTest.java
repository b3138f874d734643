package io.wavelink.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.persistence.CassandraServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraLaunchTest {

  @TempDir Path dir;

  private CassandraServer.Settings settings() {
    return new CassandraServer.Settings(
        dir.resolve("cassandra.classpath"),
        dir.resolve("it's here"),
        "127.0.0.1",
        19042,
        17000,
        17199,
        "384m");
  }

  @Test
  void yamlUsesCassandra5KeysAndTheGivenPortsAndDirectories() {
    CassandraLayout layout = new CassandraLayout(settings().baseDir());
    String yaml = CassandraLaunch.yaml(settings(), layout);
    assertTrue(yaml.contains("native_transport_port: 19042\n"));
    assertTrue(yaml.contains("storage_port: 17000\n"));
    assertTrue(yaml.contains("- seeds: '127.0.0.1:17000'\n"));
    assertTrue(yaml.contains("commitlog_sync_period: 10000ms\n"));
    assertTrue(yaml.contains("memtable_heap_space: 64MiB\n"));
    assertTrue(
        yaml.contains("  - '" + layout.dataDir().toString().replace("'", "''") + "'\n"), yaml);
  }

  @Test
  void jvmOptionsCarryTheJava17FlagsAndJamm() {
    CassandraLayout layout = new CassandraLayout(settings().baseDir());
    Path jamm = dir.resolve("jamm-0.4.0.jar");
    CassandraClasspath classpath = new CassandraClasspath(dir.resolve("cp"), List.of(jamm), jamm);
    List<String> options = CassandraLaunch.jvmOptions(settings(), layout, classpath);
    assertTrue(options.contains("-javaagent:" + jamm));
    assertTrue(options.contains("-Xmx384m"));
    assertTrue(options.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"));
    assertTrue(options.contains("--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED"));
    assertTrue(options.contains("-Dcassandra.jmx.local.port=17199"));
    assertEquals(jamm.toString(), options.get(options.size() - 1));
  }

  @Test
  void writesTheFilesAndPutsTheMarkerOnTheCommandLine() throws Exception {
    CassandraLayout layout = new CassandraLayout(settings().baseDir());
    Path jamm = Files.createFile(dir.resolve("jamm-0.4.0.jar"));
    CassandraLaunch.writeFiles(
        settings(), layout, new CassandraClasspath(dir.resolve("cp"), List.of(jamm), jamm));
    assertTrue(Files.isRegularFile(layout.yaml()));
    assertTrue(Files.isDirectory(layout.commitlogDir()));
    assertTrue(Files.readString(layout.jvmArgs()).contains("\"-javaagent:" + jamm + "\"\n"));
    List<String> command = CassandraLaunch.command(layout);
    assertEquals(CassandraLaunch.MAIN_CLASS, command.get(command.size() - 1));
    assertTrue(command.contains("-Dwavelink.cassandra.dir=" + layout.baseDir()));
  }
}
