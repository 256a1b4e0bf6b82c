//! Gas profiles: every unit of a call's gas attributed to a stack of contract functions,
//! host functions as leaves.
//!
//! A profiled call runs a separate compile of the module ([`crate::Engine::compile_profiling_for`]):
//! the ordinary instrumentation, then [`hooks`], which adds calls to two hook imports at
//! every function entry and exit and around every host-function call. The hooks read the
//! gas global and a [`Recorder`] charges the gas spent since the previous hook to the
//! frame that was running, so the frames' gas adds up to the call's `gas_used` exactly.
//! The hooks charge nothing, so the call uses the same gas, returns the same result and
//! leaves the same effects as an ordinary call.
//!
//! Diagnostic only: ordinary compiles never carry hooks (their code, gas and speed are
//! untouched), and a profiling compile is never cached or used for anything else.
//! Gas charged before any frame opens (or after the entry point returned) stays with the
//! root frame, which the caller names.

mod hooks;
mod names;
mod stacks;

use std::collections::HashMap;

use wasmtime::{Caller, Global, Linker};

pub use hooks::HOOK_MODULE;
pub use names::FunctionNames;
pub use stacks::{FunctionGas, GasProfile};

pub(crate) use hooks::add_hooks;

/// The most distinct stacks (tree nodes) one profile keeps. Past it, a new stack's gas
/// goes to the deepest frame already known on it: totals stay exact, the profile says it
/// was truncated. A contract's profile usually has a few hundred.
pub const MAX_PROFILE_STACKS: usize = 1 << 14;

/// The deepest stack a profile keeps, in frames below the root. Deeper frames' gas goes
/// to the frame at this depth (the profile says it was truncated): a folded line names
/// every frame of its stack, so unbounded recursion would otherwise make the output
/// quadratic in the depth.
pub const MAX_PROFILE_DEPTH: usize = 128;

/// Where the root frame sits in a [`CallProfile`]: not a function.
const ROOT: u32 = u32::MAX;

/// Records a profiled call's hooks (the store data of a profiled call holds one).
#[derive(Debug)]
pub struct Recorder {
    profile: CallProfile,
    children: HashMap<(u32, u32), u32>,
    /// The open frames (node indices), the root first.
    open: Vec<u32>,
    /// The gas left at the last hook, never below zero.
    last: u64,
}

/// A finished profile, by function index of the deployed module: a tree of frames, each
/// with the gas spent in it outside its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallProfile {
    nodes: Vec<Node>,
    truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    func: u32,
    parent: u32,
    gas: u64,
}

impl Recorder {
    /// A recorder for a call that starts with `gas_limit` gas.
    pub fn new(gas_limit: u64) -> Recorder {
        let root = Node { func: ROOT, parent: 0, gas: 0 };
        Recorder {
            profile: CallProfile { nodes: vec![root], truncated: false },
            children: HashMap::new(),
            open: vec![0],
            last: gas_limit,
        }
    }

    /// Charges the gas spent since the last hook to the innermost open frame.
    ///
    /// The gas global only falls between two hooks: host functions only charge, and the
    /// `call` host function gives back unused forwarded gas before it returns. A negative
    /// balance (out of gas) counts as zero, as `gas_used` does.
    fn settle(&mut self, gas_left: i64) {
        let now = gas_left.max(0) as u64;
        let spent = self.last.saturating_sub(now);
        let current = *self.open.last().expect("the root never closes") as usize;
        self.profile.nodes[current].gas += spent;
        self.last = now;
    }

    fn enter(&mut self, func: u32, gas_left: i64) {
        self.settle(gas_left);
        let parent = *self.open.last().expect("the root never closes");
        let node = match self.children.get(&(parent, func)) {
            _ if self.open.len() > MAX_PROFILE_DEPTH => {
                self.profile.truncated = true;
                parent
            }
            Some(&node) => node,
            None if self.profile.nodes.len() >= MAX_PROFILE_STACKS => {
                self.profile.truncated = true;
                parent
            }
            None => {
                let node = self.profile.nodes.len() as u32;
                self.profile.nodes.push(Node { func, parent, gas: 0 });
                self.children.insert((parent, func), node);
                node
            }
        };
        self.open.push(node);
    }

    fn exit(&mut self, gas_left: i64) {
        self.settle(gas_left);
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    /// Ends the profile of a call that used `gas_used` of `gas_limit`: what was spent
    /// since the last hook goes to the innermost frame still open (the one that trapped,
    /// or the root after a return), so the total is exactly `gas_used`.
    pub fn finish(mut self, gas_limit: u64, gas_used: u64) -> CallProfile {
        self.settle(gas_limit.saturating_sub(gas_used) as i64);
        self.profile
    }
}

impl CallProfile {
    /// The gas of every frame: the profiled call's `gas_used`.
    pub fn total(&self) -> u64 {
        self.nodes.iter().map(|n| n.gas).sum()
    }

