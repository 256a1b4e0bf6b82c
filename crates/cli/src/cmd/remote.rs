//! `--rpc URL`: `deploy`, `call`, `query`, `migrate`, `balance` and `fund` sent to a running node
//! over JSON-RPC instead of opening the data dir (which the node holds). Transactions are
//! native ones (`docs/node.md`, "Native transactions") signed with `--key` (`COVE_KEY`):
//! a secp256k1 key in hex, or `dev:N` for the node's dev account N. The node picks
//! nothing for the sender: the nonce is its pending one and the price its gas price.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use alloy_primitives::{Address as EthAddress, Bytes, U256};
use anyhow::{Context, Result, bail};
use k256::ecdsa::SigningKey;
use node::native::NativeTx;
use serde_json::{Value, json};

use crate::args::{CallArgs, Cli, Command, DeployArgs, Funds, Remote};
use crate::output;

/// The gas limit of a transaction without `--gas-limit`: 10,000,000 on top of its
/// intrinsic gas and of the deploy gas of the code it carries ([`default_gas_limit`]).
pub(crate) const REMOTE_GAS_LIMIT: u64 = 10_000_000;

/// Without `--gas-limit`: the intrinsic gas, the deploy gas of any code the transaction
/// carries at the default prices (`docs/gas.md`, "Deploy gas"; a chain with higher
/// prices needs `--gas-limit`), and [`REMOTE_GAS_LIMIT`] for what runs.
fn default_gas_limit(tx: &NativeTx) -> u64 {
    let deploy =
        if tx.code.is_empty() { 0 } else { runtime::Config::default().wasm.gas.deploy.of(tx.code.len()) };
    tx.intrinsic_gas().saturating_add(deploy).saturating_add(REMOTE_GAS_LIMIT)
}
/// How long to wait for a receipt: 60 s.
const RECEIPT_WAIT: Duration = Duration::from_secs(60);
/// The largest JSON-RPC answer read: 64 MiB.
const MAX_ANSWER_BYTES: u64 = 64 << 20;

/// The `--rpc` of `command`, if it names one.
pub(crate) fn of(command: &Command) -> Option<&Remote> {
    let remote = match command {
        Command::Deploy(a) => &a.tx.remote,
        Command::Call(a) | Command::EstimateGas(a) => &a.tx.remote,
        Command::Query(q) => &q.call.tx.remote,
        Command::Profile(p) => &p.call.tx.remote,
        Command::Migrate(a) => &a.tx.remote,
        Command::Balance { remote, .. } | Command::Fund { remote, .. } => remote,
        _ => return None,
    };
    remote.rpc.is_some().then_some(remote)
}

