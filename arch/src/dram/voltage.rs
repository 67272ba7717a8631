//! Reduced-voltage operation: per-standard tables of supply voltage -> timing stretch
//! (tRCD, tRAS, tRP), dynamic-energy scale and bit error rate (BER).
//!
//! The default DDR3L table (configs/dram/voltage/ddr3l.toml, embedded) spans 1.35 V
//! down to 1.025 V, the range Voltron (Chang et al., SIGMETRICS 2017) characterised on
//! 124 DDR3L chips; its energy scale is EnforceSNN's (V/1.35)^2 and its BER anchors are
//! EnforceSNN's module range at 1.025 V. The file documents every number; its timing
//! stretch is a model (alpha-power-law delay), not a measurement. A user replaces the
//! table by writing a file of the same shape and loading it with
//! [`VoltageTable::from_toml_str`].
//!
//! Between table points ([`VoltageTable::at`]):
//! - timing scales take the larger (conservative) of the two neighbouring points, so an
//!   operating point never runs faster than a characterised voltage below it allows;
//! - BER is interpolated log-linearly (errors grow about exponentially as VDD falls);
//!   when either neighbour has BER 0, linearly (the log of 0 is undefined);
//! - energy follows (vdd / nominal)^2 times the table's own correction factor
//!   `energy_scale / (vdd_point / nominal)^2`, interpolated linearly. For a table that
//!   obeys the quadratic law (the default) this is exactly (vdd / nominal)^2; a table
//!   with measured energies is honoured at its points.

use super::{DramError, Standard};
use serde::{Deserialize, Serialize};

/// The embedded DDR3L table (Voltron range, EnforceSNN energy and BER): a typical
/// module (BER 1.4e-5 at 1.025 V, the geometric middle of EnforceSNN's range).
pub const DDR3L_TABLE_TOML: &str = include_str!("../../../configs/dram/voltage/ddr3l.toml");
/// The worst-case DDR3L module of the same sources (onset 1.15 V, BER 2e-3 at 1.025 V),
/// shipped as configs/dram/voltage/ddr3l-worst.toml for `dram.voltage_table`.
pub const DDR3L_WORST_TABLE_TOML: &str =
    include_str!("../../../configs/dram/voltage/ddr3l-worst.toml");

/// Tolerance on voltages, V: values within it are the same point (parsing noise).
const VDD_TOL: f64 = 1e-9;

/// A voltage table: the operating points of one standard family.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VoltageTable {
    /// The family the data was measured on (e.g. "DDR3L").
    pub standard_family: String,
    /// The VDD at which the standard's IDD currents and timings hold, V.
    pub nominal_vdd: f64,
    /// Free text: where the numbers come from.
    pub source: String,
    /// Operating points in strictly ascending `vdd`.
    pub points: Vec<VoltagePoint>,
}

/// One row of a voltage table.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VoltagePoint {
    /// Supply voltage, V.
    pub vdd: f64,
    /// Factor on tRCD (>= 1).
    pub rcd_scale: f64,
    /// Factor on tRAS (>= 1).
    pub ras_scale: f64,
    /// Factor on tRP (>= 1).
    pub rp_scale: f64,
    /// Factor on every DRAMPower energy term (1 at nominal VDD).
    pub energy_scale: f64,
    /// Bit error rate remaining at this voltage with these timings, in [0, 0.5].
    pub ber: f64,
}

/// The resolved operating point at one supply voltage.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct OperatingPoint {
    pub vdd: f64,
    pub rcd_scale: f64,
    pub ras_scale: f64,
    pub rp_scale: f64,
    pub energy_scale: f64,
    pub ber: f64,
}

fn bad(key: String, msg: String) -> DramError {
    DramError::InvalidConfig { key, msg }
}

impl VoltageTable {
    /// Parse and validate a table. Parse errors (unknown or missing keys, wrong types)
    /// come from serde and name the key; range errors name `points[i].field`.
    pub fn from_toml_str(text: &str) -> Result<Self, DramError> {
        let t: VoltageTable = toml::from_str(text)?;
        t.validate()?;
        Ok(t)
    }

