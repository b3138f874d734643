package io.wavelink.gateway.internal;

import java.util.List;

/**
 * What each role of an API key may do. Pure.
 *
 * <ul>
 *   <li>{@code admin}: everything (the cluster's first key);
 *   <li>{@code owner}: everything in its namespace, its keys included;
 *   <li>{@code developer}: deploy, update, delete, read and invoke functions, see the nodes;
 *   <li>{@code invoker}: invoke functions, nothing else.
 * </ul>
 */
public final class Roles {

  /** What a request does. */
  public enum Action {
    INVOKE,
    /** read a function, its logs, the listing, the nodes */
    READ,
    /** deploy, update, delete */
    WRITE,
    /** issue, list and revoke keys */
    KEYS
  }

  public static final String ADMIN = "admin";
  public static final String OWNER = "owner";
  public static final String DEVELOPER = "developer";
  public static final String INVOKER = "invoker";

  /** The roles a key issued through the API may have (the admin key is made once, at the first start). */
  public static final List<String> ISSUABLE = List.of(OWNER, DEVELOPER, INVOKER);

  private Roles() {}

  public static boolean allows(String role, Action action) {
    return switch (role) {
      case ADMIN, OWNER -> true;
      case DEVELOPER -> action != Action.KEYS;
      case INVOKER -> action == Action.INVOKE;
      default -> false;
    };
  }
}
