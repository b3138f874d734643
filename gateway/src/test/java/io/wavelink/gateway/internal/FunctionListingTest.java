package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionListingTest {

  @Test
  void theLastNameIsTheCursorWhenMoreFollow() {
    assertEquals("bravo", FunctionListing.Page.of(List.of("alpha", "bravo"), true).next());
    assertNull(FunctionListing.Page.of(List.of("alpha", "bravo"), false).next());
    assertNull(FunctionListing.Page.of(List.of(), true).next());
  }

  @Test
  void aFunctionThatDidNotAnswerIsListedApartAndTheRestIsDescribed() {
    FunctionListing.Page page = FunctionListing.Page.of(List.of("alpha", "bravo", "charlie"), true);
    Map<String, Object> body =
        FunctionListing.body(
            page,
            Arrays.asList("alpha:v1", null, "charlie:gone"),
            s -> s.endsWith(":gone") ? null : Map.of("name", s));
    assertEquals(List.of(Map.of("name", "alpha:v1")), body.get("functions"));
    assertEquals(List.of("bravo"), body.get("unavailable"));
    assertEquals("charlie", body.get("next"));
  }

  @Test
  void answersMustMatchTheNames() {
    FunctionListing.Page page = FunctionListing.Page.of(List.of("alpha", "bravo"), true);
    assertThrows(IllegalArgumentException.class, () -> FunctionListing.body(page, List.of("x"), s -> Map.of()));
  }
}
