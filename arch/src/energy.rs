//! The energy ledger every component books into, by component and by kind.
//!
//! Components count their own events in the hot path and book totals here when a
//! report is made, so the ledger is never on the event loop.

use serde::Serialize;
use std::collections::BTreeMap;

/// Energy in picojoules, keyed by component ("dram", "sram.weights", "core") and kind
/// ("act_pre", "rd", "background", "leakage", ...).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EnergyLedger {
    entries_pj: BTreeMap<String, BTreeMap<String, f64>>,
}

impl EnergyLedger {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn book(&mut self, component: &str, kind: &str, energy_pj: f64) {
        *self
            .entries_pj
            .entry(component.to_string())
            .or_default()
            .entry(kind.to_string())
            .or_insert(0.0) += energy_pj;
    }

    /// Add every entry of another ledger into this one.
    pub fn merge(&mut self, other: &EnergyLedger) {
        for (c, kinds) in &other.entries_pj {
            for (k, e) in kinds {
                self.book(c, k, *e);
            }
        }
    }

    pub fn total_pj(&self) -> f64 {
        self.entries_pj.values().flat_map(|k| k.values()).sum()
    }

    pub fn component_pj(&self, component: &str) -> f64 {
        self.entries_pj
            .get(component)
            .map(|k| k.values().sum())
            .unwrap_or(0.0)
    }

    pub fn get_pj(&self, component: &str, kind: &str) -> f64 {
        self.entries_pj
            .get(component)
            .and_then(|k| k.get(kind))
            .copied()
            .unwrap_or(0.0)
    }

    /// Nested map component -> kind -> pJ, for reports.
    pub fn breakdown_pj(&self) -> &BTreeMap<String, BTreeMap<String, f64>> {
        &self.entries_pj
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_and_sums() {
        let mut l = EnergyLedger::new();
        l.book("dram", "rd", 10.0);
        l.book("dram", "rd", 5.0);
        l.book("core", "synop", 2.5);
        assert_eq!(l.get_pj("dram", "rd"), 15.0);
        assert_eq!(l.component_pj("dram"), 15.0);
        assert_eq!(l.total_pj(), 17.5);
        let mut m = EnergyLedger::new();
        m.merge(&l);
        m.merge(&l);
        assert_eq!(m.total_pj(), 35.0);
    }
}
