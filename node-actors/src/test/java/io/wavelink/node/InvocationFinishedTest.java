package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InvocationFinishedTest {

  @Test
  void carriesTheReplysOutcomeWithTheEndOfALongStderr() {
    String stderr = "x".repeat(5000) + "the last words";
    InvocationReply reply =
        new InvocationReply(InvocationReply.Status.FUNCTION_ERROR, new byte[0], "i-1", InstanceKind.REGULAR, false, 777L,
            "exit 1", stderr);
    Wavelet.InvocationFinished f = Wavelet.InvocationFinished.of("i-1", 9L, 64L, reply);
    assertEquals("FUNCTION_ERROR", f.status());
    assertEquals("exit 1", f.message());
    assertEquals(777L, f.durationMicros());
    assertEquals(Wavelet.InvocationFinished.STDERR_TAIL_MAX, f.stderrTail().length());
    assertEquals(true, f.stderrTail().endsWith("the last words"), "the end is kept");
    assertEquals("", Wavelet.InvocationFinished.of("i-1", 9L, 0L,
        InvocationReply.rejected(InvocationReply.Status.UNAVAILABLE, "gone")).stderrTail());
  }
}
