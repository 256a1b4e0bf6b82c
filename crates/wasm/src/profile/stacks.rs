//! A gas profile as named stacks: what flamegraph tools read ("folded" lines), and the
//! per-function totals a report lists.

use std::collections::{BTreeMap, HashMap, HashSet};

/// Gas by stack of frame names, root first; each stack's gas is spent in its last frame
/// outside that frame's children ("self" gas). Stacks of several calls or contracts
/// merge under a common root with [`GasProfile::nest`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GasProfile {
    stacks: BTreeMap<Vec<String>, u64>,
    pub(crate) truncated: bool,
}

/// One function's gas in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionGas {
    /// Its name.
    pub name: String,
    /// Gas spent in it outside the functions it called.
    pub self_gas: u64,
    /// Gas spent in it and everything it called (once per stack, recursion included).
    pub total_gas: u64,
}

impl GasProfile {
    /// Adds `gas` to `stack` (frame names, root first). Zero gas adds nothing.
    pub fn add(&mut self, stack: Vec<String>, gas: u64) {
        if gas > 0 {
            *self.stacks.entry(stack).or_default() += gas;
        }
    }

    /// Every stack of `other`, under the frames `prefix`.
    pub fn nest(&mut self, prefix: &[String], other: GasProfile) {
        for (stack, gas) in other.stacks {
            self.add(prefix.iter().cloned().chain(stack).collect(), gas);
        }
        self.truncated |= other.truncated;
    }

    /// The gas of every stack: the profiled call's `gas_used`.
    pub fn total(&self) -> u64 {
        self.stacks.values().sum()
    }

    /// Whether some stacks were cut short ([`super::MAX_PROFILE_STACKS`],
    /// [`super::MAX_PROFILE_DEPTH`]).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The stacks and their gas, in stack order.
    pub fn stacks(&self) -> impl Iterator<Item = (&[String], u64)> {
        self.stacks.iter().map(|(s, g)| (s.as_slice(), *g))
    }

    /// The profile in the "folded" format of flamegraph tools: one line per stack,
    /// `root;caller;callee GAS`. A `;` inside a name (never in Rust symbols) becomes `:`.
    pub fn folded(&self) -> String {
        let mut out = String::new();
        for (stack, gas) in &self.stacks {
            let names: Vec<String> = stack.iter().map(|n| n.replace(';', ":")).collect();
            out.push_str(&names.join(";"));
            out.push(' ');
            out.push_str(&gas.to_string());
            out.push('\n');
        }
        out
    }

    /// Every frame name with its self and total gas, the most expensive (total) first.
    pub fn functions(&self) -> Vec<FunctionGas> {
        let mut self_gas: HashMap<&str, u64> = HashMap::new();
        let mut total_gas: HashMap<&str, u64> = HashMap::new();
        for (stack, gas) in &self.stacks {
            if let Some(last) = stack.last() {
                *self_gas.entry(last).or_default() += gas;
            }
            let distinct: HashSet<&str> = stack.iter().map(String::as_str).collect();
            for name in distinct {
                *total_gas.entry(name).or_default() += gas;
            }
        }
        let mut out: Vec<FunctionGas> = total_gas
            .into_iter()
            .map(|(name, total_gas)| FunctionGas {
                name: name.to_string(),
                self_gas: self_gas.get(name).copied().unwrap_or(0),
                total_gas,
            })
            .collect();
        out.sort_by(|a, b| b.total_gas.cmp(&a.total_gas).then_with(|| a.name.cmp(&b.name)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn recursion_counts_once_in_a_total_and_nest_keeps_the_sum() {
        let mut p = GasProfile::default();
        p.add(s(&["call", "f"]), 3);
        p.add(s(&["call", "f", "f"]), 4);
        p.add(s(&["call", "f", "g;h"]), 5);
        p.add(s(&["call", "x"]), 0);
        let f = p.functions().into_iter().find(|f| f.name == "f").unwrap();
        assert_eq!((f.self_gas, f.total_gas), (7, 12));
        assert_eq!(p.folded(), "call;f 3\ncall;f;f 4\ncall;f;g:h 5\n");
        let mut outer = GasProfile::default();
        outer.add(s(&["tx"]), 1);
        outer.nest(&s(&["tx", "entry"]), p);
        assert_eq!(outer.total(), 13);
        assert!(outer.folded().starts_with("tx 1\ntx;entry;call;f 3\n"));
    }
}