/// Runs the command against the node `remote` names.
pub(crate) fn run(cli: &Cli, remote: &Remote) -> Result<ExitCode> {
    let rpc = Rpc::new(remote.rpc.as_deref().unwrap_or_default())?;
    let key = remote.key.as_deref();
    match &cli.command {
        Command::Deploy(a) => deploy(cli, &rpc, key, a),
        Command::Call(a) => call(cli, &rpc, key, a),
        Command::Query(q) => query(cli, &rpc, &q.call, q.height),
        Command::Balance { address, height, .. } => {
            let at = height.map_or(json!("latest"), |h| json!(format!("{h:#x}")));
            let a = eth(address);
            let balance: U256 = serde_json::from_value(rpc.call("eth_getBalance", json!([a, at]))?)?;
            let nonce: U256 = serde_json::from_value(rpc.call("eth_getTransactionCount", json!([a, at]))?)?;
            // A contract's storage deposit, as the local command shows it (none for an account).
            let contract = rpc.call("cove_getContract", json!([a, at]))?;
            let held: U256 =
                serde_json::from_value(contract["storageDeposit"]["held"].clone()).unwrap_or_default();
            let bytes = contract["storageDeposit"]["bytes"].as_u64().unwrap_or(0);
            output::print(
                cli.json,
                &json!({
                    "address": address.to_string(),
                    "balance": balance.to_string(),
                    "nonce": nonce.to::<u64>(),
                    "storage_deposit": {"bytes": bytes, "held": held.to_string()},
                }),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Fund { address, amount, .. } => {
            let Funds::Native(amount) = amount else {
                bail!("--rpc funds the native token only (the node's dev fund)");
            };
            let tx = NativeTx {
                kind: 8,
                to: eth(address).to_vec().into(),
                value: U256::from_be_bytes(amount.0),
                ..NativeTx::default()
            };
            send(cli, &rpc, key, tx, None)
        }
        Command::Migrate(a) => {
            if a.tx.sender.is_some() {
                bail!("with --rpc the sender is the --key's address; drop --sender");
            }
            let tx = NativeTx {
                kind: 7,
                to: eth(&a.address).to_vec().into(),
                code: super::read_code(&a.file)?.into(),
                input: a.msg.0.clone().into(),
                ..NativeTx::default()
            };
            send(cli, &rpc, key, tx, a.tx.gas_limit)
        }
        _ => bail!(
            "--rpc works with deploy, call, query, migrate, balance and fund; run the others without it"
        ),
    }
}

fn eth(a: &types::Address) -> EthAddress {
    EthAddress::from(a.0)
}

fn deploy(cli: &Cli, rpc: &Rpc, key: Option<&str>, a: &DeployArgs) -> Result<ExitCode> {
    if a.tx.sender.is_some() {
        bail!("with --rpc the sender is the --key's address; drop --sender");
    }
    let value = a.value.map(|v| U256::from_be_bytes(v.0)).unwrap_or_default();
    if a.funds.is_some() {
        bail!("with --rpc a CosmWasm instantiate sends --value of the native token only");
    }
    let mut tx = NativeTx { value, ..NativeTx::default() };
    if let Some(code_id) = a.code_id {
        tx.kind = 3;
        tx.code_id = code_id.0.to_vec().into();
        tx.entry = a.init.clone().unwrap_or_default().into_bytes().into();
        tx.input = a.args_hex.clone().unwrap_or_default().0.into();
        tx.flags = a.flags.unwrap_or_default().to_byte();
        return send(cli, rpc, key, tx, a.tx.gas_limit);
    }
    let prepared = super::deploy::prepare(a)?;
    let (vm, code, input) = prepared.parts();
    tx.code = code.to_vec().into();
    match vm {
        types::VmType::Wasm => {
            tx.kind = 1;
            tx.entry = a.init.clone().unwrap_or_default().into_bytes().into();
            tx.input = input.to_vec().into();
            tx.flags = a.flags.unwrap_or_default().to_byte();
        }
        types::VmType::CosmWasm => {
            tx.kind = 5;
            tx.input = a.msg.as_ref().map(|m| m.0.clone()).unwrap_or_default().into();
            let stem =
                a.file.as_deref().and_then(|f| f.file_stem()).map(|s| s.to_string_lossy().into_owned());
            tx.label = a.label.clone().or(stem).unwrap_or_else(|| "contract".into()).into_bytes().into();
            tx.admin = a.admin.map(|x| eth(&x).to_vec()).unwrap_or_default().into();
        }
        types::VmType::Evm => bail!(
            "EVM contracts go to a node as Ethereum transactions (eth_sendRawTransaction): use an Ethereum client"
        ),
    }
    send(cli, rpc, key, tx, a.tx.gas_limit)
}

fn call(cli: &Cli, rpc: &Rpc, key: Option<&str>, a: &CallArgs) -> Result<ExitCode> {
    if a.tx.sender.is_some() {
        bail!("with --rpc the sender is the --key's address; drop --sender");
    }
    if a.funds.is_some() {
        bail!("with --rpc a call takes --args, --args-hex or --msg, and --value");
    }
    let (method, mut input) = a.message("execute");
    if let Some(args) = &a.args {
        // Encoded here, by the ABI the node reports, so what is signed is what was asked.
        let at = json!([eth(&a.address), "latest"]);
        let entries = match rpc.call("cove_getAbi", at)? {
            Value::Array(entries) => entries,
            _ => return Err(super::sdk_args::usage(::abi::AbiError::NoSection)),
        };
        let text: Vec<String> = entries.iter().map(Value::to_string).collect();
        let entry = ::abi::parse_entries(&text.join("\n"))
            .and_then(|e| ::abi::find_entry(e, method))
            .map_err(super::sdk_args::usage)?;
        input = entry.encode_args(args).map_err(super::sdk_args::usage)?;
    }
    let value = a.value.map(|v| U256::from_be_bytes(v.0)).unwrap_or_default();
    let mut tx =
        NativeTx { to: eth(&a.address).to_vec().into(), input: input.into(), value, ..NativeTx::default() };
    if a.msg.is_some() {
        if method != "execute" {
            bail!("with --rpc a CosmWasm call runs `execute`");
        }
        tx.kind = 6;
    } else {
        tx.kind = 4;
        tx.entry = method.as_bytes().to_vec().into();
    }
    send(cli, rpc, key, tx, a.tx.gas_limit)
}

fn query(cli: &Cli, rpc: &Rpc, a: &CallArgs, height: Option<u64>) -> Result<ExitCode> {
    let at = height.map_or(json!("latest"), |h| json!(format!("{h:#x}")));
    let address = eth(&a.address);
    let (method, input) = a.message("query");
    let answer = if let Some(msg) = &a.msg {
        let msg: Value = serde_json::from_slice(&msg.0)?;
        rpc.try_call("cove_query", json!([address, msg, at]))?.map(|r| json!({"status": "ok", "result": r}))
    } else {
        // `--args` JSON goes as it is: the node encodes it by the contract's ABI.
        let input = a.args.clone().unwrap_or_else(|| json!(Bytes::from(input)));
        let params = json!([address, method, input, at]);
        match rpc.try_call("cove_call", params)? {
            Ok(r) => {
                let gas_used: u64 = quantity(&r["gasUsed"], "gasUsed")?;
                let output = r["output"].as_str().unwrap_or("0x").trim_start_matches("0x");
                let mut v = json!({"status": "ok", "output_hex": output, "gas_used": gas_used});
                for (from, to) in [("result", "result"), ("resultError", "result_error")] {
                    if let Some(x) = r.get(from) {
                        v[to] = x.clone();
                    }
                }
                Ok(v)
            }
            Err(e) => Err(e),
        }
    };
    match answer {
        Ok(v) => {
            output::print(cli.json, &v);
            Ok(ExitCode::SUCCESS)
        }
        // Bad parameters (`--args` that do not fit the ABI, say) are a usage error, as
        // locally.
        Err(e) if e["code"] == -32602 => {
            let error = json!({"kind": "invalid_argument", "message": e["message"]});
            output::print(cli.json, &json!({"status": "error", "error": error}));
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            let kind = e["data"]["kind"].as_str().unwrap_or("rpc");
            output::print(
                cli.json,
                &json!({"status": "error", "error": {"kind": kind, "message": e["message"]}}),
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Signs `tx` (nonce, price, chain id and gas filled in), sends it, waits for its
/// receipt and prints it.
fn send(
    cli: &Cli,
    rpc: &Rpc,
    key: Option<&str>,
    mut tx: NativeTx,
    gas_limit: Option<u64>,
) -> Result<ExitCode> {
    let key = signing_key(key)?;
    let from = EthAddress::from_public_key(key.verifying_key());
    tx.chain_id = quantity(&rpc.call("eth_chainId", json!([]))?, "eth_chainId")?;
    tx.nonce = quantity(&rpc.call("eth_getTransactionCount", json!([from, "pending"]))?, "the nonce")?;
    tx.gas_price = quantity(&rpc.call("eth_gasPrice", json!([]))?, "eth_gasPrice")?;
    tx.gas_limit = gas_limit.unwrap_or_else(|| default_gas_limit(&tx));
    let (sig, recid) = key.sign_prehash_recoverable(tx.signing_hash().as_slice()).context("signing")?;
    let raw = tx.encode_signed(&alloy_primitives::Signature::from((sig, recid)));
    let hash = rpc.call("cove_sendRawTransaction", json!([Bytes::from(raw)]))?;
    let started = Instant::now();
    let r = loop {
        let r = rpc.call("eth_getTransactionReceipt", json!([hash]))?;
        if !r.is_null() {
            break r;
        }
        if started.elapsed() > RECEIPT_WAIT {
            bail!("no receipt for {hash} after {RECEIPT_WAIT:?}: it waits in the node's mempool");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let ok = r["status"] == "0x1";
    let gas_used: u64 = quantity(&r["gasUsed"], "the receipt's gasUsed")?;
    let block: u64 = quantity(&r["blockNumber"], "the receipt's blockNumber")?;
    let mut v = if ok {
        json!({"status": "ok", "output_hex": r["cove"]["output"].as_str().unwrap_or("0x").trim_start_matches("0x")})
    } else {
        json!({"status": "error", "error": r["cove"]["error"]})
    };
    v["tx_hash"] = hash;
    v["sender"] = json!(format!("{from:#x}"));
    v["block"] = json!(block);
    v["gas_used"] = json!(gas_used);
    v["fee"] = json!((U256::from(gas_used) * U256::from(tx.gas_price)).to_string());
    if let Some(a) = r["contractAddress"].as_str().filter(|_| ok) {
        v["address"] = json!(a);
    }
    if let Some(id) = r["cove"]["codeId"].as_str().filter(|_| ok) {
        v["code_id"] = json!(id.trim_start_matches("0x"));
    }
    output::print(cli.json, &v);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `--key`: hex, or `dev:N`.
fn signing_key(key: Option<&str>) -> Result<SigningKey> {
    let Some(key) = key else {
        bail!(
            "--rpc transactions are signed: pass --key HEX (or COVE_KEY), or --key dev:N for a dev account"
        );
    };
    let secret = match key.strip_prefix("dev:") {
        Some(n) => {
            let n: usize = n.parse().context("--key dev:N takes an account index")?;
            let (_, secret) = node::DEV_ACCOUNTS.get(n).context("the dev accounts are dev:0 to dev:9")?;
            hex::decode(secret)?
        }
        None => hex::decode(key.trim_start_matches("0x")).context("--key is a hex secp256k1 key")?,
    };
    SigningKey::from_slice(&secret).context("--key is not a valid secp256k1 key")
}

/// A node's hex quantity (`0x…`) as a `T`: not one, or past `T`'s range, is an error
/// naming `what` (never a silent 0).
fn quantity<T: TryFrom<u128>>(v: &Value, what: &str) -> Result<T> {
    let parsed = v
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .filter(|h| !h.is_empty())
        .and_then(|h| U256::from_str_radix(h, 16).ok());
    let Some(n) = parsed else { bail!("the node answered {v} for {what}, not a hex quantity") };
    u128::try_from(n)
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .with_context(|| format!("the node answered {v} for {what}, out of range"))
}

/// A minimal blocking JSON-RPC client over HTTP/1.1 (`http://` only).
pub(crate) struct Rpc {
    host: String,
    path: String,
}

impl Rpc {
    pub(crate) fn new(url: &str) -> Result<Rpc> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--rpc takes an http:// URL, got {url:?}");
        };
        let (host, path) =
            rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
        Ok(Rpc { host: host.to_string(), path })
    }

    /// The result, or the JSON-RPC error object.
    pub(crate) fn try_call(&self, method: &str, params: Value) -> Result<Result<Value, Value>> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(&self.host).with_context(|| format!("connecting to {}", self.host))?;
        write!(
            s,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.host,
            body.len()
        )?;
        let mut out = Vec::new();
        s.take(MAX_ANSWER_BYTES).read_to_end(&mut out)?;
        let text = String::from_utf8_lossy(&out);
        let (head, body) = text.split_once("\r\n\r\n").context("not an HTTP answer")?;
        if !head.starts_with("HTTP/1.1 200") {
            bail!("{method}: {}", head.lines().next().unwrap_or(""));
        }
        let v: Value = serde_json::from_str(body).with_context(|| format!("{method}: not JSON-RPC"))?;
        Ok(match v.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(v["result"].clone()),
        })
    }

    /// The result; a JSON-RPC error is an error with the node's message.
    fn call(&self, method: &str, params: Value) -> Result<Value> {
        match self.try_call(method, params)? {
            Ok(v) => Ok(v),
            Err(e) => bail!("{method}: {}", e["message"].as_str().unwrap_or("error")),
        }
    }
}
