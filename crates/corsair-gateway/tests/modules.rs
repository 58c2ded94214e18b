//! The gateway's modules form a graph whose arrows all point one way (ARCHITECTURE.md, gateway):
//! `server` on top, imported by nothing; `body` a leaf; no cycle anywhere (read from the source
//! by `corsair_testkit::modules`).

use std::collections::BTreeSet;
use std::path::Path;

use corsair_testkit::modules::{cycle, Graph};

fn graph() -> Graph {
    corsair_testkit::modules::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_module_cycles() {
    let graph = graph();
    assert!(graph.len() > 10, "the source was read: {graph:?}");
    if let Some(cycle) = cycle(&graph) {
        panic!("a module cycle: {}\n(the graph: {graph:#?})", cycle.join(" -> "));
    }
}

#[test]
fn server_is_the_top_and_body_a_leaf() {
    let graph = graph();
    let importers: Vec<&String> =
        graph.iter().filter(|(m, edges)| *m != "lib" && edges.contains("server")).map(|(m, _)| m).collect();
    assert!(importers.is_empty(), "server is imported by {importers:?}");
    assert_eq!(graph["body"], BTreeSet::new(), "body imports nothing of the crate");
}
