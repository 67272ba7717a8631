//! Snapshots of model state, for checkpoints that resume a run exactly.
//!
//! Every stateful model (DRAM controller, core, SRAM) derives `serde::Serialize` and
//! `Deserialize` over its whole state, caches and scratch included, so a model restored
//! from a snapshot takes exactly the decisions the original would have taken. This
//! module holds the serde adapters for what serde does not cover itself: fixed-size
//! arrays longer than 32 elements, boxed or not.

/// `#[serde(with = "crate::snapshot::array")]` for `[T; N]` with N > 32.
pub mod array {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize, const N: usize>(
        a: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        a.as_slice().serialize(s)
    }

    pub fn deserialize<'de, D, T, const N: usize>(d: D) -> Result<[T; N], D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let v: Vec<T> = Vec::deserialize(d)?;
        let n = v.len();
        v.try_into()
            .map_err(|_| D::Error::custom(format!("expected {N} elements, got {n}")))
    }
}

/// `#[serde(with = "crate::snapshot::boxed_array")]` for `Box<[T; N]>`.
pub mod boxed_array {
    use serde::{Deserialize, Deserializer};

    pub use super::array::serialize;

    pub fn deserialize<'de, D, T, const N: usize>(d: D) -> Result<Box<[T; N]>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        super::array::deserialize(d).map(Box::new)
    }
}
