package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionListingTest {

  private static final List<String> NAMES = List.of("delta", "alpha", "echo", "charlie", "bravo");

  @Test
  void pagesWalkEveryNameOnceInOrder() {
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      FunctionListing.Page page = FunctionListing.page(NAMES, after, 2);
      seen.addAll(page.names());
      after = page.next();
      pages++;
    } while (after != null);
    assertEquals(List.of("alpha", "bravo", "charlie", "delta", "echo"), seen);
    assertEquals(3, pages);
  }

  @Test
  void aPageThatReachesTheEndHasNoNext() {
    FunctionListing.Page page = FunctionListing.page(NAMES, "charlie", 2);
    assertEquals(List.of("delta", "echo"), page.names());
    assertNull(page.next());
    assertEquals(List.of(), FunctionListing.page(NAMES, "echo", 2).names());
    assertNull(FunctionListing.page(List.of(), null, 10).next());
  }

  @Test
  void theCursorNeedNotExistAnyMore() {
    // "bz" was deleted between two pages: the listing goes on after where it would be
    assertEquals(List.of("charlie", "delta"), FunctionListing.page(NAMES, "bz", 2).names());
  }

  @Test
  void aFunctionThatDidNotAnswerIsListedApartAndTheRestIsDescribed() {
    FunctionListing.Page page = FunctionListing.page(NAMES, null, 3);
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
    FunctionListing.Page page = FunctionListing.page(NAMES, null, 2);
    assertThrows(IllegalArgumentException.class, () -> FunctionListing.body(page, List.of("x"), s -> Map.of()));
  }
}
