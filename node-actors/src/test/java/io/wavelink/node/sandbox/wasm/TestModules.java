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

  /**
   * Reports whether its memory was clean, then dirties it. Grows its memory to 64 pages (4 MiB),
   * writes {@code clean} or {@code dirty} to stdout depending on whether any byte from 32 to the
   * end is non-zero, then fills those bytes with 0xA5 ({@code memory.fill}). Source:
   *
   * <pre>
   * (module
   *   (import "wasi_snapshot_preview1" "fd_write"
   *     (func $fd_write (param i32 i32 i32 i32) (result i32)))
   *   (memory 1)
   *   (data (i32.const 0) "clean\n\00\00dirty\n")
   *   (func (export "_start")
   *     (local $addr i32) (local $end i32) (local $dirty i32)
   *     (drop (memory.grow (i32.const 63)))
   *     (local.set $end (i32.mul (memory.size) (i32.const 65536)))
   *     (local.set $addr (i32.const 32))
   *     (block $done
   *       (loop $scan
   *         (br_if $done (i32.ge_u (local.get $addr) (local.get $end)))
   *         (if (i64.ne (i64.load (local.get $addr)) (i64.const 0))
   *           (then (local.set $dirty (i32.const 1))))
   *         (local.set $addr (i32.add (local.get $addr) (i32.const 8)))
   *         (br $scan)))
   *     (memory.fill (i32.const 32) (i32.const 0xA5) (i32.sub (local.get $end) (i32.const 32)))
   *     (i32.store (i32.const 16) (i32.mul (local.get $dirty) (i32.const 8)))
   *     (i32.store (i32.const 20) (i32.const 6))
   *     (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
   * </pre>
   */
  static final byte[] MEMORY_SCAN =
      hex(
          "0061736d01000000010c0260047f7f7f7f017f60000002230116776173695f736e617073686f745f707265"
              + "76696577310866645f77726974650000030201010503010001070a01065f737461727400010a6601640103"
              + "7f413f40001a3f00418080046c21014120210002400340200020014f0d0120002903004200520440410121"
              + "020b200041086a21000c000b0b412041a501200141206bfc0b004110200241086c36020041144106360200"
              + "410141104101411810001a0b0b14010041000b0e636c65616e0a000064697274790a");

  /**
   * Makes the out-of-bounds access its first input byte names, on a memory of 1 page (at most 4):
   * {@code l} an i32 load across the end, {@code s} an i64 store just past it, {@code n} a load from
   * a negative address, {@code f} a {@code memory.fill} and {@code c} a {@code memory.copy} across
   * the end, {@code g} grows to 2 pages, stores in the new page, then loads an i64 across its end.
   * Any other input: returns. Source:
   *
   * <pre>
   * (module
   *   (import "wasi_snapshot_preview1" "fd_read"
   *     (func $fd_read (param i32 i32 i32 i32) (result i32)))
   *   (memory 1 4)
   *   (func (export "_start")
   *     (local $op i32)
   *     (i32.store (i32.const 0) (i32.const 64))
   *     (i32.store (i32.const 4) (i32.const 1))
   *     (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
   *     (local.set $op (i32.load8_u (i32.const 64)))
   *     (if (i32.eq (local.get $op) (i32.const 108)) (then (drop (i32.load (i32.const 65534)))))
   *     (if (i32.eq (local.get $op) (i32.const 115))
   *       (then (i64.store (i32.const 65536) (i64.const 1))))
   *     (if (i32.eq (local.get $op) (i32.const 110))
   *       (then (drop (i32.load offset=16 (i32.const -8)))))
   *     (if (i32.eq (local.get $op) (i32.const 102))
   *       (then (memory.fill (i32.const 65000) (i32.const 1) (i32.const 1000))))
   *     (if (i32.eq (local.get $op) (i32.const 99))
   *       (then (memory.copy (i32.const 0) (i32.const 65000) (i32.const 1000))))
   *     (if (i32.eq (local.get $op) (i32.const 103))
   *       (then
   *         (drop (memory.grow (i32.const 1)))
   *         (i64.store (i32.const 131064) (i64.const 1))
   *         (drop (i64.load (i32.const 131068)))))))
   * </pre>
   */
  static final byte[] OUT_OF_BOUNDS =
      hex(
          "0061736d01000000010c0260047f7f7f7f017f60000002220116776173695f736e617073686f745f707265"
              + "76696577310766645f72656164000003020101050401010104070a01065f737461727400010aa50101a201"
              + "01017f410041c00036020041044101360200410041004101410810001a41c0002d00002100200041ec0046"
              + "044041feff032802001a0b200041f3004604404180800442013703000b200041ee0046044041782802101a"
              + "0b200041e60046044041e8fb03410141e807fc0b000b200041e300460440410041e8fb0341e807fc0a0000"
              + "0b200041e700460440410140001a41f8ff07420137030041fcff072903001a0b0b");

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
