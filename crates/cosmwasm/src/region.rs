//! CosmWasm's `Region`: 12 bytes in the contract's memory, `offset`, `capacity` and
//! `length` as little-endian u32s, describing a buffer. The host reads arguments from
//! regions the contract owns and hands values back in regions it asks the contract to
//! `allocate`. Every field is checked against the memory's bounds before use.

use types::ErrorKind;
use wasmtime::AsContextMut;

use crate::host::trap;
use crate::instance::Host;

/// The size of a region descriptor.
const REGION_LEN: usize = 12;

struct Region {
    offset: u32,
    capacity: u32,
    length: u32,
}

fn memory(ctx: &mut impl AsContextMut<Data = Host>) -> wasmtime::Memory {
    ctx.as_context_mut().data().memory.expect("memory bound before the call")
}

fn descriptor(ctx: &mut impl AsContextMut<Data = Host>, ptr: u32) -> wasmtime::Result<Region> {
    let mem = memory(ctx);
    let data = mem.data(ctx.as_context_mut());
    let start = ptr as usize;
    let Some(bytes) = data.get(start..start + REGION_LEN) else {
        return trap(
            ErrorKind::Trap,
            format!("region pointer {ptr} is out of bounds of linear memory ({} bytes)", data.len()),
        );
    };
    let field = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let region = Region { offset: field(0), capacity: field(4), length: field(8) };
    if region.length > region.capacity {
        return trap(
            ErrorKind::Trap,
            format!("region at {ptr}: length {} exceeds capacity {}", region.length, region.capacity),
        );
    }
    if region.offset as u64 + region.capacity as u64 > data.len() as u64 {
        return trap(
            ErrorKind::Trap,
            format!(
                "region at {ptr}: [{}, +{}) is out of bounds of linear memory ({} bytes)",
                region.offset,
                region.capacity,
                data.len()
            ),
        );
    }
    Ok(region)
}

/// The bytes of the region at `ptr`, at most `max` of them (longer is an error naming
/// both lengths).
pub(crate) fn read(
    ctx: &mut impl AsContextMut<Data = Host>,
    ptr: u32,
    max: usize,
) -> wasmtime::Result<Vec<u8>> {
    let region = descriptor(ctx, ptr)?;
    if region.length as usize > max {
        return trap(
            ErrorKind::InvalidArgument,
            format!("region length {} exceeds the limit of {max} bytes", region.length),
        );
    }
    let mem = memory(ctx);
    let start = region.offset as usize;
    Ok(mem.data(ctx.as_context_mut())[start..start + region.length as usize].to_vec())
}

/// Like [`read`], with pointer 0 meaning "none" (`db_scan`'s open bounds).
pub(crate) fn read_optional(
    ctx: &mut impl AsContextMut<Data = Host>,
    ptr: u32,
    max: usize,
) -> wasmtime::Result<Option<Vec<u8>>> {
    if ptr == 0 { Ok(None) } else { read(ctx, ptr, max).map(Some) }
}

/// Writes `bytes` into the existing region at `ptr` (which must have the capacity) and
/// sets its length.
pub(crate) fn write_into(
    ctx: &mut impl AsContextMut<Data = Host>,
    ptr: u32,
    bytes: &[u8],
) -> wasmtime::Result<()> {
    let region = descriptor(ctx, ptr)?;
    if bytes.len() > region.capacity as usize {
        return trap(
            ErrorKind::Trap,
            format!("region at {ptr} has capacity {}; {} bytes do not fit", region.capacity, bytes.len()),
        );
    }
    let mem = memory(ctx);
    let data = mem.data_mut(ctx.as_context_mut());
    let start = region.offset as usize;
    data[start..start + bytes.len()].copy_from_slice(bytes);
    data[ptr as usize + 8..ptr as usize + 12].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    Ok(())
}

/// Asks the contract to `allocate` a region for `bytes`, fills it and returns its pointer.
pub(crate) fn write_new(ctx: &mut impl AsContextMut<Data = Host>, bytes: &[u8]) -> wasmtime::Result<u32> {
    let Ok(len) = u32::try_from(bytes.len()) else {
        return trap(ErrorKind::InvalidArgument, format!("{} bytes do not fit a region", bytes.len()));
    };
    let Some(allocate) = ctx.as_context_mut().data().allocate.clone() else {
        return trap(ErrorKind::Validation, "the contract exports no `allocate(u32) -> u32`");
    };
    ctx.as_context_mut().data_mut().in_allocate = true;
    let ptr = allocate.call(ctx.as_context_mut(), len);
    ctx.as_context_mut().data_mut().in_allocate = false;
    let ptr = ptr?;
    write_into(ctx, ptr, bytes)?;
    Ok(ptr)
}
