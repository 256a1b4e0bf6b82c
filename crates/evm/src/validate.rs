//! Deploy-time checks of EVM code: size and disabled opcodes.

use revm::bytecode::opcode::OpCode;
use types::{CallError, ErrorKind};

/// Refuses init code over `max_len` bytes or containing a disabled opcode. The scan
/// walks instructions as the EVM would, skipping PUSH data, so a disabled opcode's byte
/// inside a constant is not a match (seed 002's `validate_code`).
pub(crate) fn check(code: &[u8], max_len: usize, disabled: &[bool; 256]) -> Result<(), CallError> {
    if code.is_empty() {
        return Err(CallError::new(ErrorKind::Validation, "empty code"));
    }
    if code.len() > max_len {
        return Err(CallError::new(
            ErrorKind::Validation,
            format!("code-size: init code is {} bytes; the maximum is {max_len} (EIP-3860)", code.len()),
        ));
    }
    let mut pc = 0;
    while pc < code.len() {
        let op = code[pc];
        if disabled[op as usize] {
            let name = OpCode::new(op).map_or("?", |o| o.as_str());
            return Err(CallError::new(
                ErrorKind::Validation,
                format!("disabled-opcode: {name} (0x{op:02x}) at byte {pc} is disabled on this chain"),
            ));
        }
        pc += 1 + if OpCode::is_push_by_op(op) { (op - 0x5f) as usize } else { 0 };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disabled(ops: &[u8]) -> [bool; 256] {
        let mut d = [false; 256];
        for &op in ops {
            d[op as usize] = true;
        }
        d
    }

    #[test]
    fn push_data_is_skipped() {
        // PUSH2 0xff 0xff; STOP — 0xff (SELFDESTRUCT) only inside PUSH data.
        assert!(check(&[0x61, 0xff, 0xff, 0x00], 100, &disabled(&[0xff])).is_ok());
        // PUSH1 0x00; SELFDESTRUCT.
        let e = check(&[0x60, 0x00, 0xff], 100, &disabled(&[0xff])).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert!(e.message.contains("SELFDESTRUCT") && e.message.contains("byte 2"), "{}", e.message);
        // A PUSH32 running past the end is fine (the EVM pads with zeros).
        assert!(check(&[0x7f, 0xff], 100, &disabled(&[0xff])).is_ok());
    }

    #[test]
    fn size_and_emptiness() {
        assert!(check(&[0u8; 101], 100, &disabled(&[])).unwrap_err().message.contains("code-size"));
        assert!(check(&[0u8; 100], 100, &disabled(&[])).is_ok());
        assert_eq!(check(&[], 100, &disabled(&[])).unwrap_err().kind, ErrorKind::Validation);
    }
}
