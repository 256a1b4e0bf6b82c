/*
 * cove.h: cove's contract ABI for C (docs/abi.md), for clang targeting wasm32.
 *
 * Declares every host function of module "env" with its exact wasm signature, the
 * status codes of `call` and `create`, and two helpers a contract needs: an entry-point
 * attribute (COVE_ENTRY) and a bump allocator exported as `allocate` (COVE_ALLOCATOR),
 * which the host calls to place the values `storage_read`, `storage_read_lived` and
 * `precompile` return.
 *
 * Build a contract (no libc; clang-19 and wasm-ld from lld-19):
 *
 *   clang-19 --target=wasm32-unknown-unknown -mcpu=mvp -O2 -nostdlib -I crates/sdk/include \
 *     -Wl,--no-entry -Wl,-z,stack-size=32768 -o token.wasm examples/c/token.c
 *
 * Pointers and lengths are 32-bit; addresses are 20 bytes, code ids, salts, hashes and
 * values 32 (values big-endian). Every limit (key 1 KiB, value 128 KiB, ...) is the
 * host's, in docs/abi.md; breaking one ends the call. Nothing here allocates except
 * COVE_ALLOCATOR, and nothing is hidden: each function is the import itself.
 */
#ifndef COVE_H
#define COVE_H

#include <stdint.h>

#define COVE_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
/* Exports a function as an entry point of that name: `COVE_ENTRY(transfer) void transfer(void)`. */
#define COVE_ENTRY(name) __attribute__((export_name(#name)))

/* Storage of this contract. storage_read: 0 if absent, else (ptr << 32) | len of a
 * buffer the host obtained from `allocate`. */
COVE_IMPORT(storage_read) int64_t cove_storage_read(const void *key, int32_t key_len);
COVE_IMPORT(storage_write) int32_t cove_storage_write(const void *key, int32_t key_len, const void *value, int32_t value_len);
COVE_IMPORT(storage_delete) int32_t cove_storage_delete(const void *key, int32_t key_len);

/* Context. The two address functions write 20 bytes and return 20. */
COVE_IMPORT(get_caller) int32_t cove_get_caller(uint8_t out[20]);
COVE_IMPORT(get_contract_address) int32_t cove_get_contract_address(uint8_t out[20]);
COVE_IMPORT(get_block_number) int64_t cove_get_block_number(void);
COVE_IMPORT(get_block_timestamp) int64_t cove_get_block_timestamp(void);

/* Cryptography. crypto_hash writes SHA-256 (32 bytes); crypto_verify returns 1 or 0. */
COVE_IMPORT(crypto_hash) int32_t cove_crypto_hash(const void *data, int32_t data_len, uint8_t out[32]);
COVE_IMPORT(crypto_verify) int32_t cove_crypto_verify(const void *msg, int32_t msg_len, const void *sig, int32_t sig_len, const void *pk, int32_t pk_len);

/* Events, input, output, failure. cove_abort does not return. */
COVE_IMPORT(log_event) void cove_log_event(const void *topic, int32_t topic_len, const void *data, int32_t data_len);
COVE_IMPORT(input_len) int32_t cove_input_len(void);
COVE_IMPORT(input_read) void cove_input_read(void *dst);
COVE_IMPORT(return_data) void cove_return_data(const void *data, int32_t len);
COVE_IMPORT(abort) __attribute__((noreturn)) void cove_abort(const char *msg, int32_t msg_len);

/* The precompiled contract at `address` (the EVM's set): 0 if none or it failed, else
 * (ptr << 32) | len of its output, placed through `allocate`. */
COVE_IMPORT(precompile) int64_t cove_precompile(const uint8_t address[20], const void *input, int32_t input_len);

/* Calls between contracts ("Calls between contracts" in docs/abi.md). gas 0: as much
 * as allowed. Both return a status below; the callee's result (or abort message /
 * revert data) is then readable with cove_call_result_len/read. */
