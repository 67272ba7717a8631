//! `spikemem sweep` end to end: points as processes, results table, resume, shards, and
//! bad sweep files.

mod common;
use common::{json as read_json, spikemem};
use std::path::Path;

const DRAM_SWEEP: &str = r#"
command = "dram"
set = ["dram.refresh=false"]
args = ["--synthetic", "random", "--requests", "3000"]
[axes.dram]
standard = ["DDR3-1600", "DDR4-2400"]
row_policy = ["open", "closed"]
"#;

fn rows(csv: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(csv)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn dram_sweep_runs_every_point_once_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), DRAM_SWEEP).unwrap();
    let (code, o, e) = spikemem(&["sweep", "s.toml", "--out", "out", "-j", "2"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("4 of 4 points done"), "{o}");
    let t = rows(&dir.path().join("out/results.csv"));
    assert_eq!(t.len(), 5);
    assert_eq!(t[0][..3], ["point", "dram.row_policy", "dram.standard"]);
    // Grid order: the last key varies fastest.
    let pts: Vec<(&str, &str)> = t[1..]
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        pts,
        [
            ("open", "DDR3-1600"),
            ("open", "DDR4-2400"),
            ("closed", "DDR3-1600"),
            ("closed", "DDR4-2400")
        ]
    );
    // A point is exactly the dram run with its overrides.
    let (code, o, e) = spikemem(
        &[
            "dram",
            "--set",
            "dram.refresh=false",
            "--set",
            "dram.row_policy=\"closed\"",
            "--set",
            "dram.standard=\"DDR4-2400\"",
            "--synthetic",
            "random",
            "--requests",
            "3000",
            "--out",
            "direct.json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    let direct = read_json(&dir.path().join("direct.json"));
    let p3 = read_json(&dir.path().join("out/p0003/stats.json"));
    assert_eq!(direct["cycles"], p3["cycles"]);
    assert_eq!(direct["energy_pj"], p3["energy_pj"]);
    let col = t[0].iter().position(|h| h == "result.cycles").unwrap();
    assert_eq!(t[4][col], p3["cycles"].to_string());

    // A rerun does nothing but collect.
    let stamp = std::fs::metadata(dir.path().join("out/p0000/stats.json"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, o, e) = spikemem(&["sweep", "s.toml", "--out", "out"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("4 already done, running 0"), "{e}");
    let again = std::fs::metadata(dir.path().join("out/p0000/stats.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(stamp, again);

    // Another sweep into the same directory is refused, naming the point.
    std::fs::write(
        dir.path().join("s.toml"),
        DRAM_SWEEP.replace("\"DDR3-1600\", ", "\"LPDDR3-1600\", "),
    )
    .unwrap();
    let (code, _, e) = spikemem(&["sweep", "s.toml", "--out", "out"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("p0000") && e.contains("another point"), "{e}");
}

#[test]
fn shards_split_the_points() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), DRAM_SWEEP).unwrap();
    let (code, o, e) = spikemem(
        &["sweep", "s.toml", "--out", "o", "--shard", "1/2"],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    let t = rows(&dir.path().join("o/results.csv"));
    let pts: Vec<&str> = t[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(pts, ["1", "3"]);
    let (code, o, e) = spikemem(
        &["sweep", "s.toml", "--out", "o", "--shard", "0/2"],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    assert_eq!(rows(&dir.path().join("o/results.csv")).len(), 5);
    let (code, _, e) = spikemem(&["sweep", "s.toml", "--shard", "2/2"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("--shard 2/2"), "{e}");
}

#[test]
fn bad_sweep_is_named_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "command = \"dram\"\n[axes.dram]\nrow_policy = [\"open\", \"shut\"]\n",
    )
    .unwrap();
    let (code, _, e) = spikemem(&["sweep", "bad.toml", "--out", "o"], dir.path());
    assert_eq!(code, 2);
    assert!(
        e.contains("bad.toml") && e.contains("point 1") && e.contains("row_policy"),
        "{e}"
    );
    assert!(!dir.path().join("o").exists(), "nothing ran");
    let (code, _, e) = spikemem(&["sweep", "missing.toml"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("missing.toml"), "{e}");
}

#[test]
fn run_sweep_reports_accuracy_per_point() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("v.toml"),
        "set = [\"data.train_samples=200\", \"data.test_samples=20\", \"dram.standard=\\\"DDR3L-1600\\\"\"]\n\
         [axes]\n\"dram.vdd\" = [1.35, 1.025]\n",
    )
    .unwrap();
    let (code, o, e) = spikemem(&["sweep", "v.toml", "--out", "o"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    let t = rows(&dir.path().join("o/results.csv"));
    assert_eq!(t.len(), 3);
    let acc = t[0].iter().position(|h| h == "result.accuracy").unwrap();
    let e_dram = t[0]
        .iter()
        .position(|h| h == "result.dram.energy_pj")
        .unwrap();
    for r in &t[1..] {
        let a: f64 = r[acc].parse().unwrap();
        assert!((0.0..=1.0).contains(&a));
    }
    // Lower voltage, less DRAM energy; each point kept its trace.
    let e0: f64 = t[1][e_dram].parse().unwrap();
    let e1: f64 = t[2][e_dram].parse().unwrap();
    assert!(e1 < e0, "{e1} vs {e0}");
    assert!(dir.path().join("o/p0001/trace.h5").exists());
    // Both points train the same network: it was trained once and both loaded it.
    let model = dir.path().join("o/models/m00.h5");
    assert!(model.exists());
    let src = t[0]
        .iter()
        .position(|h| h == "result.model.source")
        .unwrap();
    for r in &t[1..] {
        assert!(r[src].ends_with("o/models/m00.h5"), "{}", r[src]);
    }
    // The same sweep with every point training its own network gives the same results.
    let text = std::fs::read_to_string(dir.path().join("v.toml")).unwrap();
    std::fs::write(
        dir.path().join("own.toml"),
        format!("share_model = false\n{text}"),
    )
    .unwrap();
    let (code, o, e) = spikemem(&["sweep", "own.toml", "--out", "own"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    assert!(!dir.path().join("own/models").exists());
    let u = rows(&dir.path().join("own/results.csv"));
    let col = |name: &str| u[0].iter().position(|h| h == name).unwrap();
    let (u_acc, u_e) = (col("result.accuracy"), col("result.dram.energy_pj"));
    assert_eq!(u.len(), 3);
    for (a, b) in t[1..].iter().zip(&u[1..]) {
        assert_eq!(a[acc], b[u_acc]);
        assert_eq!(a[e_dram], b[u_e]);
    }
    // A rerun keeps the trained model and the finished points.
    let before = std::fs::metadata(&model).unwrap().modified().unwrap();
    let (code, o, e) = spikemem(&["sweep", "v.toml", "--out", "o"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("2 already done"), "{e}");
    assert_eq!(
        std::fs::metadata(&model).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn a_shared_model_that_cannot_train_fails_its_points_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // The file exists (the up-front check looks no further), but is no IDX file.
    std::fs::write(dir.path().join("missing-images.idx"), b"not an IDX file").unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "set = [\"data.train_images=\\\"missing-images.idx\\\"\", \"data.train_samples=50\"]\n\
         [axes]\n\"dram.vdd\" = [1.2, 1.1]\n",
    )
    .unwrap();
    let (code, o, e) = spikemem(&["sweep", "s.toml", "--out", "o", "-j", "1"], dir.path());
    // A failed run (exit 1), not bad input: the config is valid, the data unreadable.
    assert_eq!(code, 1, "{o}{e}");
    assert!(e.contains("shared model m00.h5 failed to train"), "{e}");
    assert!(e.contains("2 of 2 points failed"), "{e}");
    assert!(
        e.contains("did not train (see") && e.contains("m00.log"),
        "{e}"
    );
    let log = std::fs::read_to_string(dir.path().join("o/models/m00.log")).unwrap();
    assert!(log.contains("missing-images.idx"), "{log}");
    // No model file, not even a partial one, is left to be taken for a trained model.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("o/models"))
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".h5"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_dram_voltage_outside_its_table_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("v.toml"),
        "command = \"dram\"\nset = [\"dram.standard=DDR3L-1600\"]\nargs = [\"--requests\", \"100\"]\n[axes]\n\"dram.vdd\" = [1.35, 0.6]\n",
    )
    .unwrap();
    let (code, _, e) = spikemem(&["sweep", "v.toml", "--out", "o"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("v.toml") && e.contains("point 1") && e.contains("dram.vdd=0.6"),
        "{e}"
    );
    assert!(!dir.path().join("o").exists(), "nothing ran");
}

#[test]
fn absurd_grids_are_refused_and_large_ones_stay_lazy() {
    let dir = tempfile::tempdir().unwrap();
    let axis = |n: usize| {
        let v: Vec<String> = (0..n).map(|k| k.to_string()).collect();
        format!("[{}]", v.join(", "))
    };
    // 10^7 points: refused at once, naming the file and the count.
    std::fs::write(
        dir.path().join("huge.toml"),
        format!(
            "command = \"dram\"\n[axes]\n\"dram.fault_seed\" = {}\n\"snn.seed\" = {}\n",
            axis(10_000),
            axis(1_000)
        ),
    )
    .unwrap();
    let (code, _, e) = spikemem(&["sweep", "huge.toml", "--dry-run"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("huge.toml") && e.contains("10000000 points"),
        "{e}"
    );
    // 10^6 points: checked and sharded without expanding the grid; --dry-run prints
    // this shard's two points, the last one computed from its index.
    std::fs::write(
        dir.path().join("big.toml"),
        format!(
            "command = \"dram\"\n[axes]\n\"dram.fault_seed\" = {}\n\"snn.seed\" = {}\n",
            axis(1_000),
            axis(1_000)
        ),
    )
    .unwrap();
    let (code, o, e) = spikemem(
        &["sweep", "big.toml", "--dry-run", "--shard", "499999/500000"],
        dir.path(),
    );
    assert_eq!(code, 0, "{e}");
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 2, "{o}");
    assert!(
        lines[1].starts_with("p999999:")
            && lines[1].contains("dram.fault_seed=999")
            && lines[1].contains("snn.seed=999"),
        "{o}"
    );
}

#[test]
fn results_are_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "command = \"dram\"\nargs = [\"--synthetic\", \"random\", \"--requests\", \"200\"]\n[axes]\n\"dram.row_policy\" = [\"open\", \"closed\"]\n",
    )
    .unwrap();
    let (code, o, e) = spikemem(&["sweep", "s.toml", "--out", "o", "-j", "1"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    let (code, o, e) = spikemem(&["sweep", "s.toml", "--out", "o", "--collect"], dir.path());
    assert_eq!(code, 0, "{o}{e}");
    // No temporary file is left beside the results or the points.
    for d in ["o", "o/p0000", "o/p0001"] {
        for f in std::fs::read_dir(dir.path().join(d)).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{d}/{name}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("o/results.csv"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}
