//! The command-line debugger: reads commands line by line (a terminal or a file),
//! writes its answers to a writer. It never panics on input: a bad command gives an
//! `error:` line and the session stays where it is.
//!
//! It stops at the first event, then wherever a command says: `step` (the next event),
//! `next` (the next event at the same or a shallower depth: over a call), `finish` (the
//! exit of the current frame), `continue` (the next breakpoint). Breakpoints are on a
//! function's entry: a contract function's, or a host function's call (`break
//! storage_write`). At a stop it prints the stack, the gas, memory and storage. When its
//! input ends the call simply runs to its end; so does `quit`. Everything it prints is
//! bounded by the `MAX_*` constants below.

use std::collections::BTreeSet;
use std::io::{BufRead, Read, Write};

use super::{Debugger, Event, Stop};

/// The most bytes `memory` prints at once.
pub const MAX_MEMORY_BYTES: u64 = 4096;
/// The most storage entries `storage` lists.
pub const MAX_STORAGE_ENTRIES: usize = 64;
/// The most bytes of a storage value printed (the rest is counted, not shown).
pub const MAX_SHOWN_VALUE_BYTES: usize = 64;
/// The most frames `stack` prints (the innermost ones).
pub const MAX_SHOWN_FRAMES: usize = 64;
/// The most functions `functions` lists.
pub const MAX_LISTED_FUNCTIONS: usize = 64;
/// The most breakpoints (functions) a session holds.
pub const MAX_BREAKPOINTS: usize = 256;
/// The longest command line read; a longer line is refused whole.
pub const MAX_COMMAND_LEN: usize = 4096;

const HELP: &str = "\
commands (stops are function entries and exits, and host calls):
  step | s                 run to the next event (into calls)
  next | n                 run to the next event at this depth or above (over calls)
  finish | f               run until the current frame returns
  continue | c             run to the next breakpoint (or the end)
  break | b NAME           stop at entries of NAME: a contract function (`transfer`
                           names `token::transfer` too), a host function
                           (`storage_write`) or `func[N]`
  delete | d [NAME]        remove NAME's breakpoints (all without NAME)
  breakpoints              list the breakpoints
  stack | bt               the call stack, innermost first
  gas                      gas left and used
  memory | x OFFSET LEN    LEN bytes of linear memory (decimal or 0x hex)
  storage [KEY_HEX]        the contract's storage as its reads see it now
  functions [TEXT]         the module's functions whose names contain TEXT
  where                    where the call stopped
  quit | q                 stop debugging; the call runs to its end
  help | h                 this text";

/// The commands that take no arguments.
const BARE: [&str; 18] = [
    "step",
    "s",
    "next",
    "n",
    "finish",
    "f",
    "continue",
    "c",
    "quit",
    "q",
    "help",
    "h",
    "where",
    "breakpoints",
    "gas",
    "stack",
    "bt",
    "backtrace",
];

/// Where the session stops next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// At the next event.
    Step,
    /// At the next event at this depth or shallower.
    Over(usize),
    /// At the next exit at this depth or shallower.
    Out(usize),
    /// At breakpoints only.
    Continue,
    /// Nowhere: the input ended or the user quit.
    Detached,
}

/// A debugging session over a command source and an output.
pub struct Session {
    input: Box<dyn BufRead + Send>,
    out: Box<dyn Write + Send>,
    /// Print each command read (a command file) after the prompt.
    echo: bool,
    prompt: String,
    mode: Mode,
    breakpoints: BTreeSet<u32>,
}

/// What a command asks of the session.
enum Next {
    /// Stay stopped and read another command.
    Stay,
    /// Run on, in this mode.
    Run(Mode),
}

impl Session {
    /// A session reading commands from `input` and writing to `out`. With `echo`, each
    /// command is printed after a prompt (for a command file, whose commands the
    /// terminal does not show); otherwise the prompt is printed before each read.
    pub fn new(input: Box<dyn BufRead + Send>, out: Box<dyn Write + Send>, echo: bool) -> Session {
        Session {
            input,
            out,
            echo,
            prompt: "(cove-debug) ".into(),
            mode: Mode::Step,
            breakpoints: BTreeSet::new(),
        }
    }

    fn say(&mut self, text: &str) {
        // The output going away (a closed pipe) must not change the call: ignore it.
        let _ = writeln!(self.out, "{text}");
    }

