package io.wavelink.gateway;

import io.wavelink.persistence.ApiKeyStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's admin API key: created by the first member with the gateway role to start (one
 * lightweight transaction in Cassandra decides which, {@link ApiKeyStore#createAdminIfAbsent}),
 * which writes it to its key file, readable by its owner only, and says where. Only its hash is
 * stored. Tried again every few seconds until Cassandra answers.
 */
public final class AdminKey {

  private static final Logger log = LoggerFactory.getLogger(AdminKey.class);
  private static final Duration RETRY = Duration.ofSeconds(5);

  private AdminKey() {}

  /**
   * Makes sure the admin key exists; completes with the key file if this member created it, or
   * null if it existed already.
   */
  public static CompletionStage<Path> ensure(ActorSystem<?> system, ApiKeyStore keys, Path keyFile) {
    CompletableFuture<Path> done = new CompletableFuture<>();
    attempt(system, keys, keyFile, done, 1);
    return done;
  }

  private static void attempt(ActorSystem<?> system, ApiKeyStore keys, Path keyFile, CompletableFuture<Path> done, int n) {
    keys.createAdminIfAbsent().whenComplete((created, error) -> {
      if (error != null) {
        if (n == 1) {
          log.info("The admin API key cannot be checked yet (Cassandra: {}); trying again every {} s", error.toString(), RETRY.toSeconds());
        }
        if (!system.whenTerminated().isCompleted()) {
          system.scheduler().scheduleOnce(RETRY, () -> attempt(system, keys, keyFile, done, n + 1), system.executionContext());
        }
        return;
      }
      if (created.isEmpty()) {
        String where = Files.exists(keyFile) ? " (the key is in " + keyFile.toAbsolutePath() + ")"
            : " (by another member: the key is in its data directory's admin.key)";
        log.info("Authentication on: the cluster's admin API key was created earlier{}", where);
        done.complete(null);
        return;
      }
      try {
        write(keyFile, created.get());
        String message = "Authentication on: admin API key written to " + keyFile.toAbsolutePath()
            + " (readable by its owner only); use it with: export WAVELINK_API_KEY=$(cat " + keyFile.toAbsolutePath() + ")";
        System.out.println(message);
        log.info(message);
        done.complete(keyFile);
      } catch (IOException | RuntimeException e) {
        log.error("The admin API key was created but could not be written to {}: {}. To make a new one, stop WaveLink,"
            + " delete the row 'admin' from wavelink.api_key_ids, and start again", keyFile.toAbsolutePath(), e.toString());
        done.completeExceptionally(e);
      }
    });
  }

  /** Writes the key to {@code file} (replacing a stale one), readable and writable by its owner only. */
  static void write(Path file, String key) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, ".admin-key", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      tmp = Files.createTempFile(dir, ".admin-key", ".tmp");
    }
    Files.writeString(tmp, key + "\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
