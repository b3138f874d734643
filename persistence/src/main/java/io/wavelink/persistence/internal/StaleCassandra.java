package io.wavelink.persistence.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a Cassandra child JVM left running on a base directory by an earlier run whose parent died
 * without stopping it (a killed test JVM, a crashed launcher).
 *
 * <p>A process counts as such a leftover only if the pid file of the base directory names it, it is
 * alive, and its command line has both {@link CassandraLaunch#MAIN_CLASS} and this base directory's
 * {@link CassandraLaunch#DIR_MARKER_PROPERTY}. Nothing else is ever signalled.
 */
public final class StaleCassandra {

  private static final Logger log = LoggerFactory.getLogger(StaleCassandra.class);

  private StaleCassandra() {}

  /** The leftover Cassandra of {@code layout}, if one runs. */
  public static Optional<ProcessHandle> find(CassandraLayout layout) {
    if (!Files.isRegularFile(layout.pidFile())) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(layout.pidFile(), StandardCharsets.UTF_8).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    String marker = "-D" + CassandraLaunch.DIR_MARKER_PROPERTY + "=" + layout.baseDir();
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            p ->
                p.info()
                    .commandLine()
                    .map(c -> c.contains(CassandraLaunch.MAIN_CLASS) && c.contains(marker))
                    .orElse(false));
  }

  /**
   * Kills the leftover Cassandra of {@code layout}, if any, and waits until it is gone.
   *
   * @return whether there was one
   */
  public static boolean kill(CassandraLayout layout, Duration timeout) {
    Optional<ProcessHandle> stale = find(layout);
    stale.ifPresent(
        process -> {
          log.warn(
              "Killing Cassandra pid {} left running on {} by an earlier run",
              process.pid(),
              layout.baseDir());
          process.destroyForcibly();
          try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (ExecutionException | TimeoutException e) {
            log.warn("Cassandra pid {} did not exit within {}", process.pid(), timeout);
          }
        });
    return stale.isPresent();
  }
}
