//! `spikemem tolerance`: BER 0 equals `eval`, accuracy falls at a high BER, the same
//! fault seed gives the same row, and bad arguments are clear errors.

mod common;
use common::{json, spikemem};
use std::path::Path;

const SETS: [&str; 4] = [
    "snn.n_excitatory=20",
    "snn.weight_bits=8",
    "data.train_samples=100",
    "data.test_samples=60",
];

fn with_sets(mut args: Vec<&str>) -> Vec<&str> {
    for s in SETS {
        args.extend(["--set", s]);
    }
    args
}

fn rows(p: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "ber,error_model,fault_seed,bits,accuracy,bits_flipped"
    );
    lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn tolerance_matches_eval_at_ber_0_and_falls_at_high_ber() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, o, e) = spikemem(&with_sets(vec!["train", "--out", "m.h5"]), d);
    assert_eq!(code, 0, "{o}{e}");
    let (code, o, e) = spikemem(
        &with_sets(vec!["eval", "--model", "m.h5", "--json", "e.json"]),
        d,
    );
    assert_eq!(code, 0, "{o}{e}");
    let eval_acc = json(&d.join("e.json"))["accuracy"].as_f64().unwrap();
    let args = with_sets(vec![
        "tolerance",
        "--model",
        "m.h5",
        "--ber",
        "0,1e-9,0.2",
        "--error-models",
        "uniform,data_dependent",
        "--fault-seeds",
        "2",
        "--bits",
        "all,msb",
        "--out",
        "tol.csv",
        "--plot",
        "tol.png",
    ]);
    let (code, o, e) = spikemem(&args, d);
    assert_eq!(code, 0, "{o}{e}");
    let r = rows(&d.join("tol.csv"));
    // 3 BERs x 2 models x 2 seeds x 2 bit sets.
    assert_eq!(r.len(), 24);
    let acc = |row: &Vec<String>| row[4].parse::<f64>().unwrap();
    let flipped = |row: &Vec<String>| row[5].parse::<u64>().unwrap();
    for row in r.iter().filter(|row| row[0] == "0e0") {
        assert_eq!(acc(row), eval_acc, "BER 0 is eval's accuracy");
        assert_eq!(flipped(row), 0);
    }
    // 1e-9 over 784 x 20 x 8 bits: no bit in error, the fault-free accuracy.
    for row in r.iter().filter(|row| row[0] == "1e-9") {
        assert_eq!((acc(row), flipped(row)), (eval_acc, 0));
    }
    // BER 0.2 on every bit: many flips, accuracy falls; MSB only flips fewer bits.
    let high: Vec<&Vec<String>> = r
        .iter()
        .filter(|row| row[0] == "2e-1" && row[1] == "uniform")
        .collect();
    for row in &high {
        assert!(flipped(row) > 0);
        if row[3] == "all" {
            assert!(acc(row) < eval_acc, "{row:?} vs {eval_acc}");
        }
    }
    let all: u64 = high
        .iter()
        .filter(|r| r[3] == "all")
        .map(|r| flipped(r))
        .sum();
    let msb: u64 = high
        .iter()
        .filter(|r| r[3] == "msb")
        .map(|r| flipped(r))
        .sum();
    assert!(msb > 0 && msb < all / 4, "msb {msb}, all {all}");
    let png = std::fs::read(d.join("tol.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The same fault seed gives the same row.
    let mut again = with_sets(vec![
        "tolerance",
        "--model",
        "m.h5",
        "--ber",
        "0.2",
        "--error-models",
        "uniform",
        "--fault-seeds",
        "1",
        "--out",
        "again.csv",
    ]);
    again.extend(["--set", "dram.fault_seed=1"]);
    let (code, o, e) = spikemem(&again, d);
    assert_eq!(code, 0, "{o}{e}");
    let a = rows(&d.join("again.csv"));
    assert_eq!(a.len(), 1);
    let same = r
        .iter()
        .find(|row| row[0] == "2e-1" && row[1] == "uniform" && row[2] == "1" && row[3] == "all")
        .unwrap();
    assert_eq!(&a[0], same);
}

#[test]
fn bad_arguments_exit_2_with_what_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, o, e) = spikemem(&with_sets(vec!["train", "--out", "m.h5"]), d);
    assert_eq!(code, 0, "{o}{e}");
    for (extra, want) in [
        (vec!["--bits", "9"], "past the weight's 8 bits"),
        (vec!["--error-models", "gaussian"], "accepted: uniform"),
        (vec!["--ber", "0.7"], "[0, 0.5]"),
        (vec!["--fault-seeds", "0"], "1 or more"),
        (
            vec!["--set", "system.weights_in=\"sram\""],
            "weights are on chip",
        ),
    ] {
        let mut args = with_sets(vec!["tolerance", "--model", "m.h5"]);
        args.extend(extra.iter().copied());
        let (code, _, e) = spikemem(&args, d);
        assert_eq!(code, 2, "{extra:?}: {e}");
        assert!(e.contains(want), "{extra:?}: {e}");
    }
}
