package io.wavelink.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings of the worker side of a member, read once from {@code wavelink.node}.
 *
 * @param nodeId stable identity of this worker node (its NodeEntity id); defaults to host-port
 * @param capacityMb memory the node offers to instances; a Wavelet refuses instances beyond it. By
 *     default the machine's memory less a reserve for the member and Cassandra: see {@link
 *     #capacity}
 * @param sandboxThreads maximum number of invocations executing at once on this node
 * @param prepareThreads threads that parse and compile modules (instance cold starts)
 * @param maxOutputBytes largest stdout a function may return
 * @param registerInterval how often a Wavelet re-registers with its NodeEntity (liveness)
 * @param drainQuietPeriod on a graceful leave, how long the node must have been reported draining
 *     (so that functions stopped routing to it) before it may finish
 * @param drainTimeout the most a graceful leave waits for in-flight invocations
 * @param reservationTtl memory reserved for a regular instance is released if the instance has not
 *     been started on the node by then (its owner's journal writes failed, or the owner died)
 * @param reclaimTimeout an owner asked to give an idle instance back that has not answered by then
 *     is passed over, and an instance its owner kept is not asked back again for this long
 * @param emergencyLease an emergency instance whose owner has not renewed its lease for this long is
 *     stopped (its owner moved, stopped, or lost it): nothing is left behind holding memory
 */
public record NodeSettings(
    String nodeId,
    int capacityMb,
    int sandboxThreads,
    int prepareThreads,
    int maxOutputBytes,
    Duration registerInterval,
    Duration drainQuietPeriod,
    Duration drainTimeout,
    Duration reservationTtl,
    Duration reclaimTimeout,
    Duration emergencyLease) {

  /** Settings with the default reservation TTL (30 s), reclaim timeout (2 s) and lease (10 s). */
  public NodeSettings(
      String nodeId,
      int capacityMb,
      int sandboxThreads,
      int prepareThreads,
      int maxOutputBytes,
      Duration registerInterval,
      Duration drainQuietPeriod,
      Duration drainTimeout) {
    this(nodeId, capacityMb, sandboxThreads, prepareThreads, maxOutputBytes, registerInterval,
        drainQuietPeriod, drainTimeout, Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(10));
  }

  private static final Logger log = LoggerFactory.getLogger(NodeSettings.class);

  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  /** The least memory a node offers when it computes its capacity itself. */
  public static final int MINIMUM_CAPACITY_MB = 64;

  /**
   * Reads the settings and logs the node's capacity and where it came from (configured, the
   * machine's memory less the reserve, or the JVM's direct memory limit).
   */
  public static NodeSettings create(Config root, String defaultNodeId) {
    Config c = root.getConfig("wavelink.node");
    String id = c.getString("id");
    String nodeId = id.isBlank() ? defaultNodeId : id;
    Machine machine = Machine.current();
    Capacity capacity = capacity(c.getInt("capacity-mb"), memoryReserve(c), machine);
    log.info("Node {} offers {} MB to instances: {}", nodeId, capacity.mb(), capacity.reason());
    long linearMemoryMb = machine.linearMemoryLimitBytes() / MIB;
    if (capacity.mb() > linearMemoryMb) {
      log.warn(
          "Node {} offers {} MB but this JVM can hold only {} MB of linear memory (its direct"
              + " memory limit, -XX:MaxDirectMemorySize, less {} MiB): invocations beyond that"
              + " fail with a memory error; start the JVM with a larger -XX:MaxDirectMemorySize",
          nodeId,
          capacity.mb(),
          linearMemoryMb,
          WasmSandboxRuntime.DIRECT_MEMORY_MARGIN_MB);
    }
    return new NodeSettings(
        nodeId,
        capacity.mb(),
        c.getInt("sandbox-threads"),
        c.getInt("prepare-threads"),
        (int) c.getBytes("max-output-size").longValue(),
        c.getDuration("register-interval"),
        c.getDuration("drain.quiet-period"),
        c.getDuration("drain.timeout"),
        c.getDuration("admission.reservation-ttl"),
        c.getDuration("admission.reclaim-timeout"),
        c.getDuration("admission.emergency-lease"));
  }

  /**
   * {@code wavelink.node.memory-reserve} in bytes, or -1 for {@code auto}.
   *
   * @throws ConfigException.BadValue when it is neither {@code auto} nor a size
   */
  static long memoryReserve(Config node) {
    if ("auto".equals(node.getString("memory-reserve").trim())) {
      return -1;
    }
    long bytes = node.getBytes("memory-reserve");
    if (bytes < 0) {
      throw new ConfigException.BadValue(
          "wavelink.node.memory-reserve", "must be auto or a size of 0 or more, was " + bytes);
    }
    return bytes;
  }

  /**
   * What this JVM and its machine have, the inputs of {@link #capacity}.
   *
   * @param physicalBytes the machine's memory: physical memory, or the container's limit when the
   *     JVM runs in one (as {@code OperatingSystemMXBean.getTotalMemorySize()} reports it); 0 when
   *     unknown
   * @param maxHeapBytes this JVM's maximum heap
   * @param directMemoryLimitBytes this JVM's direct memory limit ({@code -XX:MaxDirectMemorySize},
   *     else the maximum heap), where functions' linear memory lives
   */
  public record Machine(long physicalBytes, long maxHeapBytes, long directMemoryLimitBytes) {

    /** This JVM's and machine's figures. */
    public static Machine current() {
      long physical = 0;
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        physical = os.getTotalMemorySize();
      }
      return new Machine(
          physical,
          Runtime.getRuntime().maxMemory(),
          WasmSandboxRuntime.directMemoryLimitBytes());
    }

    /** The most linear memory this JVM can hold: the direct memory limit less the margin. */
    long linearMemoryLimitBytes() {
      return Math.max(
          0, directMemoryLimitBytes - WasmSandboxRuntime.DIRECT_MEMORY_MARGIN_MB * MIB);
    }
  }

  /**
   * The memory a node offers, and why (the start-up log line says both).
   *
   * @param mb the node's capacity in MB (MiB)
   * @param reason where the figure comes from, for the log
   */
  public record Capacity(int mb, String reason) {}

  /**
   * The node's capacity, a pure function of the settings and the machine:
   *
   * <ol>
   *   <li>{@code configuredMb} ({@code wavelink.node.capacity-mb}) when it is above 0;
   *   <li>else the machine's memory less the reserve ({@code wavelink.node.memory-reserve}; {@code
   *       auto}, -1 here: this JVM's maximum heap plus 1 GiB for the member's memory outside its
   *       heap and a Cassandra on the same machine, the 1 GiB cut to a quarter of the machine's
   *       memory on a machine of less than 4 GiB), but no more than the linear memory the JVM can
   *       hold (its direct memory limit less {@value WasmSandboxRuntime#DIRECT_MEMORY_MARGIN_MB}
   *       MiB);
   *   <li>and at least {@value #MINIMUM_CAPACITY_MB} MB.
   * </ol>
   *
   * Worked example: 24 GiB of memory, {@code -Xmx1536m}, {@code -XX:MaxDirectMemorySize=1t}, the
   * reserve {@code auto}: 24,576 - (1,536 + 1,024) = 22,016 MB. Without the direct memory flag the
   * JVM's limit is its heap, so the node offers 1,536 - 64 = 1,472 MB and says so.
   *
   * @param configuredMb {@code wavelink.node.capacity-mb}; 0 or less: computed
   * @param reserveBytes {@code wavelink.node.memory-reserve} in bytes; -1: {@code auto}
   */
  public static Capacity capacity(int configuredMb, long reserveBytes, Machine machine) {
    if (configuredMb > 0) {
      return new Capacity(configuredMb, "configured (wavelink.node.capacity-mb)");
    }
    long physicalMb = machine.physicalBytes() / MIB;
    long reserve;
    String reserveWhy;
    if (reserveBytes >= 0) {
      reserve = reserveBytes;
      reserveWhy = "wavelink.node.memory-reserve";
    } else {
      long extra = Math.min(GIB, machine.physicalBytes() / 4);
      reserve = machine.maxHeapBytes() + extra;
      reserveWhy =
          "auto: this JVM's maximum heap, "
              + machine.maxHeapBytes() / MIB
              + " MiB, and "
              + extra / MIB
              + " MiB for the member outside its heap and Cassandra";
    }
    long machineMb = (machine.physicalBytes() - reserve) / MIB;
    String machineWhy =
        machine.physicalBytes() <= 0
            ? "the machine's memory is unknown"
            : "the machine's memory (physical, or the container's limit), "
                + physicalMb
                + " MiB, less a reserve of "
                + reserve / MIB
                + " MiB ("
                + reserveWhy
                + ")";
    long linearMb = machine.linearMemoryLimitBytes() / MIB;
    long mb;
    String reason;
    if (linearMb < machineMb) {
      mb = linearMb;
      reason =
          "the linear memory this JVM can hold: its direct memory limit, "
              + machine.directMemoryLimitBytes() / MIB
              + " MiB (-XX:MaxDirectMemorySize, by default the maximum heap), less "
              + WasmSandboxRuntime.DIRECT_MEMORY_MARGIN_MB
              + " MiB for the member's own buffers; "
              + machineWhy
              + " would allow "
              + machineMb
              + " MB: start the JVM with a larger -XX:MaxDirectMemorySize to offer it";
    } else {
      mb = machineMb;
      reason = machineWhy;
    }
    if (mb < MINIMUM_CAPACITY_MB) {
      return new Capacity(
          MINIMUM_CAPACITY_MB, "the minimum of " + MINIMUM_CAPACITY_MB + " MB: " + reason);
    }
    return new Capacity((int) Math.min(Integer.MAX_VALUE, mb), reason);
  }
}
