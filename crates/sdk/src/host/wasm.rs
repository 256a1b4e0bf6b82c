//! The `env` imports and the glue that turns their pointers into slices and vectors.
//!
//! Every `unsafe` block here passes the host a pointer and length taken from a live Rust
//! slice or array (so the range is in bounds and, for writes, exclusively borrowed), or
//! takes ownership of a buffer the host filled after obtaining it from [`allocate`].
#![allow(unsafe_code)]

use alloc::vec::Vec;

mod raw {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        pub(super) fn storage_read(key_ptr: *const u8, key_len: usize) -> u64;
        pub(super) fn storage_write(
            key_ptr: *const u8,
            key_len: usize,
            value_ptr: *const u8,
            value_len: usize,
        ) -> i32;
        pub(super) fn storage_delete(key_ptr: *const u8, key_len: usize) -> i32;
        pub(super) fn get_caller(result_ptr: *mut u8) -> i32;
        pub(super) fn get_contract_address(result_ptr: *mut u8) -> i32;
        pub(super) fn get_block_number() -> i64;
        pub(super) fn get_block_timestamp() -> i64;
        pub(super) fn crypto_hash(data_ptr: *const u8, data_len: usize, result_ptr: *mut u8) -> i32;
        pub(super) fn crypto_verify(
            msg_ptr: *const u8,
            msg_len: usize,
            sig_ptr: *const u8,
            sig_len: usize,
            pk_ptr: *const u8,
            pk_len: usize,
        ) -> i32;
        pub(super) fn log_event(topic_ptr: *const u8, topic_len: usize, data_ptr: *const u8, data_len: usize);
        pub(super) fn input_len() -> usize;
        pub(super) fn input_read(dst_ptr: *mut u8);
        pub(super) fn return_data(ptr: *const u8, len: usize);
        pub(super) fn abort(msg_ptr: *const u8, msg_len: usize);
        pub(super) fn precompile(address_ptr: *const u8, input_ptr: *const u8, input_len: usize) -> u64;
        pub(super) fn call(
            address_ptr: *const u8,
            entry_ptr: *const u8,
            entry_len: usize,
            input_ptr: *const u8,
            input_len: usize,
            value_ptr: *const u8,
            gas: i64,
        ) -> i32;
        #[allow(clippy::too_many_arguments)]
        pub(super) fn create(
            code_id_ptr: *const u8,
            salt_ptr: *const u8,
            entry_ptr: *const u8,
            entry_len: usize,
            input_ptr: *const u8,
            input_len: usize,
            value_ptr: *const u8,
            gas: i64,
            address_ptr: *mut u8,
        ) -> i32;
        pub(super) fn library_call(
            address_ptr: *const u8,
            entry_ptr: *const u8,
            entry_len: usize,
            input_ptr: *const u8,
            input_len: usize,
            gas: i64,
        ) -> i32;
        pub(super) fn call_result_len() -> usize;
        pub(super) fn call_result_read(dst_ptr: *mut u8);
        pub(super) fn storage_write_lived(
            key_ptr: *const u8,
            key_len: usize,
            value_ptr: *const u8,
            value_len: usize,
            life: i64,
        ) -> i32;
        pub(super) fn storage_read_lived(key_ptr: *const u8, key_len: usize, life_ptr: *mut u8) -> u64;
        pub(super) fn storage_life(key_ptr: *const u8, key_len: usize) -> i64;
        pub(super) fn storage_extend_life(key_ptr: *const u8, key_len: usize, life: i64) -> i64;
        pub(super) fn storage_delete_lived(key_ptr: *const u8, key_len: usize) -> i32;
    }
}

/// The host's `allocate(len) -> ptr`: memory for a value `storage_read` or `precompile`
/// returns. The buffer is `len` bytes aligned to 1 from the global allocator, so
/// [`owned`] can hand it back as a `Vec<u8>` that frees it normally. A zero length gets
/// a dangling, non-zero pointer (nothing is allocated). Allocation failure traps: host
/// functions (hence `abort`) may not be called from inside `allocate`.
#[unsafe(no_mangle)]
extern "C" fn allocate(len: usize) -> *mut u8 {
    if len == 0 {
        return core::ptr::NonNull::<u8>::dangling().as_ptr();
    }
    let layout = match core::alloc::Layout::from_size_align(len, 1) {
        Ok(layout) => layout,
        Err(_) => core::arch::wasm32::unreachable(),
    };
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc::alloc::alloc(layout) };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}

