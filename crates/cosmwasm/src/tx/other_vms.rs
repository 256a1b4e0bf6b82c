//! The transaction's side of messages to contracts of other VMs, and the runtime's
//! depth limit and reentrancy policy on the messages it runs itself. The mapping of a
//! message onto the other VM's call is `crate::foreign`'s.

use state::Journal;
use types::{Address, VmType};

use super::{Fail, Recorded, Step, Tx};
use crate::foreign;
use crate::msg::Coin;

impl Tx<'_> {
    /// Checks a message to `target` at message depth `depth` (0: the transaction's
    /// own, which whoever sent it admitted) against the runtime's depth limit and
    /// reentrancy policy, as the contracts enclosing the transaction see it.
    pub(super) fn admit(&self, target: &Address, depth: u32) -> Step<()> {
        let Some(sender_depth) = depth.checked_sub(1) else { return Ok(()) };
        let frame = self.frame.below(sender_depth, &[]);
        match frame.dispatch.admits(&frame.env(&self.ctx.block), target) {
            Some(refused) => Err(Fail::Contract(refused)),
            None => Ok(()),
        }
    }

    /// Executes `target`, a contract of VM `vm`, through the runtime's dispatch with all
    /// the gas left: `msg` names its entry point and input ([`foreign::entry_and_input`]),
    /// `funds` its value. Its result is the data (none if empty); its events join the
    /// transaction's.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn execute_foreign(
        &mut self,
        state: &mut Journal,
        sender: Address,
        target: Address,
        vm: VmType,
        msg: &[u8],
        funds: &[Coin],
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let (entry, input) = foreign::entry_and_input(vm, msg).map_err(Fail::Contract)?;
        let value = foreign::value(&self.shared.config.native_denom, funds).map_err(Fail::Contract)?;
        // The sender runs one level up, inside the messages of `path` (its own last).
        let frame = self.frame.below(depth.saturating_sub(1), &self.path);
        let outcome = foreign::call(
            &frame,
            &self.ctx.block,
            state,
            sender,
            target,
            &entry,
            input,
            value,
            self.gas_left(),
            false,
        )?;
        self.gas_used = self.gas_used.saturating_add(outcome.gas_used);
        let data = outcome.result.map_err(Fail::Contract)?;
        for e in outcome.events {
            let bytes = e.contract.0.len() + e.topics.iter().map(Vec::len).sum::<usize>() + e.data.len();
            self.event_bytes = self.event_bytes.saturating_add(bytes);
            self.events.push(Recorded::Cove(e));
        }
        Ok((!data.is_empty()).then_some(data))
    }
}
