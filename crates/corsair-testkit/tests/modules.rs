//! No crate of the workspace has a module cycle: each crate's top-level modules, read from its
//! source by `corsair_testkit::modules`, form a graph whose arrows point one way. Test modules
//! are left out (a test may import what it checks); corsair-gateway's own test holds its tests
//! to the stricter rule too.

use std::path::Path;

use corsair_testkit::modules::{cycle, shipped_graph};

#[test]
fn no_crate_has_a_module_cycle() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = shipped_graph(&src);
        if let Some(cycle) = cycle(&graph) {
            panic!("a module cycle in {}: {}", src.display(), cycle.join(" -> "));
        }
        checked.push(src.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned());
    }
    checked.sort();
    for name in ["corsair", "corsair-core", "corsair-gateway", "corsair-tower", "corsair-testkit"] {
        assert!(checked.iter().any(|c| c == name), "{name} was read: {checked:?}");
    }
}
