package io.wavelink.persistence.internal;

import java.nio.file.Path;

/**
 * Where one embedded Cassandra keeps its files, all under one base directory.
 *
 * <pre>
 * baseDir/
 *   conf/cassandra.yaml, conf/logback.xml, conf/jvm.args   (generated at every start)
 *   data/ commitlog/ saved_caches/ hints/ cdc_raw/ triggers/ (Cassandra's storage)
 *   logs/cassandra.log                                      (the child JVM's stdout and stderr)
 *   cassandra.pid                                           (while the child runs)
 * </pre>
 *
 * @param baseDir the absolute base directory
 */
public record CassandraLayout(Path baseDir) {

  public CassandraLayout {
    baseDir = baseDir.toAbsolutePath().normalize();
  }

  public Path confDir() {
    return baseDir.resolve("conf");
  }

  public Path yaml() {
    return confDir().resolve("cassandra.yaml");
  }

  public Path logbackXml() {
    return confDir().resolve("logback.xml");
  }

  public Path jvmArgs() {
    return confDir().resolve("jvm.args");
  }

  public Path dataDir() {
    return baseDir.resolve("data");
  }

  public Path commitlogDir() {
    return baseDir.resolve("commitlog");
  }

  public Path savedCachesDir() {
    return baseDir.resolve("saved_caches");
  }

  public Path hintsDir() {
    return baseDir.resolve("hints");
  }

  public Path cdcRawDir() {
    return baseDir.resolve("cdc_raw");
  }

  public Path triggersDir() {
    return baseDir.resolve("triggers");
  }

  public Path logDir() {
    return baseDir.resolve("logs");
  }

  public Path logFile() {
    return logDir().resolve("cassandra.log");
  }

  public Path pidFile() {
    return baseDir.resolve("cassandra.pid");
  }
}
