package io.wavelink.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where a node gets a stored module's bytes from, by SHA-256: on a member, the module store in
 * Cassandra ({@code io.wavelink.persistence.ModuleStore#fetch}). The stage completes with bytes
 * whose hash was checked, or fails; it must not block the calling thread (a Wavelet calls it from
 * its actor).
 */
@FunctionalInterface
public interface ModuleSource {

  CompletionStage<byte[]> fetch(String sha256);

  /** A node without a module store: only inline modules ({@link ModuleRef#inline}) can start. */
  ModuleSource NONE =
      sha256 ->
          CompletableFuture.failedFuture(
              new IllegalStateException("this node has no module store to fetch module " + sha256 + " from"));
}
