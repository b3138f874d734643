package io.wavelink.node;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the worker side of a member, read once from {@code wavelink.node}.
 *
 * @param nodeId stable identity of this worker node (its NodeEntity id); defaults to host-port
 * @param capacityMb memory the node offers to instances; a Wavelet refuses instances beyond it
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
    Duration reclaimTimeout) {

  /** Settings with the default reservation TTL (30 s) and reclaim timeout (2 s). */
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
        drainQuietPeriod, drainTimeout, Duration.ofSeconds(30), Duration.ofSeconds(2));
  }

  public static NodeSettings create(Config root, String defaultNodeId) {
    Config c = root.getConfig("wavelink.node");
    String id = c.getString("id");
    int capacity = c.getInt("capacity-mb");
    if (capacity <= 0) {
      // instances' linear memories live on this JVM's heap: offer half of it
      capacity = (int) Math.max(64, Runtime.getRuntime().maxMemory() / (2L * 1024 * 1024));
    }
    return new NodeSettings(
        id.isBlank() ? defaultNodeId : id,
        capacity,
        c.getInt("sandbox-threads"),
        c.getInt("prepare-threads"),
        (int) c.getBytes("max-output-size").longValue(),
        c.getDuration("register-interval"),
        c.getDuration("drain.quiet-period"),
        c.getDuration("drain.timeout"),
        c.getDuration("admission.reservation-ttl"),
        c.getDuration("admission.reclaim-timeout"));
  }
}