/// Takes ownership of the `(ptr << 32) | len` buffer the host filled through [`allocate`].
#[inline]
fn owned(packed: u64) -> Vec<u8> {
    let (ptr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
    if len == 0 {
        return Vec::new();
    }
    // SAFETY: `ptr` came from `allocate(len)`, a live allocation of exactly `len` bytes
    // with alignment 1 from the global allocator, which the host filled and nobody else
    // owns.
    unsafe { Vec::from_raw_parts(ptr as *mut u8, len, len) }
}

#[inline]
pub(crate) fn storage_read(key: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: `key` is a live slice.
    let packed = unsafe { raw::storage_read(key.as_ptr(), key.len()) };
    (packed != 0).then(|| owned(packed))
}

#[inline]
pub(crate) fn storage_write(key: &[u8], value: &[u8]) {
    // SAFETY: both are live slices. The result is always 0; failures end the call.
    unsafe { raw::storage_write(key.as_ptr(), key.len(), value.as_ptr(), value.len()) };
}

#[inline]
pub(crate) fn storage_delete(key: &[u8]) -> bool {
    // SAFETY: `key` is a live slice.
    unsafe { raw::storage_delete(key.as_ptr(), key.len()) == 1 }
}

#[inline]
pub(crate) fn storage_write_lived(key: &[u8], value: &[u8], life: u64) {
    // SAFETY: both are live slices. The result is always 0; failures end the call (a
    // life above i64::MAX reads as negative, which the host refuses).
    unsafe { raw::storage_write_lived(key.as_ptr(), key.len(), value.as_ptr(), value.len(), life as i64) };
}

#[inline]
pub(crate) fn storage_read_lived(key: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut life = [0u8; 8];
    // SAFETY: `key` is a live slice, `life` a live 8-byte array the host may write.
    let packed = unsafe { raw::storage_read_lived(key.as_ptr(), key.len(), life.as_mut_ptr()) };
    (packed != 0).then(|| (owned(packed), u64::from_le_bytes(life)))
}

#[inline]
pub(crate) fn storage_life(key: &[u8]) -> u64 {
    // SAFETY: `key` is a live slice.
    unsafe { raw::storage_life(key.as_ptr(), key.len()) as u64 }
}

#[inline]
pub(crate) fn storage_extend_life(key: &[u8], life: u64) -> u64 {
    // SAFETY: `key` is a live slice.
    unsafe { raw::storage_extend_life(key.as_ptr(), key.len(), life as i64) as u64 }
}

#[inline]
pub(crate) fn storage_delete_lived(key: &[u8]) -> bool {
    // SAFETY: `key` is a live slice.
    unsafe { raw::storage_delete_lived(key.as_ptr(), key.len()) == 1 }
}

#[inline]
pub(crate) fn caller() -> [u8; 20] {
    let mut out = [0u8; 20];
    // SAFETY: the host writes exactly 20 bytes into `out`.
    unsafe { raw::get_caller(out.as_mut_ptr()) };
    out
}

#[inline]
pub(crate) fn contract_address() -> [u8; 20] {
    let mut out = [0u8; 20];
    // SAFETY: the host writes exactly 20 bytes into `out`.
    unsafe { raw::get_contract_address(out.as_mut_ptr()) };
    out
}

#[inline]
pub(crate) fn block_number() -> u64 {
    // SAFETY: no memory is involved.
    unsafe { raw::get_block_number() as u64 }
}

#[inline]
pub(crate) fn block_timestamp() -> u64 {
    // SAFETY: no memory is involved.
    unsafe { raw::get_block_timestamp() as u64 }
}

#[inline]
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: `data` is a live slice; the host writes exactly 32 bytes into `out`.
    unsafe { raw::crypto_hash(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

#[inline]
pub(crate) fn verify(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    // SAFETY: all three are live slices; the host only reads them.
    unsafe {
        raw::crypto_verify(
            message.as_ptr(),
            message.len(),
            signature.as_ptr(),
            signature.len(),
            public_key.as_ptr(),
            public_key.len(),
        ) == 1
    }
}

#[inline]
pub(crate) fn log_event(topic: &[u8], data: &[u8]) {
    // SAFETY: both are live slices.
    unsafe { raw::log_event(topic.as_ptr(), topic.len(), data.as_ptr(), data.len()) }
}

#[inline]
pub(crate) fn input() -> Vec<u8> {
    // SAFETY: no memory is involved.
    let len = unsafe { raw::input_len() };
    if len == 0 {
        return Vec::new();
    }
    let mut buffer = Vec::with_capacity(len);
    // SAFETY: the buffer has room for `len` bytes, which the host writes in full before
    // `set_len` exposes them.
    unsafe {
        raw::input_read(buffer.as_mut_ptr());
        buffer.set_len(len);
    }
    buffer
}

#[inline]
pub(crate) fn return_data(bytes: &[u8]) {
    // SAFETY: a live slice.
    unsafe { raw::return_data(bytes.as_ptr(), bytes.len()) }
}

#[inline]
pub(crate) fn abort(message: &str) -> ! {
    // SAFETY: a live slice. The host ends the call and never returns here.
    unsafe { raw::abort(message.as_ptr(), message.len()) };
    core::arch::wasm32::unreachable()
}

#[inline]
pub(crate) fn precompile(address: &[u8; 20], input: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: live array and slice; any output comes back through `allocate`.
    let packed = unsafe { raw::precompile(address.as_ptr(), input.as_ptr(), input.len()) };
    (packed != 0).then(|| owned(packed))
}

/// A gas amount as the host takes it: an `i64`, which a `u64` above `i64::MAX` saturates
/// to (more than any call may use, so the host caps it as it caps 0).
#[inline]
fn gas_arg(gas: u64) -> i64 {
    i64::try_from(gas).unwrap_or(i64::MAX)
}

#[inline]
pub(crate) fn call(address: &[u8; 20], entry: &[u8], input: &[u8], value: &[u8; 32], gas: u64) -> i32 {
    // SAFETY: live arrays and slices, which the host only reads.
    unsafe {
        raw::call(
            address.as_ptr(),
            entry.as_ptr(),
            entry.len(),
            input.as_ptr(),
            input.len(),
            value.as_ptr(),
            gas_arg(gas),
        )
    }
}

#[inline]
pub(crate) fn library_call(library: &[u8; 20], entry: &[u8], input: &[u8], gas: u64) -> i32 {
    // SAFETY: live arrays and slices, which the host only reads.
    unsafe {
        raw::library_call(
            library.as_ptr(),
            entry.as_ptr(),
            entry.len(),
            input.as_ptr(),
            input.len(),
            gas_arg(gas),
        )
    }
}

#[inline]
pub(crate) fn create(
    code_id: &[u8; 32],
    salt: &[u8; 32],
    entry: &[u8],
    input: &[u8],
    value: &[u8; 32],
    gas: u64,
) -> (i32, [u8; 20]) {
    let mut address = [0u8; 20];
    // SAFETY: live arrays and slices the host only reads, and a 20-byte array it may
    // write in full.
    let status = unsafe {
        raw::create(
            code_id.as_ptr(),
            salt.as_ptr(),
            entry.as_ptr(),
            entry.len(),
            input.as_ptr(),
            input.len(),
            value.as_ptr(),
            gas_arg(gas),
            address.as_mut_ptr(),
        )
    };
    (status, address)
}

/// The last call's or create's result.
#[inline]
pub(crate) fn call_result() -> Vec<u8> {
    // SAFETY: no memory is involved.
    let len = unsafe { raw::call_result_len() };
    if len == 0 {
        return Vec::new();
    }
    let mut buffer = Vec::with_capacity(len);
    // SAFETY: the buffer has room for `len` bytes, which the host writes in full before
    // `set_len` exposes them.
    unsafe {
        raw::call_result_read(buffer.as_mut_ptr());
        buffer.set_len(len);
    }
    buffer
}
