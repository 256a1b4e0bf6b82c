//! Addresses in CosmWasm's dual form: bech32 with the configured prefix for humans and
//! contracts' messages, cove's 20 canonical bytes inside. `addr_validate` accepts only
//! the normalized form (lowercase, the configured prefix, 20 bytes), as wasmd does.

use bech32::{Bech32, Hrp};
use types::Address;

/// Converts between human and canonical addresses for one prefix.
#[derive(Debug, Clone)]
pub struct Addresses {
    hrp: Hrp,
}

impl Addresses {
    /// For bech32 prefix `prefix` (e.g. `cove`).
    pub fn new(prefix: &str) -> Result<Addresses, String> {
        let hrp = Hrp::parse(prefix).map_err(|e| format!("invalid bech32 prefix {prefix:?}: {e}"))?;
        if prefix.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("bech32 prefix {prefix:?} must be lowercase"));
        }
        Ok(Addresses { hrp })
    }

    /// The human form of `address`.
    pub fn humanize(&self, address: &Address) -> String {
        bech32::encode::<Bech32>(self.hrp, &address.0).expect("20 bytes always encode")
    }

    /// The canonical form of `human`, or the error message CosmWasm reports back.
    pub fn canonicalize(&self, human: &str) -> Result<Address, String> {
        let (hrp, data) = bech32::decode(human).map_err(|e| format!("Error decoding bech32: {e}"))?;
        if hrp != self.hrp {
            return Err(format!("Wrong bech32 prefix: expected {}, got {}", self.hrp, hrp));
        }
        let bytes: [u8; 20] = data.try_into().map_err(|d: Vec<u8>| {
            format!("Invalid canonical address length: {} (cove addresses are 20 bytes)", d.len())
        })?;
        Ok(Address(bytes))
    }

    /// Like [`Addresses::canonicalize`], and `human` must be the normalized form.
    pub fn validate(&self, human: &str) -> Result<Address, String> {
        let address = self.canonicalize(human)?;
        if self.humanize(&address) != human {
            return Err("Address is not normalized".into());
        }
        Ok(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_normalization() {
        let a = Addresses::new("cove").unwrap();
        let addr = Address([7; 20]);
        let human = a.humanize(&addr);
        assert!(human.starts_with("cove1"));
        assert_eq!(a.validate(&human).unwrap(), addr);
        assert_eq!(a.canonicalize(&human.to_uppercase()).unwrap(), addr);
        assert_eq!(a.validate(&human.to_uppercase()).unwrap_err(), "Address is not normalized");
        let other = Addresses::new("osmo").unwrap().humanize(&addr);
        assert!(a.validate(&other).unwrap_err().contains("Wrong bech32 prefix"));
        assert!(a.validate("cove1").is_err());
        assert!(Addresses::new("Cove").is_err());
    }
}
