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

  /**
   * Returns {@code count} distinct ports that were free on {@code host} a moment ago. Another
   * process may still take one before Cassandra binds it; callers retry on a bind failure.
   */
  public static List<Integer> free(String host, int count) {
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
