package io.wavelink.node.sandbox;

/**
 * How a prepared module's code runs: the execution tiers. A node keeps one compiled module per
 * module and shares it between both tracks; an emergency instance that starts before its node has
 * the module compiled runs interpreted until the compile, started with it in the background, is
 * done.
 */
public enum ExecutionMode {
  /**
   * The module is compiled to JVM bytecode once per node (a few milliseconds for a small module,
   * more for a large one), then every invocation runs fast. Regular instances wait for it;
   * emergency instances use it when it is there, and switch to it when it arrives.
   */
  COMPILED,
  /**
   * The module is only parsed and validated, so an instance starts in well under a millisecond;
   * invocations run in the interpreter, tens of times slower than compiled code. Emergency
   * instances start this way while their node compiles the module.
   */
  INTERPRETED;

  /** "compiled" or "interpreted", as the {@code X-WaveLink-Execution} header says it. */
  public String label() {
    return this == COMPILED ? "compiled" : "interpreted";
  }
}
