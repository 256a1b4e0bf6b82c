//! `cove debug ADDRESS METHOD [--args JSON | --args-hex HEX] [--commands FILE]`: runs the
//! call once against the last committed state, as the next block would, and commits
//! nothing (like `profile`), stopping where the debugger's commands say.
//!
//! Commands come from the terminal line by line (prompt `(cove-debug) `), or from FILE
//! (each echoed after the prompt); when they end, the call runs to its end. The commands
//! and where a call can stop are `runtime::debug::Session`'s (docs/cli.md, "Debugging").
//! Then the result prints as `cove call` prints it: the same result and gas. With
//! `--json` the session's lines go into the result's `session` array instead of
//! stdout.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use runtime::debug::Session;
use serde_json::json;

use crate::args::{Cli, DebugArgs};
use crate::output;

pub(crate) fn run(cli: &Cli, d: &DebugArgs) -> Result<ExitCode> {
    let a = &d.call;
    if a.calldata.is_some() || a.msg.is_some() {
        bail!("the debugger runs cove's WASM contracts: name METHOD and its --args or --args-hex");
    }
    if a.method.is_none() {
        bail!("name the entry point to debug (METHOD)");
    }
    let (input, echo): (Box<dyn BufRead + Send>, bool) = match &d.commands {
        Some(path) => {
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            (Box::new(BufReader::new(file)), true)
        }
        None => (Box::new(BufReader::new(std::io::stdin())), !std::io::stdin().is_terminal()),
    };
    let rt = super::open_read_only(cli)?;
    let sdk = super::sdk_args::input(&rt, rt.contract(&a.address)?, a)?;
    let (method, mut call_input) = a.message("execute");
    if let Some((_, encoded)) = &sdk {
        call_input = encoded.clone();
    }
    let req = runtime::EstimateRequest {
        sender: a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER),
        address: a.address,
        method,
        input: call_input,
        value: a.value.unwrap_or_default(),
        cap: a.tx.gas_limit,
    };
    let transcript = Transcript::default();
    let out: Box<dyn Write + Send> =
        if cli.json { Box::new(transcript.clone()) } else { Box::new(std::io::stdout()) };
    let receipt = rt.debug(req, Box::new(Session::new(input, out, echo)))?;
    let ret = super::sdk_args::return_json(&receipt, sdk.as_ref().map(|s| &s.0));
    let mut value = output::receipt_json(&receipt, ret);
    output::add_backtrace(&mut value, &rt, &receipt, &a.address);
    if cli.json {
        value["session"] = json!(transcript.lines());
    }
    Ok(output::print_receipt(&receipt, cli.json, value))
}

/// The session's output, kept for the JSON result.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Transcript {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()
    }
}

impl Write for Transcript {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut bytes) => bytes.extend_from_slice(buf),
            Err(_) => return Err(std::io::Error::other("the transcript is poisoned")),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
