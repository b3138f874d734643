package io.wavelink.gateway;

import static io.wavelink.gateway.ApiResponses.error;
import static io.wavelink.gateway.ApiResponses.json;

import io.wavelink.gateway.internal.Roles;
import io.wavelink.persistence.ApiKeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** The key-management part of the API, under {@code /v1/namespaces/{ns}} (docs/operations.md, "Authentication"). */
final class KeysApi extends AllDirectives {

  private final ApiKeyStore keys;
  private final Access access;

  KeysApi(ApiKeyStore keys, Access access) {
    this.keys = keys;
    this.access = access;
  }

  /** The namespaces that exist: only {@code default} (every function is in it) until namespaces are built. */
  private static final String DEFAULT_NAMESPACE = "default";

  /**
   * {@code /v1/namespaces/{ns}/keys}: {@code POST {"role": "developer", "expiresInSeconds": N}} issues
   * a key (201, its secret shown once), {@code GET} lists them without secrets, {@code DELETE
   * .../keys/{id}} revokes one (every gateway refuses it within its cache's second). Owner or admin.
   */
  Route route(ApiKeyStore.Key key, String ns) {
    if (!DEFAULT_NAMESPACE.equals(ns)) {
      return error(StatusCodes.NOT_FOUND, "not_found",
          "namespace " + ns + " does not exist (only " + DEFAULT_NAMESPACE + ": namespaces are not built yet)");
    }
    return pathPrefix("keys", () -> access.permitted(key, Roles.Action.KEYS, () -> concat(
        pathEnd(() -> concat(
            post(() -> entity(Unmarshaller.entityToString(), body -> issueKey(ns, body))),
            get(() -> onSuccess(keys.list(ns), listed -> {
              List<Map<String, Object>> out = new ArrayList<>();
              for (ApiKeyStore.Key.Listed l : listed) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("id", l.key().id());
                k.put("role", l.key().role());
                k.put("namespace", l.key().namespace().isEmpty() ? null : l.key().namespace());
                k.put("createdAt", l.createdAt() == null ? null : l.createdAt().toString());
                k.put("expiresAt", l.key().expiresAt() == null ? null : l.key().expiresAt().toString());
                k.put("revoked", l.key().revoked());
                out.add(k);
              }
              return json(StatusCodes.OK, Map.of("keys", out));
            })))),
        path(PathMatchers.segment(), id -> delete(() -> {
          if (ApiKeyStore.ADMIN_ID.equals(id)) {
            return error(StatusCodes.CONFLICT, "conflict", "the admin key cannot be revoked through the API (docs/operations.md)");
          }
          return onSuccess(keys.revoke(id), found -> found
              ? json(StatusCodes.OK, Map.of("id", id, "revoked", true))
              : error(StatusCodes.NOT_FOUND, "not_found", "no key " + id));
        })))));
  }

  private Route issueKey(String ns, String body) {
    String role;
    Long expiresIn = null;
    try {
      com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
      if (json == null || !json.isObject() || !json.path("role").isTextual()) {
        return error(StatusCodes.BAD_REQUEST, "invalid_key_request", "the body must be {\"role\": one of " + Roles.ISSUABLE + "}");
      }
      role = json.get("role").asText();
      if (json.has("expiresInSeconds")) {
        if (!json.get("expiresInSeconds").canConvertToLong() || json.get("expiresInSeconds").asLong() < 1) {
          return error(StatusCodes.BAD_REQUEST, "invalid_key_request", "expiresInSeconds must be a whole number of seconds, 1 or more");
        }
        expiresIn = json.get("expiresInSeconds").asLong();
      }
    } catch (java.io.IOException e) {
      return error(StatusCodes.BAD_REQUEST, "invalid_key_request", "the body is not JSON");
    }
    if (!Roles.ISSUABLE.contains(role)) {
      return error(StatusCodes.BAD_REQUEST, "invalid_key_request", "role must be one of " + Roles.ISSUABLE + ", not " + role);
    }
    String secret = ApiKeyStore.newSecret();
    String id = ApiKeyStore.newId();
    java.time.Instant expiresAt = expiresIn == null ? null : java.time.Instant.now().plusSeconds(expiresIn);
    ApiKeyStore.Key key = new ApiKeyStore.Key(id, role, ns, expiresAt, false);
    return onSuccess(keys.add(secret, key), done -> {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("id", id);
      out.put("key", secret);
      out.put("role", role);
      out.put("namespace", ns);
      out.put("expiresAt", expiresAt == null ? null : expiresAt.toString());
      return json(StatusCodes.CREATED, out);
    });
  }

}
