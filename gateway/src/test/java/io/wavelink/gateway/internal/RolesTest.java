package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolesTest {

  private static List<Roles.Action> allowed(String role) {
    List<Roles.Action> actions = new ArrayList<>();
    for (Roles.Action a : Roles.Action.values()) {
      if (Roles.allows(role, a)) {
        actions.add(a);
      }
    }
    return actions;
  }

  @Test
  void eachRoleMayDoWhatItsNameSays() {
    assertEquals(List.of(Roles.Action.values()), allowed("admin"));
    assertEquals(List.of(Roles.Action.values()), allowed("owner"));
    assertEquals(List.of(Roles.Action.INVOKE, Roles.Action.READ, Roles.Action.WRITE), allowed("developer"));
    assertEquals(List.of(Roles.Action.INVOKE), allowed("invoker"));
    assertEquals(List.of(), allowed("someone"), "an unknown role may do nothing");
  }
}