    /// Checks: at least one point; voltages finite, positive and strictly ascending;
    /// timing scales >= 1; energy scale > 0; 0 <= ber <= 0.5; nominal VDD inside the
    /// table (a run at nominal voltage must resolve).
    pub fn validate(&self) -> Result<(), DramError> {
        if self.points.is_empty() {
            return Err(bad(
                "points".into(),
                "the table needs at least one [[points]] row".into(),
            ));
        }
        let mut prev: Option<f64> = None;
        for (i, p) in self.points.iter().enumerate() {
            let key = |f: &str| format!("points[{i}].{f}");
            let at = format!("(row {i}, vdd = {} V)", p.vdd);
            if !(p.vdd.is_finite() && p.vdd > 0.0) {
                return Err(bad(
                    key("vdd"),
                    format!("{} is not accepted: a voltage > 0 V", p.vdd),
                ));
            }
            if let Some(v) = prev {
                if p.vdd <= v + VDD_TOL {
                    return Err(bad(
                        key("vdd"),
                        format!(
                            "{} V after {v} V is not accepted: rows must be in strictly ascending vdd, each voltage once",
                            p.vdd
                        ),
                    ));
                }
            }
            prev = Some(p.vdd);
            for (f, s) in [
                ("rcd_scale", p.rcd_scale),
                ("ras_scale", p.ras_scale),
                ("rp_scale", p.rp_scale),
            ] {
                if !(s.is_finite() && s >= 1.0) {
                    return Err(bad(
                        key(f),
                        format!("{s} {at} is not accepted: a finite factor >= 1 (reduced voltage never shortens a timing)"),
                    ));
                }
            }
            if !(p.energy_scale.is_finite() && p.energy_scale > 0.0) {
                return Err(bad(
                    key("energy_scale"),
                    format!(
                        "{} {at} is not accepted: a finite factor > 0",
                        p.energy_scale
                    ),
                ));
            }
            if !(0.0..=0.5).contains(&p.ber) {
                return Err(bad(
                    key("ber"),
                    format!("{} {at} is not accepted: 0 <= ber <= 0.5", p.ber),
                ));
            }
        }
        let (lo, hi) = self.range_v();
        if !(self.nominal_vdd.is_finite()
            && self.nominal_vdd >= lo - VDD_TOL
            && self.nominal_vdd <= hi + VDD_TOL)
        {
            return Err(bad(
                "nominal_vdd".into(),
                format!(
                    "{} V is not accepted: it must lie within the table's points, {lo}..={hi} V",
                    self.nominal_vdd
                ),
            ));
        }
        Ok(())
    }

    /// Lowest and highest tabulated voltage, V.
    pub fn range_v(&self) -> (f64, f64) {
        (self.points[0].vdd, self.points[self.points.len() - 1].vdd)
    }

    /// The default table for a standard.
    ///
    /// - DDR3-family parts (name starting with "DDR3", DDR3L included): the embedded
    ///   DDR3L table. When the part's nominal VDD is not 1.35 V (DDR3 at 1.5 V), its
    ///   IDD x VDD energies are priced at that VDD, so every energy scale is re-referenced
    ///   by (1.35 / VDD)^2 and, for a higher VDD, a nominal point (no stretch, no errors)
    ///   is added on top: a 1.5 V DDR3 die is assumed to behave as DDR3L below 1.35 V.
    /// - Every other standard: no characterisation data exists here, so the DDR3L rows
    ///   are carried over at the same fraction of nominal VDD (vdd = VDD x v / 1.35,
    ///   rounded to 1 mV), keeping their timing scales and BERs and taking energy
    ///   (vdd / VDD)^2. This is an extrapolation, said so in `source`; replace it with a
    ///   measured table for serious use.
    pub fn default_for(std: &Standard) -> VoltageTable {
        let base = VoltageTable::from_toml_str(DDR3L_TABLE_TOML)
            .expect("embedded DDR3L voltage table is valid");
        let vnom = std.power.VDD;
        if std.name.to_ascii_uppercase().starts_with("DDR3") {
            if (vnom - base.nominal_vdd).abs() <= VDD_TOL {
                return base;
            }
            let rescale = (base.nominal_vdd / vnom).powi(2);
            let mut points: Vec<VoltagePoint> = base
                .points
                .iter()
                .filter(|p| p.vdd < vnom - VDD_TOL)
                .map(|p| VoltagePoint {
                    energy_scale: p.energy_scale * rescale,
                    ..*p
                })
                .collect();
            points.push(VoltagePoint {
                vdd: vnom,
                rcd_scale: 1.0,
                ras_scale: 1.0,
                rp_scale: 1.0,
                energy_scale: 1.0,
                ber: 0.0,
            });
            return VoltageTable {
                standard_family: "DDR3".into(),
                nominal_vdd: vnom,
                source: format!(
                    "DDR3L table re-referenced to {} nominal VDD {vnom} V (energy x (1.35/{vnom})^2); {}",
                    std.name, base.source
                ),
                points,
            };
        }
        let points = base
            .points
            .iter()
            .map(|p| {
                let vdd = (vnom * p.vdd / base.nominal_vdd * 1000.0).round() / 1000.0;
                VoltagePoint {
                    vdd,
                    energy_scale: (vdd / vnom).powi(2),
                    ..*p
                }
            })
            .collect();
        VoltageTable {
            standard_family: std.name.clone(),
            nominal_vdd: vnom,
            source: format!(
                "EXTRAPOLATED: DDR3L rows carried to {} at the same fraction of nominal VDD {vnom} V, energy (V/{vnom})^2; no data measured on this standard. Base: {}",
                std.name, base.source
            ),
            points,
        }
    }

