use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use types::StorageError;

use super::*;
use crate::debug::{Entries, StorageInspect, Symbols};

/// A writer whose bytes the test reads afterwards.
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

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct Map(BTreeMap<Vec<u8>, Vec<u8>>);

impl StorageInspect for Map {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key).cloned())
    }
    fn entries(&self, limit: usize) -> Result<(Entries, bool), StorageError> {
        let all: Vec<_> = self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok((all.iter().take(limit).cloned().collect(), all.len() > limit))
    }
}

/// Imports `storage_write` (0); defines `outer` (1), `inner` (2), `token::transfer` (3).
fn symbols() -> Symbols {
    let code = wat::parse_str(
        r#"(module
          (import "env" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
          (func $outer) (func $inner)
          (func $_ZN5token8transfer17h0123456789abcdefE))"#,
    )
    .unwrap();
    Symbols::of(&code)
}

/// Feeds `events` (the stack is kept as the hooks keep it) to a session reading
/// `commands`; returns its transcript and the indices of the events it stopped at.
fn run(commands: &str, events: &[Event], storage: &Map, memory: &[u8]) -> (String, Vec<usize>) {
    let out = Shared::default();
    let mut session = Session::new(Box::new(Cursor::new(commands.to_string())), Box::new(out.clone()), true);
    let symbols = symbols();
    let mut stack = Vec::new();
    let mut stopped = Vec::new();
    for (i, &event) in events.iter().enumerate() {
        if let Event::Enter(f) = event {
            stack.push(f);
        }
        let stop = Stop {
            event,
            stack: &stack,
            gas_left: 1000 - i as i64,
            gas_limit: 1000,
            memory,
            storage,
            symbols: &symbols,
        };
        if session.stop(&stop) {
            stopped.push(i);
        }
        if let Event::Exit(_) = event {
            stack.pop();
        }
    }
    (out.text(), stopped)
}

/// outer { inner { storage_write } } inner { } : events 0..=9.
fn events() -> Vec<Event> {
    use Event::*;
    vec![Enter(1), Enter(2), Enter(0), Exit(0), Exit(2), Enter(2), Exit(2), Enter(3), Exit(3), Exit(1)]
}

fn empty() -> Map {
    Map(BTreeMap::new())
}

#[test]
fn step_next_finish_and_continue_stop_where_documented() {
    // step goes into calls; next at a call stops at its return, then at the caller's
    // next event; finish at an entry runs to that frame's exit, at an exit to its
    // caller's.
    let commands = "step\nstep\nnext\nnext\nnext\nfinish\nfinish\n";
    let (_, stopped) = run(commands, &events(), &empty(), &[]);
    assert_eq!(stopped, [0, 1, 2, 3, 4, 5, 6, 9]);
    // next at an entry stops at that frame's exit, skipping everything inside.
    let (_, stopped) = run("step\nnext\ncontinue\n", &events(), &empty(), &[]);
    assert_eq!(stopped, [0, 1, 4]);
    // continue stops at breakpoints only: host functions and names matched by suffix.
    let (text, stopped) =
        run("break storage_write\nbreak transfer\ncontinue\ncontinue\ncontinue\n", &events(), &empty(), &[]);
    assert_eq!(stopped, [0, 2, 7], "{text}");
    assert!(text.contains("breakpoint at token::transfer"), "{text}");
    assert!(text.contains("stopped: call host function storage_write (depth 3"), "{text}");
    assert!(text.contains("stopped: enter token::transfer (depth 2"), "{text}");
}

#[test]
fn the_end_of_the_commands_runs_the_call_to_its_end() {
    let (text, stopped) = run("break inner\n", &events(), &empty(), &[]);
    assert_eq!(stopped, [0], "{text}");
    let (_, stopped) = run("quit\n", &events(), &empty(), &[]);
    assert_eq!(stopped, [0]);
}

#[test]
fn bad_commands_give_an_error_line_and_the_session_stays() {
    let long = "x".repeat(MAX_COMMAND_LEN + 10);
    let commands = format!(
        "frobnicate\nbreak\nbreak nothing_like_this\nmemory 10\nmemory zz 1\nmemory 0 99999999\n\
         memory 18446744073709551615 2\nstorage 0g\nstorage a b\nstep now\ndelete nothing\n{long}\n\
         functions a b\n# a comment\n\nstack\nstep\n"
    );
    let (text, stopped) = run(&commands, &events(), &empty(), &[0; 32]);
    assert_eq!(stopped, [0, 1], "{text}");
    let errors = text.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(errors, 13, "{text}");
    assert!(text.contains("error: unknown command `frobnicate`"), "{text}");
    assert!(text.contains("error: bytes 18446744073709551615..18446744073709551615 are outside"), "{text}");
    assert!(text.contains("error: a command is at most 4096 bytes"), "{text}");
    assert!(text.contains("  0: outer"), "{text}");
}

#[test]
fn stack_gas_memory_and_storage_are_printed_and_bounded() {
    let mut map = BTreeMap::new();
    for i in 0..MAX_STORAGE_ENTRIES as u8 + 5 {
        map.insert(vec![i], vec![i; 3]);
    }
    map.insert(vec![0xff], vec![7; MAX_SHOWN_VALUE_BYTES + 1]);
    let storage = Map(map);
    let memory: Vec<u8> = (0..=255).collect();
    let commands = format!(
        "break storage_write\ncontinue\nstack\ngas\nmemory 0x41 3\nmemory 0 {}\nstorage\nstorage ff\nstorage 0102\n",
        MAX_MEMORY_BYTES + 1
    );
    let (text, _) = run(&commands, &events(), &storage, &memory);
    assert!(text.contains("  0: storage_write [host]\n  1: inner\n  2: outer\n"), "{text}");
    assert!(text.contains("gas left 998, used 2 of 1000"), "{text}");
    assert!(text.contains("0x00000041  41 42 43"), "{text}");
    assert!(text.contains(&format!("error: at most {MAX_MEMORY_BYTES} bytes at once")), "{text}");
    let listed = text.lines().filter(|l| l.starts_with("  ") && l.contains(" = ")).count();
    // The listing's MAX_STORAGE_ENTRIES, plus the one key read alone.
    assert_eq!(listed, MAX_STORAGE_ENTRIES + 1, "{text}");
    assert!(text.contains("... more entries"), "{text}");
    assert!(text.contains(&format!("... ({} bytes)", MAX_SHOWN_VALUE_BYTES + 1)), "{text}");
    assert!(text.contains("  0102 is not set"), "{text}");
}

#[test]
fn breakpoints_are_bounded_and_listed() {
    let (text, _) = run(
        "break func[99]\nbreak func[2]\nbreakpoints\ndelete inner\nbreakpoints\n",
        &events(),
        &empty(),
        &[],
    );
    assert!(text.contains("error: no function named `func[99]`"), "{text}");
    assert!(text.contains("breakpoint at inner\n"), "{text}");
    assert!(text.contains("deleted 1 breakpoint(s)\n"), "{text}");
    assert!(text.contains("no breakpoints"), "{text}");
    assert!(MAX_BREAKPOINTS >= symbols().functions() as usize);
}
