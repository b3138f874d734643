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
 * stored in Cassandra.
 *
 * <p>The key is written first, to {@code <key file>.pending}, and only then offered to Cassandra:
 * a member that cannot write its key file creates no key (so nobody is locked out by a key that
 * nobody holds), and a member that stops, or loses Cassandra's answer, between the two finds the
 * pending key at its next attempt or start and offers the same key again. Tried again every few
 * seconds until Cassandra answers.
 */
public final class AdminKey {

  private static final Logger log = LoggerFactory.getLogger(AdminKey.class);
  private static final Duration RETRY = Duration.ofSeconds(5);

  private AdminKey() {}

  /**
   * Makes sure the admin key exists; completes with the key file if this member created it, or
   * null if it existed already; fails if the key file cannot be written (nothing is created then).
   */
  public static CompletionStage<Path> ensure(ActorSystem<?> system, ApiKeyStore keys, Path keyFile) {
    CompletableFuture<Path> done = new CompletableFuture<>();
    Path pending = keyFile.resolveSibling(keyFile.getFileName() + ".pending");
    String secret;
    try {
      secret = Files.exists(pending) ? Files.readString(pending).strip() : null;
      if (secret == null || !secret.startsWith("wlk_")) {
        secret = ApiKeyStore.newSecret();
        write(pending, secret);
      }
    } catch (IOException | RuntimeException e) {
      log.error("Authentication on, but the admin API key cannot be written to {} ({}): no admin key is made."
          + " Set WAVELINK_DATA_DIR or WAVELINK_ADMIN_KEY_FILE to a place this member may write, and restart",
          keyFile.toAbsolutePath(), e.toString());
      done.completeExceptionally(e);
      return done;
    }
    attempt(system, keys, keyFile, pending, secret, done, 1);
    return done;
  }

  private static void attempt(
      ActorSystem<?> system, ApiKeyStore keys, Path keyFile, Path pending, String secret, CompletableFuture<Path> done, int n) {
    keys.createAdminIfAbsent(secret).whenComplete((ours, error) -> {
      if (error != null) {
        if (n == 1) {
          log.info("The admin API key cannot be checked yet (Cassandra: {}); trying again every {} s", error.toString(), RETRY.toSeconds());
        }
        if (!system.whenTerminated().isCompleted()) {
          system.scheduler().scheduleOnce(RETRY, () -> attempt(system, keys, keyFile, pending, secret, done, n + 1),
              system.executionContext());
        }
        return;
      }
      try {
        if (!ours) {
          Files.deleteIfExists(pending);
          String where = Files.exists(keyFile) ? " (the key is in " + keyFile.toAbsolutePath() + ")"
              : " (by another member: the key is in its data directory's admin.key)";
          log.info("Authentication on: the cluster's admin API key was created earlier{}", where);
          done.complete(null);
          return;
        }
        Files.move(pending, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        String message = "Authentication on: admin API key written to " + keyFile.toAbsolutePath()
            + " (readable by its owner only); use it with: export WAVELINK_API_KEY=$(cat " + keyFile.toAbsolutePath() + ")";
        System.out.println(message);
        log.info(message);
        done.complete(keyFile);
      } catch (IOException | RuntimeException e) {
        log.error("The admin API key is in {} but could not be moved to {}: {}", pending.toAbsolutePath(),
            keyFile.toAbsolutePath(), e.toString());
        done.completeExceptionally(e);
      }
    });
  }

  /** Writes the key to {@code file} (replacing one there), readable and writable by its owner only. */
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
