package io.wavelink.gateway;

import static io.wavelink.gateway.ApiResponses.error;

import io.wavelink.gateway.internal.Authenticator;
import io.wavelink.gateway.internal.Roles;
import io.wavelink.persistence.ApiKeyStore;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who may call the API: the key of each {@code /v1} call ({@link Authenticator}) and what its role
 * allows ({@link Roles}). With authentication off ({@code auth} null) every call passes as if by
 * an admin.
 */
final class Access extends AllDirectives {

  private final Authenticator auth;

  Access(Authenticator auth) {
    this.auth = auth;
  }

  /**
   * An API call: with authentication on, only with a valid key ({@code Authorization: Bearer}):
   * 401 (with {@code WWW-Authenticate: Bearer}) without one or with a wrong, revoked or expired one,
   * 429 for an address that failed too often this minute, 503 if the key cannot be checked now.
   */
  Route authenticated(java.util.function.Function<ApiKeyStore.Key, Route> inner) {
    if (auth == null) {
      return inner.apply(null);
    }
    // the connection's own address (remote-address-attribute): never X-Forwarded-For, which a client writes
    return extractRequest(request -> optionalHeaderValueByName("Authorization", header -> onSuccess(
        auth.check(header.orElse(null), request.getAttribute(org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
            .flatMap(org.apache.pekko.http.javadsl.model.RemoteAddress::getAddress)
            .map(java.net.InetAddress::getHostAddress).orElse("unknown")),
        result -> {
          if (result instanceof Authenticator.Allowed allowed) {
            return inner.apply(allowed.key());
          }
          if (result instanceof Authenticator.Denied d) {
            return respondWithHeader(
                org.apache.pekko.http.javadsl.model.headers.RawHeader.create("WWW-Authenticate", "Bearer realm=\"wavelink\""),
                () -> error(StatusCodes.UNAUTHORIZED, "unauthorized", d.message()));
          }
          if (result instanceof Authenticator.Throttled t) {
            return respondWithHeader(
                org.apache.pekko.http.javadsl.model.headers.RetryAfter.create(t.retryAfterSeconds()),
                () -> error(StatusCodes.TOO_MANY_REQUESTS, "too_many_failures",
                    "too many failed authentications from this address; retry in " + t.retryAfterSeconds() + " s"));
          }
          return error(StatusCodes.SERVICE_UNAVAILABLE, "auth_unavailable", ((Authenticator.Unavailable) result).message());
        })));
  }


  /** The route if the key's role allows the action (always with authentication off), else 403. */
  Route permitted(ApiKeyStore.Key key, Roles.Action action, java.util.function.Supplier<Route> route) {
    if (key == null || Roles.allows(key.role(), action)) {
      return route.get();
    }
    return error(StatusCodes.FORBIDDEN, "forbidden",
        "a key with the role " + key.role() + " may not " + switch (action) {
          case INVOKE -> "invoke functions";
          case READ -> "read functions, their logs or the nodes";
          case WRITE -> "deploy, update or delete functions";
          case KEYS -> "issue, list or revoke keys";
        });
  }

}