    /// The next command line; `None` when the input ended (or failed).
    fn read_command(&mut self) -> Option<Result<String, String>> {
        if !self.echo {
            let _ = write!(self.out, "{}", self.prompt);
            let _ = self.out.flush();
        }
        let mut line = Vec::new();
        let read = Read::take(&mut self.input, MAX_COMMAND_LEN as u64 + 1).read_until(b'\n', &mut line);
        match read {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() > MAX_COMMAND_LEN {
            // Skip the rest of the line, bounded by what the input holds.
            loop {
                let mut rest = Vec::new();
                match Read::take(&mut self.input, MAX_COMMAND_LEN as u64).read_until(b'\n', &mut rest) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            return Some(Err(format!("a command is at most {MAX_COMMAND_LEN} bytes")));
        }
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if self.echo {
            let _ = writeln!(self.out, "{}{text}", self.prompt);
        }
        Some(Ok(text))
    }

    /// Whether the session stops at `at` in its current mode.
    fn stops_at(&self, at: &Stop<'_>) -> bool {
        let depth = at.depth();
        let at_break = matches!(at.event(), Event::Enter(f) if self.breakpoints.contains(&f));
        match self.mode {
            Mode::Detached => false,
            Mode::Step => true,
            Mode::Over(d) => depth <= d || at_break,
            Mode::Out(d) => (matches!(at.event(), Event::Exit(_)) && depth <= d) || at_break,
            Mode::Continue => at_break,
        }
    }

    fn run_command(&mut self, at: &Stop<'_>, line: &str) -> Result<Next, String> {
        let mut words = line.split_whitespace();
        let Some(command) = words.next() else { return Ok(Next::Stay) };
        let args: Vec<&str> = words.collect();
        let depth = at.depth();
        if BARE.contains(&command) && !args.is_empty() {
            return Err(format!("`{command}` takes no arguments"));
        }
        match command {
            _ if command.starts_with('#') => Ok(Next::Stay),
            "step" | "s" => Ok(Next::Run(Mode::Step)),
            "next" | "n" => Ok(Next::Run(Mode::Over(depth))),
            "finish" | "f" => {
                // At an exit the current frame is already returning: finish its caller.
                let frame = match at.event() {
                    Event::Enter(_) => depth,
                    Event::Exit(_) => depth.saturating_sub(1),
                };
                Ok(Next::Run(Mode::Out(frame)))
            }
            "continue" | "c" => Ok(Next::Run(Mode::Continue)),
            "quit" | "q" => Ok(Next::Run(Mode::Detached)),
            "help" | "h" => Ok(self.show(HELP)),
            "where" => Ok(self.show(&location(at))),
            "break" | "b" => self.add_break(at, &args).map(|()| Next::Stay),
            "delete" | "d" => self.delete_break(at, &args).map(|()| Next::Stay),
            "breakpoints" => {
                let text = list_breakpoints(at, &self.breakpoints);
                Ok(self.show(&text))
            }
            "stack" | "bt" | "backtrace" => Ok(self.show(&show_stack(at))),
            "gas" => {
                let text =
                    format!("gas left {}, used {} of {}", at.gas_left(), at.gas_used(), at.gas_limit());
                Ok(self.show(&text))
            }
            "memory" | "x" => show_memory(at, &args).map(|text| self.show(&text)),
            "storage" => show_storage(at, &args).map(|text| self.show(&text)),
            "functions" => match args.as_slice() {
                [] => Ok(self.show(&list_functions(at, ""))),
                [text] => Ok(self.show(&list_functions(at, text))),
                _ => Err("usage: functions [TEXT]".into()),
            },
            _ => Err(format!("unknown command `{command}` (try `help`)")),
        }
    }

    fn show(&mut self, text: &str) -> Next {
        self.say(text);
        Next::Stay
    }

    fn add_break(&mut self, at: &Stop<'_>, args: &[&str]) -> Result<(), String> {
        let [name] = args else { return Err("usage: break NAME".into()) };
        let found = at.symbols().find(name);
        if found.is_empty() {
            return Err(format!("no function named `{name}` (try `functions {name}`)"));
        }
        let new: Vec<u32> = found.iter().copied().filter(|f| !self.breakpoints.contains(f)).collect();
        if self.breakpoints.len() + new.len() > MAX_BREAKPOINTS {
            return Err(format!("a session holds at most {MAX_BREAKPOINTS} breakpoints"));
        }
        self.breakpoints.extend(&new);
        let names: Vec<String> = found.iter().map(|&f| at.symbols().name(f)).collect();
        self.say(&format!("breakpoint at {}", names.join(", ")));
        Ok(())
    }

    fn delete_break(&mut self, at: &Stop<'_>, args: &[&str]) -> Result<(), String> {
        match args {
            [] => {
                self.breakpoints.clear();
                self.say("all breakpoints deleted");
                Ok(())
            }
            [name] => {
                let found: Vec<u32> =
                    at.symbols().find(name).into_iter().filter(|f| self.breakpoints.contains(f)).collect();
                if found.is_empty() {
                    return Err(format!("no breakpoint at `{name}`"));
                }
                for f in &found {
                    self.breakpoints.remove(f);
                }
                self.say(&format!("deleted {} breakpoint(s)", found.len()));
                Ok(())
            }
            _ => Err("usage: delete [NAME]".into()),
        }
    }
}

impl Debugger for Session {
    fn stop(&mut self, at: &Stop<'_>) -> bool {
        if !self.stops_at(at) {
            return false;
        }
        self.say(&location(at));
        loop {
            let line = match self.read_command() {
                None => {
                    // The input ended: the call runs to its end.
                    self.mode = Mode::Detached;
                    return true;
                }
                Some(Err(e)) => {
                    self.say(&format!("error: {e}"));
                    continue;
                }
                Some(Ok(line)) => line,
            };
            match self.run_command(at, &line) {
                Ok(Next::Stay) => {}
                Ok(Next::Run(mode)) => {
                    self.mode = mode;
                    return true;
                }
                Err(e) => self.say(&format!("error: {e}")),
            }
        }
    }
}

/// `stopped: enter token::transfer (depth 2, gas left 99999000)`.
fn location(at: &Stop<'_>) -> String {
    let symbols = at.symbols();
    let (what, func) = match at.event() {
        Event::Enter(f) if symbols.is_host(f) => ("call host function", f),
        Event::Enter(f) => ("enter", f),
        Event::Exit(f) => ("return from", f),
    };
    format!("stopped: {what} {} (depth {}, gas left {})", symbols.name(func), at.depth(), at.gas_left())
}

fn show_stack(at: &Stop<'_>) -> String {
    let symbols = at.symbols();
    let stack = at.stack();
    let mut lines = Vec::new();
    for (i, &f) in stack.iter().rev().enumerate().take(MAX_SHOWN_FRAMES) {
        let host = if symbols.is_host(f) { " [host]" } else { "" };
        lines.push(format!("{i:>3}: {}{host}", symbols.name(f)));
    }
    if stack.len() > MAX_SHOWN_FRAMES {
        lines.push(format!("     ... {} outer frames not shown", stack.len() - MAX_SHOWN_FRAMES));
    }
    lines.join("\n")
}

fn list_breakpoints(at: &Stop<'_>, breakpoints: &BTreeSet<u32>) -> String {
    if breakpoints.is_empty() {
        return "no breakpoints".into();
    }
    let names: Vec<String> = breakpoints.iter().map(|&f| format!("  {}", at.symbols().name(f))).collect();
    names.join("\n")
}

fn list_functions(at: &Stop<'_>, text: &str) -> String {
    let symbols = at.symbols();
    let matching: Vec<u32> = (0..symbols.functions()).filter(|&f| symbols.name(f).contains(text)).collect();
    let mut lines: Vec<String> = matching
        .iter()
        .take(MAX_LISTED_FUNCTIONS)
        .map(|&f| {
            let host = if symbols.is_host(f) { " [host]" } else { "" };
            format!("  func[{f}] {}{host}", symbols.name(f))
        })
        .collect();
    if matching.len() > MAX_LISTED_FUNCTIONS {
        lines.push(format!("  ... {} more", matching.len() - MAX_LISTED_FUNCTIONS));
    }
    if lines.is_empty() {
        return format!("no function name contains `{text}`");
    }
    lines.join("\n")
}

/// A decimal or `0x` hexadecimal number.
fn number(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("`{s}` is not a number (decimal, or hex with 0x)"))
}

fn show_memory(at: &Stop<'_>, args: &[&str]) -> Result<String, String> {
    let [offset, len] = args else { return Err("usage: memory OFFSET LEN".into()) };
    let (offset, len) = (number(offset)?, number(len)?);
    if len > MAX_MEMORY_BYTES {
        return Err(format!("at most {MAX_MEMORY_BYTES} bytes at once"));
    }
    let bytes = at.memory(offset, len).map_err(|e| e.to_string())?;
    if bytes.is_empty() {
        return Ok("(no bytes)".into());
    }
    let lines: Vec<String> = bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' })
                .collect();
            format!("{:#010x}  {:<47}  {ascii}", offset + 16 * i as u64, hex.join(" "))
        })
        .collect();
    Ok(lines.join("\n"))
}

