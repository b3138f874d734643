/**
 * The sandbox runtime: runs functions' WebAssembly modules for the Wavelet, without actors.
 *
 * <p>{@link io.wavelink.node.sandbox.SandboxRuntime} is the pluggable interface (it states the
 * function contract); {@link io.wavelink.node.sandbox.wasm} implements it on Chicory. {@link
 * io.wavelink.node.sandbox.ExampleFunctions} loads the example functions shipped on the classpath.
 */
package io.wavelink.node.sandbox;
