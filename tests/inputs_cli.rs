//! Bad or oversized SNN inputs through the CLI (issue 20): model files, network sizes,
//! IDX files. Each ends with exit 2 and a message naming the file or key, never with an
//! abort or a hang.

mod common;
use common::spikemem;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// IDX3 images (all pixels `v`) and IDX1 labels (0..9 cycling).
fn write_idx(dir: &Path, stem: &str, n: usize, rows: usize, cols: usize) {
    let mut im = vec![0u8, 0, 8, 3];
    for d in [n, rows, cols] {
        im.extend_from_slice(&(d as u32).to_be_bytes());
    }
    im.extend((0..n * rows * cols).map(|k| (k * 7 % 256) as u8));
    let mut lb = vec![0u8, 0, 8, 1];
    lb.extend_from_slice(&(n as u32).to_be_bytes());
    lb.extend((0..n).map(|k| (k % 10) as u8));
    std::fs::write(dir.join(format!("{stem}-images")), im).unwrap();
    std::fs::write(dir.join(format!("{stem}-labels")), lb).unwrap();
}

#[test]
fn train_and_test_images_of_different_sizes_name_both_files() {
    let d = tempfile::tempdir().unwrap();
    write_idx(d.path(), "tr", 4, 28, 28);
    write_idx(d.path(), "te", 3, 20, 20);
    let data = [
        "--set",
        "data.train_images=tr-images",
        "--set",
        "data.train_labels=tr-labels",
        "--set",
        "data.test_images=te-images",
        "--set",
        "data.test_labels=te-labels",
        "--set",
        "snn.n_excitatory=5",
    ];
    for cmd in [
        &["train", "--out", "m.h5"][..],
        &["run", "--out", "t.h5"][..],
    ] {
        let args: Vec<&str> = cmd.iter().chain(&data).copied().collect();
        let (code, o, e) = spikemem(&args, d.path());
        assert_eq!(code, 2, "{cmd:?}: {o}{e}");
        assert!(
            e.contains("tr-images") && e.contains("te-images"),
            "{cmd:?}: both files named: {e}"
        );
        assert!(e.contains("28x28") && e.contains("20x20"), "{cmd:?}: {e}");
    }
    // Images and labels of different counts: both files and both shapes.
    write_idx(d.path(), "te2", 3, 28, 28);
    std::fs::copy(d.path().join("tr-labels"), d.path().join("te2-labels")).unwrap();
    let (code, _, e) = spikemem(
        &[
            "train",
            "--out",
            "m.h5",
            "--set",
            "data.test_images=te2-images",
            "--set",
            "data.test_labels=te2-labels",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("te2-images") && e.contains("te2-labels") && e.contains("[3, 28, 28]"),
        "{e}"
    );
}

/// Train a tiny model into `dir/m.h5`.
fn tiny_model(dir: &Path) {
    let (code, o, e) = spikemem(
        &[
            "train",
            "--out",
            "m.h5",
            "--set",
            "snn.n_excitatory=5",
            "--set",
            "data.train_samples=3",
            "--set",
            "data.test_samples=3",
        ],
        dir,
    );
    assert_eq!(code, 0, "{o}{e}");
}

#[test]
fn bad_model_files_are_refused_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    tiny_model(d.path());
    // NaN threshold, then a huge declared label shape, then an attribute that disagrees
    // with the network description: each refused by eval and by run.
    type Corrupt = fn(&hdf5::File);
    let corruptions: [(&str, Corrupt); 3] = [
        ("theta_mv", |f| {
            let ds = f.dataset("populations/exc/theta_mv").unwrap();
            let mut t: Vec<f32> = ds.read_raw().unwrap();
            t[2] = f32::NAN;
            ds.write_raw(&t).unwrap();
        }),
        ("labels", |f| {
            f.unlink("labels").unwrap();
            f.new_dataset::<i16>()
                .chunk(4096)
                .shape([1usize << 41])
                .create("labels")
                .unwrap();
        }),
        ("input_exc/post_size", |f| {
            let g = f.group("projections/input_exc").unwrap();
            g.attr("post_size").unwrap().write_scalar(&6u64).unwrap();
        }),
    ];
    for (what, corrupt) in corruptions {
        let good = d.path().join("m.h5");
        let bad = d.path().join("bad.h5");
        std::fs::copy(&good, &bad).unwrap();
        corrupt(&hdf5::File::open_rw(&bad).unwrap());
        for args in [
            &["eval", "--model", "bad.h5", "--set", "data.test_samples=2"][..],
            &[
                "run",
                "--set",
                "system.model=bad.h5",
                "--set",
                "data.test_samples=2",
                "--out",
                "t.h5",
            ][..],
        ] {
            let (code, o, e) = spikemem(args, d.path());
            assert_eq!(code, 2, "{what} {args:?}: {o}{e}");
            assert!(e.contains("bad.h5") && e.contains(what), "{what}: {e}");
        }
    }
}

/// Wait for `child` at most `limit`; None if it is still running (then it is killed).
fn wait_at_most(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().ok();
    child.wait().ok();
    None
}

#[test]
fn the_largest_network_is_refused_or_runs_but_never_aborts() {
    let d = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--set",
        "snn.n_excitatory=100000",
        "--set",
        "data.train_samples=1",
        "--set",
        "data.test_samples=1",
        "--out",
        "t.h5",
    ];
    // Where it does not fit (a limit as a batch scheduler would set it): exit 2 at once,
    // with the estimate, the limit and the keys.
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_spikemem"))
        .args(args)
        .current_dir(d.path())
        .env("SPIKEMEM_MEMORY_LIMIT_BYTES", "1000000000")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(
        e.contains("snn.n_excitatory = 100000")
            && e.contains("GiB")
            && e.contains("SPIKEMEM_MEMORY_LIMIT_BYTES")
            && e.contains("up to about"),
        "{e}"
    );
    // On this machine: refused (exit 2) or running; never an abort. Whatever is still
    // running after 20 s has allocated its network and is simulating.
    let mut child = Command::new(env!("CARGO_BIN_EXE_spikemem"))
        .args(args)
        .current_dir(d.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(s) = wait_at_most(&mut child, Duration::from_secs(20)) {
        assert!(matches!(s.code(), Some(0) | Some(2)), "{s:?}");
    }
}
