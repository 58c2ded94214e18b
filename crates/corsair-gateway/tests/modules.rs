//! The crate's modules form a graph whose arrows all point one way (ARCHITECTURE.md, gateway):
//! `server` on top, imported by nothing; `body` a leaf; no cycle anywhere. Read from the source:
//! every `crate::name` path outside comments, in every file under `src/` (tests beside the code
//! included), is an arrow from the file's top-level module to `name`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file under `src/` belongs to (`lib` for `lib.rs`).
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a file has a name").as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The top-level modules `text` names through `crate::`, comments left out.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            // `corsair_crate::x` is not this crate; `$crate::` (macros) is.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c, d::{e, f}}`: the first name of each top-level item.
                let mut depth = 0;
                let mut item = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item = true,
                        c if item && (c.is_alphabetic() || c == '_') => {
                            found.insert(ident(&group[i..]));
                            item = false;
                        }
                        _ => {}
                    }
                }
            } else {
                found.insert(ident(rest));
            }
        }
    }
    found
}

fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = module_of(path.strip_prefix(&src).unwrap());
                let text = std::fs::read_to_string(&path).unwrap();
                let edges = graph.entry(module.clone()).or_default();
                edges.extend(uses(&text).into_iter().filter(|m| *m != module && !m.is_empty()));
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_reader_sees_every_form_of_path() {
    let text = "use crate::a::B;\nuse crate::{c, d::{E, F}, g::*};\n// crate::comment\nlet x = crate::h::f();\n\
                let y = corsair_crate::z;";
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(found, ["a", "c", "d", "g", "h"]);

    let mut with_cycle = Graph::new();
    with_cycle.entry("a".into()).or_default().insert("b".into());
    with_cycle.entry("b".into()).or_default().insert("c".into());
    with_cycle.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&with_cycle).unwrap(), ["a", "b", "c", "a"]);
    with_cycle.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&with_cycle), None);
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
