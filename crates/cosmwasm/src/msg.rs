//! The JSON shapes exchanged with contracts, exactly as cosmwasm-std 1.x/2.x serializes
//! them: what the host writes (`Env`, `MessageInfo`, `Reply`, query results) and what it
//! reads (`ContractResult<Response>`, `CosmosMsg`, `QueryRequest`).
//!
//! Numbers that cosmwasm-std wraps (`Uint64`, `Uint128`, `Timestamp`) are strings on the
//! wire; `Binary` is base64. Unknown message variants are kept as raw JSON so they fail
//! with a clear "unsupported" error rather than a parse error.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// `Binary`: bytes as standard base64 with padding.
pub(crate) mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
    }

    /// `Option<Binary>`.
    pub(crate) mod opt {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => super::serialize(b, s),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| {
                    base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

/// Base64 of `bytes` (for JSON built by hand).
pub(crate) fn to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `Uint128` or `Uint64`: a decimal string on the wire.
pub(crate) mod decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<T, D::Error>
    where
        T::Err: std::fmt::Display,
    {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One denomination's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    /// The denomination, e.g. `ucove`.
    pub denom: String,
    /// The amount.
    #[serde(with = "decimal")]
    pub amount: u128,
}

/// `Env`.
#[derive(Debug, Serialize)]
pub(crate) struct Env {
    pub block: BlockInfo,
    pub transaction: Option<TransactionInfo>,
    pub contract: ContractInfo,
}

#[derive(Debug, Serialize)]
pub(crate) struct BlockInfo {
    pub height: u64,
    /// Nanoseconds since the Unix epoch.
    #[serde(with = "decimal")]
    pub time: u64,
    pub chain_id: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TransactionInfo {
    pub index: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct ContractInfo {
    pub address: String,
}

/// `MessageInfo`.
#[derive(Debug, Serialize)]
pub(crate) struct MessageInfo<'a> {
    pub sender: &'a str,
    pub funds: &'a [Coin],
}

/// `ContractResult<T>`: `{"ok": T}` or `{"error": "..."}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ContractResult<T> {
    Ok(T),
    Error(String),
}

/// `Binary` as a newtype, for `ContractResult<Binary>`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Binary(#[serde(with = "b64")] pub Vec<u8>);

/// `Response`.
#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub messages: Vec<SubMsg>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, with = "b64::opt")]
    pub data: Option<Vec<u8>>,
}

/// A key-value attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// An event as wasmd emits it: a type and attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The type (`wasm`, or `wasm-` plus the contract's own type).
    #[serde(rename = "type")]
    pub ty: String,
    /// Attributes, in order.
    pub attributes: Vec<Attribute>,
}

