//! Host functions of storage with a life (`docs/abi.md`, "Storage with a life"): write an
//! entry that lives a number of blocks, read it with its remaining life, read the life
//! alone, extend it, delete it.
//!
//! They follow the order of every host function (`host.rs`): checks, one charge, then
//! the act. The life is in blocks: an entry written at block `b` with life `L` expires at
//! `b + L` and reads as absent from that block on, whether or not the runtime has purged
//! it yet. This module knows nothing of keys or of purging (the storage's), only of the
//! call's block height and the prices.

use types::{ContractStorage, ErrorKind};
use wasmtime::Linker;

use crate::config::{LIFE_PRICE_BLOCKS, MAX_STORAGE_LIFE};
use crate::exec::HostState;
use crate::host::{
    C, Res, allocate, charge, check_len, costs, enter, per_byte, price, range, read_bytes, storage_fault,
    trap, write_bytes,
};

/// The gas for `bytes` bytes kept `life` blocks at `per_byte` gas per byte per
/// [`LIFE_PRICE_BLOCKS`] blocks: `ceil(bytes x life x per_byte / LIFE_PRICE_BLOCKS)`,
/// saturating at `u64::MAX` (which no call can pay).
pub fn life_price(per_byte: u64, bytes: usize, life: u64) -> u64 {
    let units = (bytes as u128) * u128::from(life) * u128::from(per_byte);
    u64::try_from(units.div_ceil(u128::from(LIFE_PRICE_BLOCKS))).unwrap_or(u64::MAX)
}

/// The life argument as a block count in `1..=MAX_STORAGE_LIFE`, and the height at which
/// an entry given it now expires.
fn expiry<S>(c: &C<'_, S>, name: &str, life: i64) -> Res<(u64, u64)> {
    if life < 1 || life as u64 > MAX_STORAGE_LIFE {
        return trap(
            ErrorKind::InvalidArgument,
            format!("{name}: a life of {life} blocks is outside 1..={MAX_STORAGE_LIFE} (MAX_STORAGE_LIFE)"),
        );
    }
    let life = life as u64;
    match c.data().block.height.checked_add(life) {
        Some(expires) => Ok((life, expires)),
        None => trap(ErrorKind::InvalidArgument, format!("{name}: the block height plus the life overflows")),
    }
}

fn writable<S>(c: &C<'_, S>, name: &str) -> Res<()> {
    if c.data().read_only {
        return trap(ErrorKind::ReadOnly, format!("{name} in a read-only call"));
    }
    Ok(())
}

