package io.wavelink.function;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the function side, read once from {@code wavelink.function} and {@code
 * wavelink.control-plane}.
 *
 * @param mode default control-plane mode: dual, sync or async
 * @param regularTrackDelay start-up latency added to every regular instance (emulates a
 *     conventional cluster manager; 0 for WaveLink's own regular track)
 * @param tick autoscaler period (Knative: 2 s)
 * @param queueCapacity invocations waiting per function before 429
 * @param queueMaxBytes request bytes waiting per function before 429
 * @param emergencyBudget most emergency instances per function at once
 * @param emergencyIdleTtl an idle emergency instance is retired after this
 * @param emergencyQueueDelay how long an invocation queued at a warm but saturated function waits
 *     for a regular slot before emergency instances are spawned
 * @param emergencyFullNodeBackoff a node that refused an emergency instance for lack of room is not
 *     asked again by the same function for this long
 * @param storeTimeout how long a deploy or delete waits for the journal before 503
 * @param startTimeout an instance that has not reported ready by then is given up and replaced
 * @param callGrace a call still unanswered this long after its deadline is given up (its answer or
 *     its end was lost): its slot is free again
 * @param reconcileEvery how often a function compares its regular instances with its journal's
 *     desired ones (anti-entropy; at once after a journal write that was not confirmed)
 * @param passivateAfter a deployed function with no instance, nothing queued and no minScale leaves
 *     memory after this long idle, and comes back from the journal on its next message
 * @param admissionWait the most a request for an instance that callers wait for may wait at a node
 *     for room to be made (idle instances of other functions asked back)
 * @param placement placement policy name
 * @param autoscaling the autoscaler's knobs
 * @param logEntries how many recent calls a function's invocation log keeps
 */
public record FunctionSettings(
    String mode,
    Duration regularTrackDelay,
    Duration tick,
    int queueCapacity,
    long queueMaxBytes,
    int emergencyBudget,
    Duration emergencyIdleTtl,
    Duration emergencyQueueDelay,
    Duration emergencyFullNodeBackoff,
    Duration storeTimeout,
    Duration startTimeout,
    Duration callGrace,
    Duration passivateAfter,
    Duration reconcileEvery,
    Duration admissionWait,
    String placement,
    Autoscaler.Settings autoscaling,
    int logEntries) {

  public static FunctionSettings create(Config root) {
    Config c = root.getConfig("wavelink.function");
    Config cp = root.getConfig("wavelink.control-plane");
    String mode = cp.getString("mode");
    if (!FunctionSpec.MODES.contains(mode)) {
      throw new IllegalArgumentException(
          "wavelink.control-plane.mode must be one of " + FunctionSpec.MODES + ", not " + mode);
    }
    return new FunctionSettings(
        mode,
        cp.getDuration("regular-track-delay"),
        c.getDuration("tick"),
        c.getInt("queue.capacity"),
        c.getBytes("queue.max-bytes"),
        c.getInt("emergency.budget"),
        c.getDuration("emergency.idle-ttl"),
        c.getDuration("emergency.queue-delay"),
        c.getDuration("emergency.full-node-backoff"),
        c.getDuration("store-timeout"),
        c.getDuration("start-timeout"),
        c.getDuration("call-grace"),
        c.getDuration("passivate-after"),
        c.getDuration("reconcile-every"),
        c.getDuration("admission-wait"),
        c.getString("placement"),
        Autoscaler.Settings.create(c.getConfig("autoscaling")),
        c.getInt("log-entries"));
  }
}
