//! A crate's module graph, read from its source, and the cycles in it: every crate of the
//! workspace keeps its arrows pointing one way (ARCHITECTURE.md), and a test proves it.
//!
//! Every `crate::name` path outside comments, in every file under `src/` (tests beside the code
//! included), is an arrow from the file's top-level module to `name`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of a crate and the top-level modules it names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file under `src/` belongs to (`lib` for `lib.rs`).
pub fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a file has a name").as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The top-level modules `text` names through `crate::`, comments left out.
pub fn uses(text: &str) -> BTreeSet<String> {
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

/// The identifier at the start of `text`.
fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The module graph of the crate whose `src/` is `src`, its test modules included (they may not
/// reach up either).
pub fn graph(src: &Path) -> Graph {
    read(src, true)
}

/// The module graph of the code a crate ships: test modules (`tests.rs` files, and an inline
/// `#[cfg(test)] mod ... { }` at the end of a file, where this workspace keeps them) left out,
/// since a test may import anything it checks.
pub fn shipped_graph(src: &Path) -> Graph {
    read(src, false)
}

/// `text` without an inline test module that runs to the end of the file.
fn without_test_module(text: &str) -> &str {
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let at = from + at;
        let next = text[at + "#[cfg(test)]".len()..].trim_start();
        if next.starts_with("mod ") && next.split('\n').next().is_some_and(|l| l.trim_end().ends_with('{')) {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

fn read(src: &Path, tests: bool) -> Graph {
    let src = src.to_path_buf();
    let mut graph = Graph::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if !tests && path.file_name().is_some_and(|n| n == "tests.rs") {
                    continue;
                }
                let module = module_of(path.strip_prefix(&src).unwrap());
                let text = std::fs::read_to_string(&path).unwrap();
                let text = if tests { text.as_str() } else { without_test_module(&text) };
                let edges = graph.entry(module.clone()).or_default();
                edges.extend(uses(text).into_iter().filter(|m| *m != module && !m.is_empty()));
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
pub fn cycle(graph: &Graph) -> Option<Vec<String>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn shipped_code_leaves_the_trailing_test_module_out() {
        let text = "use crate::a::X;\n#[cfg(test)]\nmod tests;\nuse crate::b::Y;\n#[cfg(test)]\nmod tests {\n    use crate::c::Z;\n}\n";
        let shipped: Vec<String> = uses(without_test_module(text)).into_iter().collect();
        assert_eq!(shipped, ["a", "b"]);
        let all: Vec<String> = uses(text).into_iter().collect();
        assert_eq!(all, ["a", "b", "c"]);
    }
}
