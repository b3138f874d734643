package io.wavelink.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the HTTP gateway, read once from {@code wavelink.gateway}.
 *
 * @param host interface to bind
 * @param port HTTP port
 * @param maxInvokeBytes largest request body of an invocation (413 beyond)
 * @param maxDeployBytes largest deploy request (413 beyond); must hold a module of {@code
 *     maxModuleBytes} in base64
 * @param invokeTimeout how long the gateway waits for any invocation's answer; a deploy whose
 *     {@code timeoutMs} is beyond {@link #maxFunctionTimeoutMs()} is refused
 * @param controlTimeout how long deploy, delete and status calls wait
 * @param lostCallProbeTimeout after a member crashed, how long each probe of a function with
 *     invocations pending waits for its answer before it is sent again
 * @param callCheckInterval how long an invocation waits unanswered before the gateway looks for it
 *     at its function's entity, and between two such checks; one missing at two checks in a row
 *     was lost on the way and is sent once more
 * @param maxModuleBytes largest module a deploy may carry, decoded (413 beyond)
 * @param validation the bounded executor that checks deploys off the route's thread
 */
public record GatewaySettings(
    String host,
    int port,
    long maxInvokeBytes,
    long maxDeployBytes,
    Duration invokeTimeout,
    Duration controlTimeout,
    Duration lostCallProbeTimeout,
    Duration callCheckInterval,
    long maxModuleBytes,
    Validation validation) {

  /**
   * What the gateway keeps of {@code invoke-timeout} beyond a function's own timeout, for the answer's
   * way back: {@code timeoutMs} may be at most {@code invoke-timeout} less this.
   */
  public static final Duration FUNCTION_TIMEOUT_MARGIN = Duration.ofSeconds(10);

  /**
   * The deploy checks' executor ({@code wavelink.gateway.deploy-validation}).
   *
   * @param threads deploys parsed and validated at once
   * @param queue deploys waiting for a thread; more answer 503 with Retry-After
   * @param timeout the most a deploy's checks may take once started (the answer is then a 400)
   * @param maxBytes the most the bodies of the deploys being checked or waiting may add up to (a
   *     deploy is always taken when no other is): beyond, 503 with Retry-After
   */
  public record Validation(int threads, int queue, Duration timeout, long maxBytes) {

    public Validation {
      if (threads < 1 || queue < 0 || maxBytes < 1) {
        throw new IllegalArgumentException(
            "wavelink.gateway.deploy-validation: threads and max-bytes must be positive, queue not negative");
      }
    }
  }

  public GatewaySettings {
    if (maxDeployBytes < base64Bytes(maxModuleBytes)) {
      throw new IllegalArgumentException(
          "wavelink.gateway.max-deploy-size (" + maxDeployBytes + " bytes) cannot hold a module of"
              + " max-module-size (" + maxModuleBytes + " bytes) in base64 (" + base64Bytes(maxModuleBytes) + " bytes)");
    }
    if (callCheckInterval.toMillis() < 2) {
      throw new IllegalArgumentException("wavelink.gateway.call-check-interval must be at least 2 ms");
    }
    if (invokeTimeout.compareTo(FUNCTION_TIMEOUT_MARGIN.plusSeconds(1)) < 0) {
      throw new IllegalArgumentException("wavelink.gateway.invoke-timeout must be at least 11 s");
    }
  }

  public static GatewaySettings create(Config root) {
    Config c = root.getConfig("wavelink.gateway");
    return new GatewaySettings(
        c.getString("host"),
        c.getInt("port"),
        c.getBytes("max-invoke-size"),
        c.getBytes("max-deploy-size"),
        c.getDuration("invoke-timeout"),
        c.getDuration("control-timeout"),
        c.getDuration("lost-call-probe-timeout"),
        c.getDuration("call-check-interval"),
        c.getBytes("max-module-size"),
        new Validation(
            c.getInt("deploy-validation.threads"),
            c.getInt("deploy-validation.queue"),
            c.getDuration("deploy-validation.timeout"),
            c.getBytes("deploy-validation.max-bytes")));
  }

  public GatewaySettings withPort(int newPort) {
    return new GatewaySettings(
        host, newPort, maxInvokeBytes, maxDeployBytes, invokeTimeout, controlTimeout, lostCallProbeTimeout,
        callCheckInterval, maxModuleBytes, validation);
  }

  /**
   * The largest {@code timeoutMs} a deploy may ask for: the gateway waits {@code invoke-timeout} for
   * an answer, less {@link #FUNCTION_TIMEOUT_MARGIN} for the answer's way back, so that a call
   * that runs to its function's deadline is answered by the function (504 with its stderr), never
   * cut off by the gateway.
   */
  public long maxFunctionTimeoutMs() {
    return invokeTimeout.minus(FUNCTION_TIMEOUT_MARGIN).toMillis();
  }

  /** The size of {@code bytes} bytes in base64 with padding. */
  public static long base64Bytes(long bytes) {
    return 4 * ((bytes + 2) / 3);
  }
}