/// A value's hex, cut at [`MAX_SHOWN_VALUE_BYTES`].
fn value_hex(value: &[u8]) -> String {
    if value.len() <= MAX_SHOWN_VALUE_BYTES {
        return hex(value);
    }
    format!("{}... ({} bytes)", hex(&value[..MAX_SHOWN_VALUE_BYTES]), value.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let bad = || format!("`{s}` is not hex");
    if !s.len().is_multiple_of(2) || s.len() > 2 * MAX_COMMAND_LEN {
        return Err(bad());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()).ok_or_else(bad))
        .collect()
}

fn show_storage(at: &Stop<'_>, args: &[&str]) -> Result<String, String> {
    match args {
        [] => {
            let (entries, more) = at.storage().entries(MAX_STORAGE_ENTRIES).map_err(|e| e.to_string())?;
            if entries.is_empty() {
                return Ok("(empty storage)".into());
            }
            let mut lines: Vec<String> =
                entries.iter().map(|(k, v)| format!("  {} = {}", hex(k), value_hex(v))).collect();
            if more {
                lines.push(format!("  ... more entries (the first {MAX_STORAGE_ENTRIES} are shown)"));
            }
            Ok(lines.join("\n"))
        }
        [key] => {
            let key = unhex(key)?;
            match at.storage().get(&key).map_err(|e| e.to_string())? {
                Some(v) => Ok(format!("  {} = {}", hex(&key), value_hex(&v))),
                None => Ok(format!("  {} is not set", hex(&key))),
            }
        }
        _ => Err("usage: storage [KEY_HEX]".into()),
    }
}

#[cfg(test)]
mod tests;
