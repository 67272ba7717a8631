//! `[snn]` and `[data]` config tables.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SnnModel {
    DiehlCook,
    Fspinn,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    Nearest,
    Truncate,
    Stochastic,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SnnConfig {
    pub model: SnnModel,
    pub n_excitatory: usize,
    /// Weight precision in bits; 32 = float.
    pub weight_bits: u32,
    pub rounding: Rounding,
    pub epochs: u32,
    pub seed: u64,
}

impl Default for SnnConfig {
    fn default() -> Self {
        SnnConfig {
            model: SnnModel::DiehlCook,
            n_excitatory: 100,
            weight_bits: 32,
            rounding: Rounding::Nearest,
            epochs: 1,
            seed: 1,
        }
    }
}

impl SnnConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.n_excitatory == 0 || self.n_excitatory > 100_000 {
            return Err(format!("snn.n_excitatory = {} is not accepted: 1..=100000", self.n_excitatory));
        }
        if !(1..=32).contains(&self.weight_bits) {
            return Err(format!("snn.weight_bits = {} is not accepted: 1..=32 (32 = float)", self.weight_bits));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Mnist,
    FashionMnist,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub dataset: Dataset,
    /// IDX files (raw or .gz), relative to the config file's directory.
    pub train_images: String,
    pub train_labels: String,
    pub test_images: String,
    pub test_labels: String,
    pub train_samples: usize,
    pub test_samples: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dataset: Dataset::Mnist,
            train_images: "data/mnist/train-images-idx3-ubyte.gz".into(),
            train_labels: "data/mnist/train-labels-idx1-ubyte.gz".into(),
            test_images: "data/mnist/t10k-images-idx3-ubyte.gz".into(),
            test_labels: "data/mnist/t10k-labels-idx1-ubyte.gz".into(),
            train_samples: 1000,
            test_samples: 100,
        }
    }
}

impl DataConfig {
    pub fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
