//! The fuzz targets' bodies (`fuzz/bodies/*.rs`), run on stable over a fixed corpus: the seeds
//! in `fuzz/seeds/`, hostile inputs, and 10,000 pseudo-random inputs per target from a fixed
//! seed (random bytes, and seeds mutated with protocol fragments). `cargo fuzz` explores far
//! more; this keeps every body exercised by `cargo test`.

mod origin_header {
    include!("../fuzz/bodies/origin_header.rs");
}
mod header_list {
    include!("../fuzz/bodies/header_list.rs");
}
mod decide {
    include!("../fuzz/bodies/decide.rs");
}
mod policy_file {
    include!("../fuzz/bodies/policy_file.rs");
}

use std::path::Path;

const RANDOM_INPUTS: usize = 10_000;

/// xorshift64*: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fragments of the protocol, spliced into inputs so they reach deep branches.
const FRAGMENTS: &[&[u8]] = &[
    b"https://",
    b"http://",
    b"wss://",
    b"file://",
    b"*.",
    b":*",
    b"*",
    b"null",
    b"NULL",
    b"[::1]",
    b"[::ffff:7f00:1]",
    b"localhost",
    b"example.com",
    b"xn--bcher-kva",
    "bücher".as_bytes(),
    b"127.0.0.1",
    b"127.1",
    b"0x7f",
    b":443",
    b":80",
    b":0",
    b":65536",
    b"/",
    b"?",
    b"#",
    b"@",
    b"%",
    b",",
    b", ",
    b",,,,",
    b"\n",
    b"\t",
    b" ",
    b":",
    b";",
    b"content-type",
    b"authorization",
    b"x-a",
    b"PUT",
    b"patch",
    b"OPTIONS",
    b"GET, DELETE",
    b"true",
    b"text/plain",
    b"bytes=0-",
    b"sec-",
    b"proxy-",
    b"allow_origins = [",
    b"allow_methods = [",
    b"allow_credentials = true\n",
    b"[profiles.a]\n",
    b"[profiles.a.profiles.b]\n",
    b"max_age = ",
    b"\"",
    b"]",
    b"\n",
    b"=",
    b"refusal = \"reject-all\"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r\n",
];

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// Inputs built to be expensive or odd: floods of separators, overlong values, deep nesting.
fn hostile(target: &str) -> Vec<Vec<u8>> {
    let mut out = vec![
        Vec::new(),
        vec![b','; 1 << 20],
        vec![b'\n'; 10_000],
        vec![b'a'; 100_000],
        [b"https://".as_slice(), &vec![b'a'; 600]].concat(),
        b"https://a.example\n".repeat(1000),
        [b"allow_origins = ".as_slice(), &vec![b'['; 5000]].concat(),
        [b"a = ".as_slice(), &b"{ b = ".repeat(2000)].concat(),
        b"max_age = 99999999999999999999999\n".to_vec(),
        (0..=255u8).collect(),
    ];
    if target == "decide" {
        // Control bytes for every policy and method, with floods in each position.
        for control in [0u8, 4, 5, 6, 7, 12, 20, 31] {
            out.push([&[control][..], b"https://app.example.com\nPUT\n", &vec![b','; 1 << 16]].concat());
            out.push([&[control][..], b"https://app.example.com\nPUT\n", &b"x-a\n".repeat(2000)].concat());
            out.push([&[control][..], &vec![b'a'; 5000]].concat());
        }
    }
    out
}

fn random_input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(4) {
        // Random bytes.
        0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        // Fragments strung together.
        1 => (0..1 + rng.below(12)).flat_map(|_| rng.pick(FRAGMENTS).to_vec()).collect(),
        // A seed with a few edits.
        _ => {
            let mut input = rng.pick(seeds).clone();
            for _ in 0..1 + rng.below(4) {
                let at = if input.is_empty() { 0 } else { rng.below(input.len() + 1) };
                match rng.below(4) {
                    0 if at < input.len() => input[at] = rng.next() as u8,
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    2 => {
                        let fragment = rng.pick(FRAGMENTS);
                        input.splice(at..at, fragment.iter().copied());
                    }
                    _ => input.truncate(at),
                }
            }
            input
        }
    }
}

fn exercise(target: &str, seed: u64, run: fn(&[u8])) {
    let seeds = seeds(target);
    let mut count = 0;
    for input in seeds.iter().chain(&hostile(target)) {
        run(input);
        count += 1;
    }
    let mut rng = Rng(seed);
    for _ in 0..RANDOM_INPUTS {
        let input = random_input(&mut rng, &seeds);
        run(&input);
        count += 1;
    }
    assert!(count > RANDOM_INPUTS);
}

#[test]
fn origin_header_body() {
    exercise("origin_header", 0x0123_4567_89ab_cdef, origin_header::run);
}

#[test]
fn header_list_body() {
    exercise("header_list", 0xfeed_face_cafe_beef, header_list::run);
}

#[test]
fn decide_body() {
    exercise("decide", 0x5eed_0000_0000_0001, decide::run);
}

#[test]
fn policy_file_body() {
    exercise("policy_file", 0x0dd_ba11_c0ff_ee00, policy_file::run);
}