COVE_IMPORT(call) int32_t cove_call(const uint8_t address[20], const char *entry, int32_t entry_len, const void *input, int32_t input_len, const uint8_t value[32], int64_t gas);
COVE_IMPORT(create) int32_t cove_create(const uint8_t code_id[32], const uint8_t salt[32], const char *entry, int32_t entry_len, const void *input, int32_t input_len, const uint8_t value[32], int64_t gas, uint8_t address_out[20]);
/* Runs the code of the (importable) contract at `library` in this contract's context:
 * its storage, address and caller; no value. */
COVE_IMPORT(library_call) int32_t cove_library_call(const uint8_t library[20], const char *entry, int32_t entry_len, const void *input, int32_t input_len, int64_t gas);
COVE_IMPORT(call_result_len) int32_t cove_call_result_len(void);
COVE_IMPORT(call_result_read) void cove_call_result_read(void *dst);

/* Storage with a life (docs/abi.md): entries that live `life` blocks (1..2^32), in a key
 * space of their own. storage_read_lived: 0 if none lives, else (ptr << 32) | len as
 * storage_read, and the remaining life (u64 little-endian) written at life_out. */
COVE_IMPORT(storage_write_lived) int32_t cove_storage_write_lived(const void *key, int32_t key_len, const void *value, int32_t value_len, int64_t life);
COVE_IMPORT(storage_read_lived) int64_t cove_storage_read_lived(const void *key, int32_t key_len, uint8_t life_out[8]);
COVE_IMPORT(storage_life) int64_t cove_storage_life(const void *key, int32_t key_len);
COVE_IMPORT(storage_extend_life) int64_t cove_storage_extend_life(const void *key, int32_t key_len, int64_t life);
COVE_IMPORT(storage_delete_lived) int32_t cove_storage_delete_lived(const void *key, int32_t key_len);

/* The status of cove_call and cove_create. */
enum cove_status {
  COVE_OK = 0,
  COVE_TRAP = 1,
  COVE_OUT_OF_GAS = 2,
  COVE_ABORTED = 3,
  COVE_REVERTED = 4,
  COVE_READ_ONLY = 5,
  COVE_NOT_FOUND = 6,
  COVE_UNAUTHORIZED = 7,
  COVE_INVALID_ARGUMENT = 8,
  COVE_CALL_DEPTH = 9,
  COVE_REENTRANCY = 10,
  COVE_VALIDATION = 11,
};

/* The pointer and length halves of a (ptr << 32) | len result. */
static inline void *cove_ptr(int64_t packed) { return (void *)(uintptr_t)((uint64_t)packed >> 32); }
static inline int32_t cove_len(int64_t packed) { return (int32_t)(packed & 0xffffffff); }

/* Aborts with a string literal. */
#define COVE_ABORT(literal) cove_abort((literal), (int32_t)(sizeof(literal) - 1))

/*
 * A bump allocator over the memory after the linker's heap base, exported as
 * `allocate`: define it once, at file scope, in one source file of the contract.
 * Memory is never freed (a call's instance is thrown away after the call); growth past
 * the current memory uses memory.grow, priced per page, and traps when it fails.
 */
#define COVE_ALLOCATOR                                                                   \
  extern unsigned char __heap_base;                                                     \
  static uintptr_t cove_heap_next;                                                      \
  __attribute__((export_name("allocate"))) void *cove_allocate(int32_t len) {          \
    if (cove_heap_next == 0) cove_heap_next = (uintptr_t)&__heap_base;                  \
    uintptr_t start = (cove_heap_next + 7) & ~(uintptr_t)7;                             \
    uintptr_t end = start + (uint32_t)len;                                              \
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;                             \
    if (end < start) __builtin_trap();                                                  \
    if (end > have &&                                                                   \
        __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (uintptr_t)-1) \
      __builtin_trap();                                                                 \
    cove_heap_next = end;                                                               \
    return (void *)start;                                                               \
  }

#endif /* COVE_H */
