package io.wavelink.node.sandbox.wasm;

import java.util.HexFormat;

/** Small hand-written modules for the rejection tests, compiled with wat2wasm (source beside). */
final class TestModules {

  private TestModules() {}

  /** {@code (module (func (export "run")))}: a library, no {@code _start}. */
  static final byte[] NO_START =
      hex("0061736d01000000010401600000030201000707010372756e00000a040102000b");

  /** {@code (module (memory (export "_start") 1))}. */
  static final byte[] START_IS_MEMORY = hex("0061736d010000000503010001070a01065f73746172740200");

  /** {@code (module (func (export "_start") (param i32)))}. */
  static final byte[] START_WITH_PARAMS =
      hex("0061736d0100000001050160017f0003020100070a01065f737461727400000a040102000b");

  /** {@code (module (memory 32) (func (export "_start")))}: 2 MiB of initial memory. */
  static final byte[] MEMORY_32_PAGES =
      hex("0061736d01000000010401600000030201000503010020070a01065f737461727400000a040102000b");

  /** {@code (module (import "env" "now" (func (result i64))) (func (export "_start")))}. */
  static final byte[] IMPORTS_ENV =
      hex(
          "0061736d0100000001080260000"
              + "17e600000020b0103656e76036e6f77000003020101070a01065f737461727400010a040102000b");

  /** Imports {@code wasi_snapshot_preview1.fd_write} as {@code (func (param i32))}. */
  static final byte[] WRONG_WASI_TYPE =
      hex(
          "0061736d0100000001080260017f0060000002230116776173695f736e617073686f745f707265766965"
              + "77310866645f7772697465000003020101070a01065f737461727400010a040102000b");

  /** {@code (module (memory 1) (data (i32.const 65530) "0123456789") (func (export "_start")))}. */
  static final byte[] DATA_OUT_OF_BOUNDS =
      hex(
          "0061736d01000000010401600000030201000503010001070a01065f737461727400000a040102000b0b"
              + "12010041faff030b0a30313233343536373839");

  /** A {@code _start} whose body is {@code i32.const 1; i32.add}: does not type-check. */
  static final byte[] TYPE_ERROR =
      hex("0061736d0100000001040160000003020100070a01065f737461727400000a0701050041016a0b");

  /** {@code _start} calls {@code proc_exit(0)}, then would trap. */
  static final byte[] EXIT_ZERO =
      hex(
          "0061736d0100000001080260017f0060000002240116776173695f736e617073686f745f707265766965"
              + "77310970726f635f65786974000003020101070a01065f737461727400010a090107004100"
              + "1000000b");

  /** {@code (module (func $spin (loop $l (br $l))) (start $spin) (func (export "_start")))}. */
  static final byte[] START_SECTION_LOOPS =
      hex(
          "0061736d010000000104016000000303020000070a01065f737461727400010801000a0c02070003400c00"
              + "0b0b02000b");

  /** {@code (module (func $f (call $f)) (func (export "_start") (call $f)))}. */
  static final byte[] UNBOUNDED_RECURSION =
      hex(
          "0061736d010000000104016000000303020000070a01065f737461727400010a0b0204001000"
              + "0b040010000b");

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
