/**
 * {@link io.wavelink.node.sandbox.SandboxRuntime} on Chicory, a pure-Java WebAssembly runtime:
 * {@link io.wavelink.node.sandbox.wasm.WasmSandboxRuntime}. Everything else here is internal.
 */
package io.wavelink.node.sandbox.wasm;