    /// Whether [`MAX_PROFILE_STACKS`] or [`MAX_PROFILE_DEPTH`] cut some stacks short.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The profile as named stacks under a root frame called `root`.
    pub fn named(&self, names: &FunctionNames, root: &str) -> GasProfile {
        let mut out = GasProfile::default();
        let mut stack = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.gas == 0 {
                continue;
            }
            stack.clear();
            let mut at = i;
            while at != 0 {
                stack.push(names.name(self.nodes[at].func));
                at = self.nodes[at].parent as usize;
            }
            stack.push(root.to_string());
            stack.reverse();
            out.add(stack.clone(), node.gas);
        }
        out.truncated = self.truncated;
        out
    }
}

/// The store data of a call that may be profiled.
pub trait ProfileHost: 'static {
    /// The instance's gas global, once bound.
    fn gas_global(&self) -> Option<Global>;
    /// The recorder, when the call is profiled.
    fn recorder(&mut self) -> Option<&mut Recorder>;
    /// Runs after the recorder at each hook: `enter(func)` (`Some`) or `exit()` (`None`)
    /// with the gas left before it; a debugger's stop ([`crate::debug`]). By default
    /// nothing.
    fn debug_hook(_caller: &mut Caller<'_, Self>, _hook: Option<u32>, _gas_left: i64)
    where
        Self: Sized,
    {
    }
}

/// Defines the hook imports of [`HOOK_MODULE`] in `linker`. Only profiling compiles
/// import them; defining them costs ordinary modules nothing.
pub fn define_hooks<T: ProfileHost>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    fn gas_left<T: ProfileHost>(c: &mut Caller<'_, T>) -> i64 {
        let Some(gas) = c.data().gas_global() else { return 0 };
        gas.get(&mut *c).i64().unwrap_or(0)
    }
    linker.func_wrap(HOOK_MODULE, "enter", |mut c: Caller<'_, T>, func: i32| {
        let left = gas_left(&mut c);
        if let Some(r) = c.data_mut().recorder() {
            r.enter(func as u32, left);
        }
        T::debug_hook(&mut c, Some(func as u32), left);
    })?;
    linker.func_wrap(HOOK_MODULE, "exit", |mut c: Caller<'_, T>| {
        let left = gas_left(&mut c);
        if let Some(r) = c.data_mut().recorder() {
            r.exit(left);
        }
        T::debug_hook(&mut c, None, left);
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_between_hooks_goes_to_the_open_frame_and_the_total_is_exact() {
        let mut r = Recorder::new(1_000);
        r.enter(5, 990); // 10 before any frame: the root
        r.enter(0, 950); // 40 in function 5
        r.exit(900); // 50 in host function 0
        r.exit(880); // 20 more in 5
        let p = r.finish(1_000, 130); // 10 after the return: the root
        assert_eq!(p.total(), 130);
        let names = FunctionNames::default();
        let named = p.named(&names, "call");
        assert_eq!(named.folded(), "call 20\ncall;func[5] 60\ncall;func[5];func[0] 50\n");
    }

    #[test]
    fn a_negative_balance_counts_as_zero_and_out_of_gas_uses_the_limit() {
        let mut r = Recorder::new(100);
        r.enter(1, 90);
        r.enter(2, -7); // ran out inside function 2
        let p = r.finish(100, 100);
        assert_eq!(p.total(), 100);
    }

    #[test]
    fn frames_past_max_profile_depth_charge_the_deepest_kept_frame() {
        let mut r = Recorder::new(10_000);
        let mut left = 10_000;
        for _ in 0..MAX_PROFILE_DEPTH + 5 {
            left -= 3;
            r.enter(7, left);
        }
        let p = r.finish(10_000, 10_000 - left as u64);
        assert!(p.truncated());
        assert_eq!(p.nodes.len(), MAX_PROFILE_DEPTH + 1);
        assert_eq!(p.total(), 10_000 - left as u64);
        let named = p.named(&FunctionNames::default(), "r");
        assert_eq!(named.stacks().map(|(s, _)| s.len()).max(), Some(MAX_PROFILE_DEPTH + 1));
    }

    #[test]
    fn past_max_profile_stacks_new_frames_fold_into_their_parent() {
        let mut r = Recorder::new(u64::MAX / 2);
        let mut left = (u64::MAX / 2) as i64;
        for f in 0..MAX_PROFILE_STACKS as u32 + 10 {
            left -= 1;
            r.enter(f, left);
            left -= 1;
            r.exit(left);
        }
        let used = u64::MAX / 2 - left as u64;
        let p = r.finish(u64::MAX / 2, used);
        assert!(p.truncated());
        assert_eq!(p.nodes.len(), MAX_PROFILE_STACKS);
        assert_eq!(p.total(), used);
    }
}
