package io.wavelink.gateway.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The sandbox runtime's verdicts on modules, by content hash and memory size: the same module
 * deployed again (many functions from one build, a redeploy that changes only the spec) is not
 * parsed and instantiated again. A verdict depends only on the module's bytes, the memory it is
 * given and the runtime's limits, which a gateway does not change while it runs. The least recently
 * used verdicts go beyond {@code capacity}.
 */
final class ModuleVerdicts {

  private final Map<String, Optional<String>> verdicts;
  private final AtomicLong computed = new AtomicLong();

  ModuleVerdicts(int capacity) {
    this.verdicts = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Optional<String>> eldest) {
        return size() > capacity;
      }
    };
  }

  /**
   * The problem with module {@code sha256} given {@code memoryMb}, null if it is valid: the kept
   * verdict, else what {@code check} finds (kept). Two threads checking the same new module at once
   * may both run {@code check}; the verdict is the same.
   */
  String verdict(String sha256, int memoryMb, Supplier<String> check) {
    String key = sha256 + "/" + memoryMb;
    Optional<String> kept;
    synchronized (verdicts) {
      kept = verdicts.get(key);
    }
    if (kept != null) {
      return kept.orElse(null);
    }
    String problem = check.get();
    computed.incrementAndGet();
    synchronized (verdicts) {
      verdicts.put(key, Optional.ofNullable(problem));
    }
    return problem;
  }

  /** How many verdicts were computed rather than found. */
  long computed() {
    return computed.get();
  }
}