/// `SubMsg`.
#[derive(Debug, Deserialize)]
pub(crate) struct SubMsg {
    #[serde(default)]
    pub id: u64,
    #[serde(default, with = "b64::opt")]
    pub payload: Option<Vec<u8>>,
    pub msg: serde_json::Value,
    #[serde(default)]
    pub gas_limit: Option<u64>,
    pub reply_on: ReplyOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReplyOn {
    Always,
    Error,
    Success,
    Never,
}

/// The `CosmosMsg` variants cove executes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CosmosMsg {
    Bank(BankMsg),
    Wasm(WasmMsg),
    Staking(StakingMsg),
    Distribution(DistributionMsg),
    Gov(GovMsg),
    /// cosmwasm-std 1.x's protobuf message.
    Stargate {
        type_url: String,
        #[serde(with = "b64")]
        value: Vec<u8>,
    },
    /// cosmwasm-std 2.x's protobuf message.
    Any(AnyMsg),
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnyMsg {
    pub type_url: String,
    #[serde(with = "b64")]
    pub value: Vec<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StakingMsg {
    Delegate { validator: String, amount: Coin },
    Undelegate { validator: String, amount: Coin },
    Redelegate { src_validator: String, dst_validator: String, amount: Coin },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GovMsg {
    Vote {
        proposal_id: u64,
        /// cosmwasm-std 1.x names it `vote`.
        #[serde(alias = "vote")]
        option: crate::gov::VoteOption,
    },
    VoteWeighted {
        proposal_id: u64,
        options: Vec<crate::gov::WeightedVoteOption>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DistributionMsg {
    SetWithdrawAddress { address: String },
    WithdrawDelegatorReward { validator: String },
    FundCommunityPool { amount: Vec<Coin> },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BankMsg {
    Send { to_address: String, amount: Vec<Coin> },
    Burn { amount: Vec<Coin> },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WasmMsg {
    Execute {
        contract_addr: String,
        #[serde(with = "b64")]
        msg: Vec<u8>,
        #[serde(default)]
        funds: Vec<Coin>,
    },
    Instantiate {
        admin: Option<String>,
        #[serde(with = "decimal_or_number")]
        code_id: u64,
        #[serde(with = "b64")]
        msg: Vec<u8>,
        #[serde(default)]
        funds: Vec<Coin>,
        label: String,
    },
    Instantiate2 {
        admin: Option<String>,
        #[serde(with = "decimal_or_number")]
        code_id: u64,
        label: String,
        #[serde(with = "b64")]
        msg: Vec<u8>,
        #[serde(default)]
        funds: Vec<Coin>,
        #[serde(with = "b64")]
        salt: Vec<u8>,
    },
    Migrate {
        contract_addr: String,
        #[serde(with = "decimal_or_number")]
        new_code_id: u64,
        #[serde(with = "b64")]
        msg: Vec<u8>,
    },
    UpdateAdmin {
        contract_addr: String,
        admin: String,
    },
    ClearAdmin {
        contract_addr: String,
    },
}

/// A `u64` the contract may send as a JSON number (cosmwasm-std's `u64` fields).
mod decimal_or_number {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum N {
            Num(u64),
            Str(String),
        }
        match N::deserialize(d)? {
            N::Num(n) => Ok(n),
            N::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// `Reply`.
#[derive(Debug, Serialize)]
pub(crate) struct Reply {
    pub id: u64,
    #[serde(with = "b64")]
    pub payload: Vec<u8>,
    pub gas_used: u64,
    pub result: SubMsgResult,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubMsgResult {
    Ok(SubMsgResponse),
    Error(String),
}

#[derive(Debug, Serialize)]
pub(crate) struct SubMsgResponse {
    pub events: Vec<Event>,
    #[serde(with = "b64::opt")]
    pub data: Option<Vec<u8>>,
    pub msg_responses: Vec<serde_json::Value>,
}

/// The `QueryRequest` variants cove answers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueryRequest {
    Bank(BankQuery),
    Wasm(WasmQuery),
    Staking(StakingQuery),
    Distribution(DistributionQuery),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StakingQuery {
    BondedDenom {},
    AllDelegations { delegator: String },
    Delegation { delegator: String, validator: String },
    AllValidators {},
    Validator { address: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DistributionQuery {
    DelegatorWithdrawAddress { delegator_address: String },
    DelegationRewards { delegator_address: String, validator_address: String },
    DelegationTotalRewards { delegator_address: String },
    DelegatorValidators { delegator_address: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BankQuery {
    Balance { address: String, denom: String },
    AllBalances { address: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WasmQuery {
    Smart {
        contract_addr: String,
        #[serde(with = "b64")]
        msg: Vec<u8>,
    },
    Raw {
        contract_addr: String,
        #[serde(with = "b64")]
        key: Vec<u8>,
    },
    ContractInfo {
        contract_addr: String,
    },
    CodeInfo {
        #[serde(with = "decimal_or_number")]
        code_id: u64,
    },
}

impl Env {
    /// The JSON bytes handed to the contract.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("Env serializes")
    }
}
