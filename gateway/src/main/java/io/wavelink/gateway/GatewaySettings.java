package io.wavelink.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the HTTP gateway, read once from {@code wavelink.gateway}.
 *
 * @param host interface to bind
 * @param port HTTP port
 * @param maxInvokeBytes largest request body of an invocation (413 beyond)
 * @param maxDeployBytes largest deploy request (413 beyond)
 * @param invokeTimeout how long the gateway waits for any invocation's answer
 * @param controlTimeout how long deploy, delete and status calls wait
 * @param lostCallProbeTimeout after a member crashed, how long each probe of a function with
 *     invocations pending waits for its answer before it is sent again
 */
public record GatewaySettings(
    String host,
    int port,
    long maxInvokeBytes,
    long maxDeployBytes,
    Duration invokeTimeout,
    Duration controlTimeout,
    Duration lostCallProbeTimeout) {

  public static GatewaySettings create(Config root) {
    Config c = root.getConfig("wavelink.gateway");
    return new GatewaySettings(
        c.getString("host"),
        c.getInt("port"),
        c.getBytes("max-invoke-size"),
        c.getBytes("max-deploy-size"),
        c.getDuration("invoke-timeout"),
        c.getDuration("control-timeout"),
        c.getDuration("lost-call-probe-timeout"));
  }

  public GatewaySettings withPort(int newPort) {
    return new GatewaySettings(host, newPort, maxInvokeBytes, maxDeployBytes, invokeTimeout, controlTimeout, lostCallProbeTimeout);
  }
}
