package io.wavelink.persistence.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** TCP port checks on the local machine, for the embedded Cassandra. */
public final class LocalPorts {

  private LocalPorts() {}

  /** ports this JVM handed out already: never twice */
  private static final java.util.Set<Integer> handedOut = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** below the ports the kernel gives outgoing connections (Linux: 32768 and up by default) */
  private static final int LOWEST = 10_000;

  /**
   * Returns {@code count} distinct ports that were free on {@code host} a moment ago, chosen below the
   * kernel's ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}): a port from that range
   * (what binding port 0 gives) may be taken by any outgoing connection of any process before the
   * caller binds it, and a member that cannot bind its port does not start. Another process may still
   * take one; callers retry on a bind failure.
   */
  public static List<Integer> free(String host, int count) {
    List<Integer> ports = new ArrayList<>();
    int highest = ephemeralLow() - 1;
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int tries = 0; ports.size() < count && highest > LOWEST && tries < 10_000; tries++) {
      int port = random.nextInt(LOWEST, highest + 1);
      if (!ports.contains(port) && !handedOut.contains(port) && !inUse(host, port)) {
        ports.add(port);
      }
    }
    if (ports.size() < count) {
      ports.addAll(anyFree(host, count - ports.size()));
    }
    handedOut.addAll(ports);
    return ports;
  }

  /** The start of the kernel's ephemeral port range (32768 when it cannot be read). */
  static int ephemeralLow() {
    try {
      String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  private static List<Integer> anyFree(String host, int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      InetAddress address = InetAddress.getByName(host);
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(address, 0));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("No free TCP port on " + host, e);
    } finally {
      sockets.forEach(LocalPorts::closeQuietly);
    }
  }

  /** Whether some process has bound {@code host:port} (so Cassandra could not). */
  public static boolean inUse(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Whether a TCP connection to {@code host:port} is accepted within {@code timeout}. */
  public static boolean accepts(String host, int port, Duration timeout) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void closeQuietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // the port is released either way
    }
  }
}
