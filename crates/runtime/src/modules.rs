//! Compiled modules kept warm, keyed by code id.
//!
//! A plain map: compiled at deploy (so the first call is warm) or on first use after a
//! restart. The tiered cache (pinned, LRU, on-disk artifacts) is a separate layer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use state::Journal;
use types::CodeId;
use wasm::{LinkedModule, Vm};

use crate::{ContractView, RuntimeError, keys};

#[derive(Default)]
pub(crate) struct ModuleCache {
    map: RwLock<HashMap<CodeId, Arc<LinkedModule<ContractView>>>>,
}

impl ModuleCache {
    pub(crate) fn get(&self, id: &CodeId) -> Option<Arc<LinkedModule<ContractView>>> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    pub(crate) fn insert(&self, id: CodeId, module: Arc<LinkedModule<ContractView>>) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).insert(id, module);
    }

    /// The linked module of `id`, compiling the stored code on a miss.
    pub(crate) fn get_or_load(
        &self,
        vm: &Vm<ContractView>,
        journal: &Journal,
        id: &CodeId,
    ) -> Result<Arc<LinkedModule<ContractView>>, RuntimeError> {
        if let Some(m) = self.get(id) {
            return Ok(m);
        }
        let code = journal
            .get(&keys::code(id))?
            .ok_or_else(|| RuntimeError::Corrupt(format!("code {id} is referenced but not stored")))?;
        if CodeId::of(&code) != *id {
            return Err(RuntimeError::Corrupt(format!("stored code {id} fails its checksum")));
        }
        let compiled = vm
            .engine()
            .compile(&code)
            .map_err(|e| RuntimeError::Corrupt(format!("stored code {id} no longer validates: {e}")))?;
        let linked = Arc::new(vm.link(&compiled)?);
        self.insert(*id, linked.clone());
        Ok(linked)
    }
}
