//! `spikemem select` end to end: a hand-made results table, the files it writes, and
//! the exit code 2 on bad input.

mod common;
use common::{json as read_json, spikemem};

/// The table of sim/select.rs's unit tests (worked by hand there): with accuracy >= 0.88
/// the front is rows {1, 3, 4, 5} and the least-energy point meeting it is row 4.
const TABLE: &str = "point,x,result.accuracy,result.weight_memory_bits,result.dram.energy_pj\n\
0,a,0.90,100,50\n\
1,b,0.95,200,80\n\
2,c,0.90,100,60\n\
3,d,0.85,50,40\n\
4,e,0.92,100,50\n\
5,f,0.92,100,50\n\
6,g,,100,10\n\
7,h,0.80,300,90\n";

#[test]
fn select_writes_choice_front_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("results.csv"), TABLE).unwrap();
    let (code, o, e) = spikemem(
        &[
            "select",
            "results.csv",
            "--min-accuracy",
            "0.88",
            "--out",
            "chosen.json",
            "--plot",
            "pareto.png",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    let j = read_json(&dir.path().join("chosen.json"));
    assert_eq!(j["point"], 4, "{j}");
    assert_eq!(j["front"], serde_json::json!([1, 3, 4, 5]));
    assert_eq!(j["row"]["x"], "e");
    assert_eq!(j["values"]["energy"], 50.0);
    assert_eq!(j["skipped"], serde_json::json!([6]));
    assert_eq!(j["objective"]["key"], "result.dram.energy_pj");
    let front = std::fs::read_to_string(dir.path().join("chosen.front.csv")).unwrap();
    assert_eq!(front.lines().count(), 5, "{front}");
    let png = std::fs::read(dir.path().join("pareto.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(o.contains("<- chosen"), "{o}");
    assert!(o.contains("chosen: row 4 (point 4)"), "{o}");
    assert!(o.contains("skipped 1 of 8 rows"), "{o}");
    // An objective of the user's: the most accurate point meeting the constraints.
    let (code, o, e) = spikemem(
        &[
            "select",
            "results.csv",
            "--min-accuracy",
            "0.88",
            "--objective",
            "max:result.accuracy",
            "--out",
            "acc.json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    assert_eq!(read_json(&dir.path().join("acc.json"))["point"], 1);
}

#[test]
fn bad_inputs_exit_2_naming_the_file_or_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("results.csv"), TABLE).unwrap();
    let (code, o, e) = spikemem(
        &[
            "select",
            "results.csv",
            "--min-accuracy",
            "0.5",
            "--memory-key",
            "result.memory.footprint_bits",
            "--out",
            "chosen.json",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{o}{e}");
    assert!(
        e.contains("results.csv: no column 'result.memory.footprint_bits'")
            && e.contains("result.weight_memory_bits"),
        "{e}"
    );
    assert!(!dir.path().join("chosen.json").exists());
    let (code, _, e) = spikemem(
        &["select", "nothere.csv", "--min-accuracy", "0.5"],
        dir.path(),
    );
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("nothere.csv: no such file"), "{e}");
    let (code, _, e) = spikemem(
        &["select", "results.csv", "--min-accuracy", "0.99"],
        dir.path(),
    );
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("no row meets the constraints"), "{e}");
    assert!(e.contains("result.accuracy >= 0.99 eliminates 7"), "{e}");
    let (code, _, e) = spikemem(
        &[
            "select",
            "results.csv",
            "--min-accuracy",
            "0.5",
            "--plot",
            "missing-dir/p.png",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("missing-dir"), "{e}");
}
