package io.wavelink.persistence.internal;

import io.wavelink.persistence.CassandraServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the files and the command line that start Cassandra 5.0 from its jars in a child JVM on
 * Java 17: {@code cassandra.yaml} (5.0 key names, with units), a quiet logback configuration, and
 * the JVM flags of Cassandra's {@code conf/jvm17-server.options}.
 */
public final class CassandraLaunch {

  /** Cassandra's entry point. */
  public static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";

  /** Marks the child's command line with its base directory, to recognise it later. */
  public static final String DIR_MARKER_PROPERTY = "wavelink.cassandra.dir";

  private static final List<String> ADD_EXPORTS =
      List.of(
          "java.base/jdk.internal.misc",
          "java.management.rmi/com.sun.jmx.remote.internal.rmi",
          "java.rmi/sun.rmi.registry",
          "java.rmi/sun.rmi.server",
          "java.sql/java.sql",
          "java.base/java.lang.ref",
          "jdk.unsupported/sun.misc",
          "jdk.compiler/com.sun.tools.javac.file",
          "jdk.attach/sun.tools.attach");

  private static final List<String> ADD_OPENS =
      List.of(
          "java.base/java.lang.module",
          "java.base/jdk.internal.loader",
          "java.base/jdk.internal.ref",
          "java.base/jdk.internal.reflect",
          "java.base/jdk.internal.math",
          "java.base/jdk.internal.module",
          "java.base/jdk.internal.util.jar",
          "jdk.management/com.sun.management.internal",
          "java.base/sun.nio.ch",
          "java.base/java.io",
          "java.base/java.lang.reflect",
          "jdk.compiler/com.sun.tools.javac",
          "java.base/java.lang",
          "java.base/java.util");

  private CassandraLaunch() {}

  /** Creates the directories of {@code layout} and writes its generated configuration files. */
  public static void writeFiles(
      CassandraServer.Settings settings, CassandraLayout layout, CassandraClasspath classpath)
      throws IOException {
    for (Path dir :
        List.of(
            layout.confDir(),
            layout.dataDir(),
            layout.commitlogDir(),
            layout.savedCachesDir(),
            layout.hintsDir(),
            layout.cdcRawDir(),
            layout.triggersDir(),
            layout.logDir())) {
      Files.createDirectories(dir);
    }
    Files.writeString(layout.yaml(), yaml(settings, layout), StandardCharsets.UTF_8);
    Files.writeString(layout.logbackXml(), LOGBACK_XML, StandardCharsets.UTF_8);
    Files.writeString(layout.jvmArgs(), argFile(jvmOptions(settings, layout, classpath)));
  }

  /**
   * The child's command: {@code java @conf/jvm.args -Dwavelink.cassandra.dir=BASE CassandraDaemon}.
   * The long options and the classpath live in the argument file so that {@code ps} stays readable;
   * the base directory and the main class stay on the command line, where {@link StaleCassandra}
   * looks for them.
   */
  public static List<String> command(CassandraLayout layout) {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@" + layout.jvmArgs(),
        "-D" + DIR_MARKER_PROPERTY + "=" + layout.baseDir(),
        MAIN_CLASS);
  }

  /** The JVM options (everything but the main class), one element per argument. */
  static List<String> jvmOptions(
      CassandraServer.Settings settings, CassandraLayout layout, CassandraClasspath classpath) {
    List<String> options = new ArrayList<>();
    options.add("-Xms" + settings.heap());
    options.add("-Xmx" + settings.heap());
    options.add("-XX:+UseG1GC");
    options.add("-XX:+ExitOnOutOfMemoryError");
    options.add("-javaagent:" + classpath.jammJar());
    options.add("-Djdk.attach.allowAttachSelf=true");
    ADD_EXPORTS.forEach(m -> options.add("--add-exports=" + m + "=ALL-UNNAMED"));
    ADD_OPENS.forEach(m -> options.add("--add-opens=" + m + "=ALL-UNNAMED"));
    options.add("-Dio.netty.tryReflectionSetAccessible=true");
    options.add("-Djava.net.preferIPv4Stack=true");
    options.add("-Dcassandra-foreground=yes");
    options.add("-Dcassandra.config=" + layout.yaml().toUri());
    options.add("-Dcassandra.storagedir=" + layout.baseDir());
    options.add("-Dcassandra.logdir=" + layout.logDir());
    options.add("-Dcassandra.triggers_dir=" + layout.triggersDir());
    options.add("-Dcassandra.jmx.local.port=" + settings.jmxPort());
    options.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    options.add("-Dcassandra.superuser_setup_delay_ms=0");
    options.add("-Dlogback.configurationFile=" + layout.logbackXml());
    options.add("-cp");
    options.add(classpath.asClasspath());
    return options;
  }

  /** A single-node {@code cassandra.yaml} for Cassandra 5.0 with small memory settings. */
  static String yaml(CassandraServer.Settings settings, CassandraLayout layout) {
    String host = quote(settings.host());
    return String.join(
        "\n",
        "# Generated by WaveLink's CassandraServer at every start; edits are overwritten.",
        "cluster_name: 'WaveLink'",
        "num_tokens: 1",
        "initial_token: 0",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch: SimpleSnitch",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        "      - seeds: " + quote(settings.host() + ":" + settings.storagePort()),
        "listen_address: " + host,
        "rpc_address: " + host,
        "storage_port: " + settings.storagePort(),
        "native_transport_port: " + settings.nativePort(),
        "start_native_transport: true",
        "auto_bootstrap: false",
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "commitlog_segment_size: 8MiB",
        "data_file_directories:",
        "  - " + quote(layout.dataDir().toString()),
        "commitlog_directory: " + quote(layout.commitlogDir().toString()),
        "saved_caches_directory: " + quote(layout.savedCachesDir().toString()),
        "hints_directory: " + quote(layout.hintsDir().toString()),
        "cdc_raw_directory: " + quote(layout.cdcRawDir().toString()),
        "authenticator: AllowAllAuthenticator",
        "authorizer: AllowAllAuthorizer",
        "memtable_heap_space: 64MiB",
        "memtable_offheap_space: 64MiB",
        "key_cache_size: 8MiB",
        "concurrent_reads: 4",
        "concurrent_writes: 4",
        "concurrent_counter_writes: 4",
        "concurrent_compactors: 1",
        "dynamic_snitch: false",
        "");
  }

  private static final String LOGBACK_XML =
      """
      <configuration>
        <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder>
            <pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern>
          </encoder>
        </appender>
        <root level="INFO">
          <appender-ref ref="STDOUT"/>
        </root>
      </configuration>
      """;

  /** A YAML single-quoted scalar. */
  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  /** A java {@code @argfile}: one double-quoted argument per line. */
  private static String argFile(List<String> arguments) {
    StringBuilder out = new StringBuilder();
    for (String argument : arguments) {
      out.append('"')
          .append(argument.replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"')
          .append('\n');
    }
    return out.toString();
  }
}
