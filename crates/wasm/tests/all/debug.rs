//! The step debugger (`cove_wasm::debug`): a debugged call gives the outcome, gas and
//! storage of an ordinary one, whatever the session does, on every tier; it stops at
//! the documented events and sees storage as the contract's reads would.

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

use cove_wasm::debug::{Attach, Debugger, Entries, Event, Session, Stop, StorageInspect, Symbols};
use cove_wasm::{CallContext, CallOutcome, Compiler, Config, Engine, Vm, abi, take_backtrace};
use types::{ErrorKind, StorageError};

use crate::support::{BLOCK, CALLER, CONTRACT, MapStorage, import, module};

impl StorageInspect for MapStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key).cloned())
    }
    fn entries(&self, limit: usize) -> Result<(Entries, bool), StorageError> {
        let entries = self.0.iter().take(limit).map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok((entries, self.0.len() > limit))
    }
}

fn code() -> Vec<u8> {
    let imports = ["storage_write", "abort"].map(import).join("\n");
    let body = r#"
      (func $leaf (param $n i32)
        (loop $l
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
      (func $save
        (call $leaf (i32.const 3))
        (drop (call $storage_write (i32.const 0) (i32.const 4) (i32.const 4) (i32.const 4))))
      (func $go (export "go") (call $save) (call $leaf (i32.const 2)))
      (func $inner (unreachable))
      (func $fails (export "fails") (call $save) (call $inner))
      (func $spin (export "spin") (loop $forever (call $leaf (i32.const 5)) (br $forever)))
      (data (i32.const 0) "key!val!")"#;
    wat::parse_str(module(&imports, body)).expect("test WAT parses")
}

fn ctx() -> CallContext {
    CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false }
}

/// A stop: its event, the function's name, the depth and how many keys were stored.
type Seen = (Event, String, usize, usize);

/// Every stop's event and function name, and the storage seen at each.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Debugger for Recorder {
    fn stop(&mut self, at: &Stop<'_>) -> bool {
        let name = at.symbols().name(at.event().func());
        let stored = at.storage().entries(10).unwrap().0.len();
        self.0.lock().unwrap().push((at.event(), name, at.depth(), stored));
        false
    }
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `entry` ordinarily and under `debugger`; asserts the same outcome, storage and
/// backtrace. Returns the outcome.
fn compare(vm: &Vm<MapStorage>, entry: &str, gas: u64, debugger: Box<dyn Debugger>) -> CallOutcome {
    let code = code();
    let plain = vm.link(&vm.engine().compile(&code).unwrap()).unwrap();
    let hooked = vm.link(&vm.engine().compile_profiling_for(&code, &abi::COVE).unwrap()).unwrap();
    let (storage, expected) = vm.call(&plain, &ctx(), entry, vec![], gas, MapStorage::default());
    let expected_trace = take_backtrace();
    let attach = Attach { debugger, symbols: Symbols::of(&code) };
    let (storage2, got) =
        vm.call_debugged(&hooked, &ctx(), entry, vec![], gas, MapStorage::default(), attach);
    let (expected, got) = (expected.unwrap(), got.unwrap());
    assert_eq!(got, expected, "{entry}: the debugged call differs");
    assert_eq!(storage2, storage, "{entry}: the debugged call left different storage");
    let indices =
        |t: Option<Vec<cove_wasm::Frame>>| t.map(|t| t.iter().map(|f| f.func_index).collect::<Vec<_>>());
    assert_eq!(
        indices(take_backtrace()),
        indices(expected_trace),
        "{entry}: backtraces in the deployed numbering"
    );
    got
}

#[test]
fn debugged_calls_match_ordinary_ones_whatever_the_session_does() {
    let sessions = [
        "",
        "step\nstep\nstep\nstack\ngas\nstorage\nmemory 0 8\nnext\nfinish\ncontinue\n",
        "break storage_write\nbreak leaf\ncontinue\nstorage\ncontinue\nstorage 6b657921\nnext\nnext\nquit\n",
        "nonsense\nmemory 99999999 4\nbreak nowhere\nstep\n",
    ];
    for compiler in [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter] {
        let vm = Vm::new(Engine::new(Config { compiler, ..Config::default() }).unwrap());
        for commands in sessions {
            for (entry, gas) in [("go", 1_000_000), ("fails", 1_000_000), ("spin", 5_000), ("go", 40)] {
                let out = Shared::default();
                let session = Session::new(Box::new(Cursor::new(commands)), Box::new(out.clone()), true);
                compare(&vm, entry, gas, Box::new(session));
            }
        }
    }
}

#[test]
fn stops_are_entries_exits_and_host_calls_and_see_pending_writes() {
    let vm = Vm::new(Engine::new(Config::default()).unwrap());
    let recorder = Recorder::default();
    let out = compare(&vm, "go", 1_000_000, Box::new(recorder.clone()));
    assert!(out.result.is_ok());
    let stops = recorder.0.lock().unwrap().clone();
    let shape: Vec<String> = stops
        .iter()
        .map(|(e, name, depth, _)| match e {
            Event::Enter(_) => format!("+{name}@{depth}"),
            Event::Exit(_) => format!("-{name}@{depth}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "+go@1",
            "+save@2",
            "+leaf@3",
            "-leaf@3",
            "+storage_write@3",
            "-storage_write@3",
            "-save@2",
            "+leaf@2",
            "-leaf@2",
            "-go@1"
        ]
    );
    // The write is seen from the exit of `storage_write` on, before anything commits.
    let stored: Vec<usize> = stops.iter().map(|s| s.3).collect();
    assert_eq!(stored, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

    // A session's transcript at the write: the stack, the pending write, the memory.
    let out = Shared::default();
    let commands = "break storage_write\ncontinue\nstack\nstep\nstorage\nmemory 0 8\n";
    let session = Session::new(Box::new(Cursor::new(commands)), Box::new(out.clone()), true);
    compare(&vm, "go", 1_000_000, Box::new(session));
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("stopped: call host function storage_write (depth 3"), "{text}");
    assert!(text.contains("  0: storage_write [host]\n  1: save\n  2: go\n"), "{text}");
    assert!(text.contains("stopped: return from storage_write"), "{text}");
    assert!(text.contains("  6b657921 = 76616c21"), "{text}");
    assert!(text.contains("0x00000000  6b 65 79 21 76 61 6c 21"), "{text}");
}

#[test]
fn a_trap_under_the_debugger_keeps_its_kind_and_frames() {
    let vm = Vm::new(Engine::new(Config::default()).unwrap());
    let recorder = Recorder::default();
    let out = compare(&vm, "fails", 1_000_000, Box::new(recorder.clone()));
    assert_eq!(out.result.unwrap_err().kind, ErrorKind::Trap);
    let last = recorder.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!((last.0, last.1.as_str()), (Event::Enter(6), "inner"));
}