    /// The operating point at `vdd` (see the module docs for interpolation).
    /// Outside the table: `InvalidConfig { key: "dram.vdd" }` naming the accepted range.
    pub fn at(&self, vdd: f64) -> Result<OperatingPoint, DramError> {
        let (lo, hi) = self.range_v();
        if !(vdd.is_finite() && vdd >= lo - VDD_TOL && vdd <= hi + VDD_TOL) {
            return Err(bad(
                "dram.vdd".into(),
                format!(
                    "{vdd} V is outside the {} voltage table: accepted {lo}..={hi} V (nominal {} V)",
                    self.standard_family, self.nominal_vdd
                ),
            ));
        }
        let exact = |p: &VoltagePoint| OperatingPoint {
            vdd,
            rcd_scale: p.rcd_scale,
            ras_scale: p.ras_scale,
            rp_scale: p.rp_scale,
            energy_scale: p.energy_scale,
            ber: p.ber,
        };
        if let Some(p) = self.points.iter().find(|p| (p.vdd - vdd).abs() <= VDD_TOL) {
            return Ok(exact(p));
        }
        // Strictly inside (lo, hi) and not on a point: a bracketing pair exists.
        let i = self
            .points
            .iter()
            .rposition(|p| p.vdd < vdd)
            .expect("vdd above the lowest point");
        let (a, b) = (&self.points[i], &self.points[i + 1]);
        let t = (vdd - a.vdd) / (b.vdd - a.vdd);
        let ber = if a.ber > 0.0 && b.ber > 0.0 {
            (a.ber.ln() + t * (b.ber.ln() - a.ber.ln())).exp()
        } else {
            a.ber + t * (b.ber - a.ber)
        };
        let quad = |v: f64| (v / self.nominal_vdd).powi(2);
        let (ka, kb) = (a.energy_scale / quad(a.vdd), b.energy_scale / quad(b.vdd));
        Ok(OperatingPoint {
            vdd,
            rcd_scale: a.rcd_scale.max(b.rcd_scale),
            ras_scale: a.ras_scale.max(b.ras_scale),
            rp_scale: a.rp_scale.max(b.rp_scale),
            energy_scale: (ka + t * (kb - ka)) * quad(vdd),
            ber: ber.clamp(0.0, 0.5),
        })
    }
}

/// Stretch `ck` cycles by `scale`, rounded up to whole tCK. The small slack keeps an
/// exact product (e.g. 10 x 1.2 = 12.000000000000002) from gaining a spurious cycle.
fn stretch_ck(ck: u32, scale: f64) -> u32 {
    let v = (ck as f64 * scale - 1e-9).ceil();
    (v.max(ck as f64)) as u32
}

