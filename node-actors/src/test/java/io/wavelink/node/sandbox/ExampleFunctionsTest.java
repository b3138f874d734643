package io.wavelink.node.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExampleFunctionsTest {

  @Test
  void everyExampleIsOnTheClasspath() {
    byte[] magic = {0, 'a', 's', 'm', 1, 0, 0, 0};
    for (String name : ExampleFunctions.NAMES) {
      byte[] code = ExampleFunctions.load(name);
      assertTrue(code.length > magic.length, name);
      assertArrayEquals(magic, Arrays.copyOf(code, magic.length), name);
    }
  }

  @Test
  void anUnknownExampleIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> ExampleFunctions.load("nope"));
  }
}
