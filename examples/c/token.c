/*
 * The token of examples/token.wat, in C with crates/sdk/include/cove.h.
 *
 *   init      mints the supply to the deployer: 1,000,000, or the u64 (LE) in the input.
 *   transfer  input = recipient (20 bytes) ++ amount (u64 LE); moves amount from the
 *             caller, aborting with "insufficient balance" if it has less. Logs topic
 *             "transfer" with data = from (20) ++ to (20) ++ amount (u64 LE).
 *   balance   input = address (20 bytes); returns its balance as a u64 (LE).
 *
 * Storage: key "b" ++ address -> u64 LE, as the WAT and Rust tokens, so the three are
 * interchangeable. Built by scripts/build-contracts.sh into target/contracts/token_c.wasm.
 */
#include <cove.h>

COVE_ALLOCATOR

/* Reads exactly `len` input bytes into `dst`, or aborts. */
static void read_input(void *dst, int32_t len) {
  if (cove_input_len() != len) COVE_ABORT("bad input");
  cove_input_read(dst);
}

static void balance_key(uint8_t key[21], const uint8_t owner[20]) {
  key[0] = 'b';
  __builtin_memcpy(key + 1, owner, 20);
}

static uint64_t load(const uint8_t key[21]) {
  int64_t found = cove_storage_read(key, 21);
  if (found == 0) return 0;
  if (cove_len(found) != 8) COVE_ABORT("corrupt balance");
  uint64_t value;
  __builtin_memcpy(&value, cove_ptr(found), 8);
  return value;
}

static void store(const uint8_t key[21], uint64_t value) {
  cove_storage_write(key, 21, &value, 8);
}

COVE_ENTRY(init) void init(void) {
  uint64_t supply = 1000000;
  if (cove_input_len() != 0) read_input(&supply, 8);
  uint8_t caller[20], key[21];
  cove_get_caller(caller);
  balance_key(key, caller);
  store(key, supply);
}

COVE_ENTRY(transfer) void transfer(void) {
  struct {
    uint8_t to[20];
    uint8_t amount[8];
  } input;
  read_input(&input, 28);
  uint64_t amount;
  __builtin_memcpy(&amount, input.amount, 8);

  uint8_t from[20], from_key[21], to_key[21];
  cove_get_caller(from);
  balance_key(from_key, from);
  uint64_t from_balance = load(from_key);
  if (from_balance < amount) COVE_ABORT("insufficient balance");
  store(from_key, from_balance - amount);
  /* Read the recipient after debiting, so a transfer to oneself is a no-op. */
  balance_key(to_key, input.to);
  store(to_key, load(to_key) + amount);

  uint8_t event[48];
  __builtin_memcpy(event, from, 20);
  __builtin_memcpy(event + 20, input.to, 20);
  __builtin_memcpy(event + 40, &amount, 8);
  cove_log_event("transfer", 8, event, 48);
}

COVE_ENTRY(balance) void balance(void) {
  uint8_t owner[20], key[21];
  read_input(owner, 20);
  balance_key(key, owner);
  uint64_t value = load(key);
  cove_return_data(&value, 8);
}