impl OperatingPoint {
    /// Stretch tRCD, tRAS and tRP (rounded up to whole tCK) and keep tRC >= tRAS + tRP.
    /// Other timings are left as they are: Voltron attributes the slowdown to
    /// activation, restoration and precharge.
    pub fn apply_timing(&self, std: &mut Standard) {
        let t = &mut std.timing;
        t.RCD = stretch_ck(t.RCD, self.rcd_scale);
        t.RAS = stretch_ck(t.RAS, self.ras_scale);
        t.RP = stretch_ck(t.RP, self.rp_scale);
        // Saturating: a huge stretched value is refused by the standard's bounds next.
        t.RC = t.RC.max(t.RAS.saturating_add(t.RP));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ddr3l() -> VoltageTable {
        VoltageTable::from_toml_str(DDR3L_TABLE_TOML).unwrap()
    }

    fn row(vdd: f64, s: f64, e: f64, ber: f64) -> String {
        format!(
            "[[points]]\nvdd = {vdd}\nrcd_scale = {s}\nras_scale = {s}\nrp_scale = {s}\nenergy_scale = {e}\nber = {ber}\n"
        )
    }

    fn table(rows: &[String]) -> String {
        format!(
            "standard_family = \"T\"\nnominal_vdd = 1.35\nsource = \"test\"\n{}",
            rows.concat()
        )
    }

    #[test]
    fn embedded_table_is_valid_and_follows_its_documented_rules() {
        let t = ddr3l();
        assert_eq!(t.standard_family, "DDR3L");
        assert_eq!(t.range_v(), (1.025, 1.35));
        for p in &t.points {
            // energy_scale = (V/1.35)^2 rounded to 4 digits (EnforceSNN's rule).
            assert!(
                (p.energy_scale - (p.vdd / 1.35f64).powi(2)).abs() < 6e-5,
                "{p:?}"
            );
            // No errors at or above the 1.125 V onset (Voltron's 1.1-1.15 V band).
            if p.vdd >= 1.125 {
                assert_eq!(p.ber, 0.0, "{p:?}");
                assert_eq!(p.rcd_scale, 1.0);
            }
        }
        // EnforceSNN: 1.025 V -> 0.576; its BER range 1e-7..2e-3 holds the anchor.
        let low = t.at(1.025).unwrap();
        assert!((low.energy_scale - 0.576).abs() < 1e-3);
        assert!((1e-7..=2e-3).contains(&low.ber));
        // The 84.9% headline check from papers.md: 1 - (8/32) * scale ~ 0.856.
        assert!((1.0 - 0.25 * low.energy_scale - 0.856).abs() < 1e-3);
    }

    #[test]
    fn worst_case_table_brackets_the_typical_one() {
        let (typ, worst) = (
            ddr3l(),
            VoltageTable::from_toml_str(DDR3L_WORST_TABLE_TOML).unwrap(),
        );
        assert_eq!(worst.range_v(), typ.range_v());
        // EnforceSNN's upper end at 1.025 V; errors and stretch start one step earlier.
        assert_eq!(worst.at(1.025).unwrap().ber, 2e-3);
        assert!(worst.at(1.125).unwrap().ber > 0.0 && typ.at(1.125).unwrap().ber == 0.0);
        for i in 0..=13 {
            let v = 1.35 - 0.025 * i as f64;
            let (t, w) = (typ.at(v).unwrap(), worst.at(v).unwrap());
            assert!(w.ber >= t.ber && w.rcd_scale >= t.rcd_scale, "{v}");
            assert!((w.energy_scale - t.energy_scale).abs() < 1e-12, "{v}");
        }
    }

    #[test]
    fn interpolation_by_hand() {
        let text = table(&[
            row(1.0, 1.5, 0.5, 1e-3),
            row(1.2, 1.1, 0.8, 1e-5),
            row(1.35, 1.0, 1.0, 0.0),
        ]);
        let t = VoltageTable::from_toml_str(&text).unwrap();
        // On a point: its values exactly.
        let p = t.at(1.2).unwrap();
        assert_eq!((p.rcd_scale, p.energy_scale, p.ber), (1.1, 0.8, 1e-5));
        // Halfway between 1.0 and 1.2: timing takes the larger stretch (1.5); BER is the
        // geometric mean sqrt(1e-3 * 1e-5) = 1e-4; energy = (1.1/1.35)^2 x the mean of
        // the points' corrections 0.5/(1.0/1.35)^2 and 0.8/(1.2/1.35)^2.
        let p = t.at(1.1).unwrap();
        assert_eq!((p.rcd_scale, p.ras_scale, p.rp_scale), (1.5, 1.5, 1.5));
        assert!((p.ber - 1e-4).abs() < 1e-12, "{}", p.ber);
        let k = 0.5 * (0.5 / (1.0f64 / 1.35).powi(2) + 0.8 / (1.2f64 / 1.35).powi(2));
        let want = k * (1.1f64 / 1.35).powi(2);
        assert!(
            (p.energy_scale - want).abs() < 1e-12,
            "{} vs {want}",
            p.energy_scale
        );
        // One third of the way from 1.2 (BER 1e-5) to 1.35 (BER 0): linear, 2/3 x 1e-5.
        let p = t.at(1.25).unwrap();
        assert!((p.ber - 1e-5 * 2.0 / 3.0).abs() < 1e-15, "{}", p.ber);
        assert_eq!(p.rcd_scale, 1.1);
    }

    #[test]
    fn quadratic_table_interpolates_to_the_quadratic_law() {
        let t = ddr3l();
        for v in [1.03, 1.06, 1.111, 1.17, 1.33] {
            let p = t.at(v).unwrap();
            // The table's points are rounded to 4 digits, so the law holds to ~1e-4.
            assert!(
                (p.energy_scale - (v / 1.35f64).powi(2)).abs() < 1e-4,
                "{v}: {}",
                p.energy_scale
            );
        }
        // BER rises monotonically as VDD falls.
        let bers: Vec<f64> = (0..=13)
            .map(|i| t.at(1.35 - 0.025 * i as f64).unwrap().ber)
            .collect();
        assert!(bers.windows(2).all(|w| w[1] >= w[0]), "{bers:?}");
    }

    #[test]
    fn out_of_range_names_dram_vdd_and_the_range() {
        let t = ddr3l();
        for v in [1.0, 1.36, f64::NAN] {
            match t.at(v) {
                Err(DramError::InvalidConfig { key, msg }) => {
                    assert_eq!(key, "dram.vdd");
                    assert!(msg.contains("1.025..=1.35"), "{msg}");
                }
                other => panic!("{v}: {other:?}"),
            }
        }
    }

    #[test]
    fn apply_timing_rounds_up_by_hand() {
        // DDR3L-1600: RCD 11, RP 11, RAS 28, RC 39 at tCK 1.25 ns.
        let mut s = Standard::preset("DDR3L-1600").unwrap();
        let op = ddr3l().at(1.025).unwrap();
        op.apply_timing(&mut s);
        // 11 x 1.1991 = 13.19 -> 14; 28 x 1.1991 = 33.57 -> 34; RC = max(39, 34 + 14) = 48.
        assert_eq!(
            (s.timing.RCD, s.timing.RP, s.timing.RAS, s.timing.RC),
            (14, 14, 34, 48)
        );
        s.validate().unwrap();
        // An exact product does not gain a cycle: 10 x 1.2 = 12, 28 x 1.25 = 35.
        let mut s = Standard::preset("DDR3-1600-x16").unwrap();
        let op = OperatingPoint {
            vdd: 1.0,
            rcd_scale: 1.2,
            ras_scale: 1.25,
            rp_scale: 1.0,
            energy_scale: 1.0,
            ber: 0.0,
        };
        op.apply_timing(&mut s);
        assert_eq!(
            (s.timing.RCD, s.timing.RP, s.timing.RAS, s.timing.RC),
            (12, 10, 35, 45)
        );
        // At nominal nothing changes.
        let mut s = Standard::preset("DDR3L-1600").unwrap();
        let before = s.clone();
        ddr3l().at(1.35).unwrap().apply_timing(&mut s);
        assert_eq!(s, before);
    }

    proptest::proptest! {
        /// Any stretch >= 1 keeps every preset valid: each timing grows by less than one
        /// tCK beyond its exact product, and tRC covers tRAS + tRP.
        #[test]
        fn apply_timing_rounds_up_and_stays_valid(
            preset in 0usize..crate::dram::standard::PRESETS.len(),
            rcd in 1.0f64..3.0, ras in 1.0f64..3.0, rp in 1.0f64..3.0,
        ) {
            let mut s = Standard::preset(crate::dram::standard::PRESETS[preset].0).unwrap();
            let before = s.timing.clone();
            let op = OperatingPoint { vdd: 1.0, rcd_scale: rcd, ras_scale: ras, rp_scale: rp, energy_scale: 1.0, ber: 0.0 };
            op.apply_timing(&mut s);
            for (new, old, k) in [(s.timing.RCD, before.RCD, rcd), (s.timing.RAS, before.RAS, ras), (s.timing.RP, before.RP, rp)] {
                let exact = old as f64 * k;
                proptest::prop_assert!(new as f64 >= exact - 1e-6 && (new as f64) < exact + 1.0);
            }
            proptest::prop_assert_eq!(s.timing.RC, before.RC.max(s.timing.RAS + s.timing.RP));
            proptest::prop_assert!(s.validate().is_ok());
        }
    }

    #[test]
    fn defaults_for_each_family() {
        // DDR3L: the embedded table as is.
        assert_eq!(
            VoltageTable::default_for(&Standard::preset("DDR3L-1600").unwrap()),
            ddr3l()
        );
        // DDR3 at 1.5 V: nominal point added, energies re-referenced to 1.5 V.
        let t = VoltageTable::default_for(&Standard::preset("DDR3-1600-x16").unwrap());
        t.validate().unwrap();
        assert_eq!(t.range_v(), (1.025, 1.5));
        assert_eq!(t.at(1.5).unwrap().energy_scale, 1.0);
        assert!((t.at(1.35).unwrap().energy_scale - (1.35f64 / 1.5).powi(2)).abs() < 1e-12);
        assert!((t.at(1.4).unwrap().energy_scale - (1.4f64 / 1.5).powi(2)).abs() < 1e-12);
        assert_eq!(t.at(1.025).unwrap().ber, ddr3l().at(1.025).unwrap().ber);
        // DDR4 at 1.2 V: rows at the same fraction of nominal, energy (V/1.2)^2.
        let s = Standard::preset("DDR4-2400").unwrap();
        let t = VoltageTable::default_for(&s);
        t.validate().unwrap();
        assert_eq!(t.range_v(), (0.911, 1.2)); // 1.2 x 1.025 / 1.35 = 0.9111
        assert!(t.source.starts_with("EXTRAPOLATED"));
        let p = t.at(0.911).unwrap();
        assert!((p.energy_scale - (0.911f64 / 1.2).powi(2)).abs() < 1e-12);
        assert_eq!(p.ber, 1.414e-5);
        assert_eq!(t.at(1.2).unwrap().ber, 0.0);
        VoltageTable::default_for(&Standard::preset("LPDDR3-1600").unwrap())
            .validate()
            .unwrap();
    }

    #[test]
    fn toml_errors_name_the_key() {
        let key_of = |text: &str| match VoltageTable::from_toml_str(text) {
            Err(DramError::InvalidConfig { key, msg }) => format!("{key}: {msg}"),
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        };
        let ok = row(1.35, 1.0, 1.0, 0.0);
        assert!(key_of(&table(&[row(1.0, 0.9, 0.5, 0.0), ok.clone()]))
            .starts_with("points[0].rcd_scale"));
        assert!(key_of(&table(&[row(1.0, 1.0, 0.5, 0.7), ok.clone()])).starts_with("points[0].ber"));
        assert!(key_of(&table(&[row(1.0, 1.0, 0.0, 0.0), ok.clone()]))
            .starts_with("points[0].energy_scale"));
        assert!(key_of(&table(&[ok.clone(), row(1.0, 1.0, 0.5, 0.0)])).starts_with("points[1].vdd"));
        assert!(key_of(&table(&[ok.clone(), ok.clone()])).starts_with("points[1].vdd"));
        assert!(key_of(&table(&[row(1.0, 1.0, 0.5, 0.0)])).starts_with("nominal_vdd"));
        // No rows at all: serde reports the missing `points`.
        assert!(
            key_of(&table(&[])).contains("points"),
            "{}",
            key_of(&table(&[]))
        );
        // serde names unknown and missing keys.
        let unknown = table(std::slice::from_ref(&ok)) + "vddq = 1.0\n";
        assert!(key_of(&unknown).contains("vddq"), "{}", key_of(&unknown));
        let missing = table(&[ok.replace("ber = 0\n", "")]);
        assert!(key_of(&missing).contains("ber"), "{}", key_of(&missing));
    }
}