/// Defines the functions of storage with a life in `linker`.
pub(crate) fn define<S: ContractStorage + Send + 'static>(
    linker: &mut Linker<HostState<S>>,
) -> wasmtime::Result<()> {
    let env = crate::abi::IMPORT_MODULE;

    linker.func_wrap(
        env,
        "storage_write_lived",
        |mut c: C<'_, S>,
         key_ptr: i32,
         key_len: i32,
         value_ptr: i32,
         value_len: i32,
         life: i64|
         -> Res<i32> {
            const NAME: &str = "storage_write_lived";
            let (g, l) = costs(&c);
            let h = &g.host;
            let (base, pb, pl) = (
                h.storage_write.saturating_add(h.storage_delete),
                h.storage_write_per_byte,
                h.storage_life_per_byte,
            );
            enter(&c, NAME)?;
            writable(&c, NAME)?;
            check_len(NAME, "key", key_len, l.max_key_len)?;
            check_len(NAME, "value", value_len, l.max_value_len)?;
            if value_len == 0 {
                return trap(
                    ErrorKind::InvalidArgument,
                    format!("{NAME}: values must be non-empty (use storage_delete_lived)"),
                );
            }
            let (life, expires) = expiry(&c, NAME, life)?;
            let key = range(&c, NAME, "key", key_ptr, key_len)?;
            let value = range(&c, NAME, "value", value_ptr, value_len)?;
            let bytes = key.len() + value.len();
            charge(&mut c, price(base, pb, bytes).saturating_add(life_price(pl, bytes, life)))?;
            let (key, value) = (read_bytes(&c, key), read_bytes(&c, value));
            c.data_mut().storage.write_lived(&key, &value, expires).map_err(storage_fault)?;
            Ok(0)
        },
    )?;

    linker.func_wrap(
        env,
        "storage_read_lived",
        |mut c: C<'_, S>, key_ptr: i32, key_len: i32, life_ptr: i32| -> Res<i64> {
            const NAME: &str = "storage_read_lived";
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.storage_read, g.host.storage_read_per_byte);
            enter(&c, NAME)?;
            check_len(NAME, "key", key_len, l.max_key_len)?;
            let key = range(&c, NAME, "key", key_ptr, key_len)?;
            let life_out = range(&c, NAME, "life", life_ptr, 8)?;
            charge(&mut c, price(base, pb, key.len()))?;
            let key = read_bytes(&c, key);
            let height = c.data().block.height;
            let found = c.data_mut().storage.read_lived(&key).map_err(storage_fault)?;
            let Some(entry) = found.filter(|e| e.alive_at(height)) else { return Ok(0) };
            charge(&mut c, per_byte(pb, entry.value.len()))?;
            let ptr = allocate(&mut c, entry.value.len())?;
            write_bytes(&mut c, ptr, &entry.value);
            // Memory only grows, so the range checked before `allocate` is still inside it.
            write_bytes(&mut c, life_out.start, &entry.life_at(height).to_le_bytes());
            Ok(((ptr as u64) << 32 | entry.value.len() as u64) as i64)
        },
    )?;

    linker.func_wrap(env, "storage_life", |mut c: C<'_, S>, key_ptr: i32, key_len: i32| -> Res<i64> {
        const NAME: &str = "storage_life";
        let (g, l) = costs(&c);
        let (base, pb) = (g.host.storage_read, g.host.storage_read_per_byte);
        enter(&c, NAME)?;
        check_len(NAME, "key", key_len, l.max_key_len)?;
        let key = range(&c, NAME, "key", key_ptr, key_len)?;
        charge(&mut c, price(base, pb, key.len()))?;
        let key = read_bytes(&c, key);
        let height = c.data().block.height;
        let found = c.data_mut().storage.read_lived(&key).map_err(storage_fault)?;
        Ok(found.map_or(0, |e| e.life_at(height)) as i64)
    })?;

    linker.func_wrap(
        env,
        "storage_extend_life",
        |mut c: C<'_, S>, key_ptr: i32, key_len: i32, life: i64| -> Res<i64> {
            const NAME: &str = "storage_extend_life";
            let (g, l) = costs(&c);
            let h = &g.host;
            let (read, pr, write, pl) =
                (h.storage_read, h.storage_read_per_byte, h.storage_write, h.storage_life_per_byte);
            enter(&c, NAME)?;
            writable(&c, NAME)?;
            check_len(NAME, "key", key_len, l.max_key_len)?;
            let (_, wanted) = expiry(&c, NAME, life)?;
            let key = range(&c, NAME, "key", key_ptr, key_len)?;
            charge(&mut c, price(read, pr, key.len()))?;
            let key = read_bytes(&c, key);
            let height = c.data().block.height;
            let found = c.data_mut().storage.read_lived(&key).map_err(storage_fault)?;
            let Some(entry) = found.filter(|e| e.alive_at(height)) else { return Ok(0) };
            if wanted <= entry.expires {
                return Ok(entry.life_at(height) as i64);
            }
            let bytes = key.len() + entry.value.len();
            charge(&mut c, write.saturating_add(life_price(pl, bytes, wanted - entry.expires)))?;
            c.data_mut().storage.write_lived(&key, &entry.value, wanted).map_err(storage_fault)?;
            Ok((wanted - height) as i64)
        },
    )?;

    linker.func_wrap(
        env,
        "storage_delete_lived",
        |mut c: C<'_, S>, key_ptr: i32, key_len: i32| -> Res<i32> {
            const NAME: &str = "storage_delete_lived";
            let (g, l) = costs(&c);
            let base = g.host.storage_delete;
            enter(&c, NAME)?;
            writable(&c, NAME)?;
            check_len(NAME, "key", key_len, l.max_key_len)?;
            let key = range(&c, NAME, "key", key_ptr, key_len)?;
            charge(&mut c, base)?;
            let key = read_bytes(&c, key);
            let height = c.data().block.height;
            let removed = c.data_mut().storage.remove_lived(&key).map_err(storage_fault)?;
            Ok(removed.is_some_and(|e| e.alive_at(height)) as i32)
        },
    )?;

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::life_price;

    #[test]
    fn the_life_price_rounds_up_and_saturates() {
        assert_eq!(life_price(1, 100, 1_024), 100);
        assert_eq!(life_price(1, 1, 1), 1, "any life costs at least one gas");
        assert_eq!(life_price(3, 10, 100), 3);
        assert_eq!(life_price(1 << 24, 1 << 30, 1 << 32), u64::MAX);
    }
}
