package io.wavelink.node.sandbox;

/** How a prepared module's code runs. */
public enum ExecutionMode {
  /**
   * Regular instances: the module is compiled to JVM bytecode once when the instance starts (a few
   * milliseconds for a small module, more for a large one), then every invocation runs fast.
   */
  COMPILED,
  /**
   * Emergency instances: the module is only parsed and validated, so the instance starts in well
   * under a millisecond; invocations run in the interpreter, tens of times slower than compiled
   * code.
   */
  INTERPRETED
}
