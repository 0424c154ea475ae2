//! An end-to-end test with a real editor: a headless Neovim, as an LSP
//! client of `querylint server`, opens a file and receives its
//! diagnostics. `.ci/run` installs Neovim (Debian's, 0.7); elsewhere the
//! test says it is skipped when `nvim` is missing, unless
//! `QUERYLINT_REQUIRE_NVIM=1` makes that a failure.

use std::path::Path;
use std::process::Command;

mod common;

#[test]
fn neovim_receives_the_diagnostics_of_a_fixture() {
    let has_nvim = Command::new("nvim").arg("--version").output().is_ok();
    if !has_nvim {
        assert!(
            std::env::var("QUERYLINT_REQUIRE_NVIM").is_err(),
            "nvim is not installed, and QUERYLINT_REQUIRE_NVIM asks for it"
        );
        eprintln!("skipped: nvim is not installed");
        return;
    }
    let fixture = common::fixtures_dir().join("null-comparison/bad.sql");
    let dir = common::tree(&[("queries/bad.sql", &std::fs::read(&fixture).unwrap())]);
    let file = dir.path().join("queries/bad.sql");
    let out = dir.path().join("report.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim/client.lua");
    let status = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("QUERYLINT_BIN", env!("CARGO_BIN_EXE_querylint"))
        .env("QUERYLINT_FILE", &file)
        .env("QUERYLINT_OUT", &out)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .current_dir(dir.path())
        .status()
        .expect("nvim runs");
    assert!(status.success(), "nvim exited with {status}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("the client wrote its report")).unwrap();
    assert_eq!(report["ok"], true, "no diagnostics within 20 s: {report}");
    // The fixture's expectations, as Neovim shows them (0-based lines).
    let text = std::fs::read_to_string(&fixture).unwrap();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| {
            text.lines()
                .nth(i + 1)
                .is_some_and(|next| next.contains("expect:") && next.contains("null-comparison"))
        })
        .map(|(i, _)| i as u64)
        .collect();
    let shown: Vec<u64> = report["shown"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "null-comparison")
        .map(|d| d["lnum"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, expected, "{report}");
    // `= NULL` on the first line is at character 38.
    let first = &report["shown"][0];
    assert_eq!(first["source"], "querylint");
    assert_eq!(
        (first["col"].as_u64(), first["end_col"].as_u64()),
        (Some(38), Some(44))
    );
}
