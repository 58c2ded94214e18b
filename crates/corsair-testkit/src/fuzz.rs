//! Fuzz bodies on stable, over a fixed corpus: a target's seed files, hostile inputs, and 10,000
//! pseudo-random inputs from a fixed seed (random bytes, fragments strung together, and seeds
//! mutated with fragments). `cargo fuzz` explores far more; this keeps every body exercised by
//! `cargo test`, the same way on every machine.

use std::path::Path;

/// Pseudo-random inputs per target.
pub const RANDOM_INPUTS: usize = 10_000;

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

/// The seed files of one target (`dir`), sorted by name; panics if there are none.
pub fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// Inputs built to be expensive or odd for any text parser: floods of separators, overlong
/// values, deep nesting, every byte.
pub fn hostile() -> Vec<Vec<u8>> {
    vec![
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
    ]
}

fn random_input(rng: &mut Rng, seeds: &[Vec<u8>], fragments: &[&[u8]]) -> Vec<u8> {
    match rng.below(4) {
        // Random bytes.
        0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        // Fragments strung together.
        1 => (0..1 + rng.below(12)).flat_map(|_| rng.pick(fragments).to_vec()).collect(),
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
                        let fragment = rng.pick(fragments);
                        input.splice(at..at, fragment.iter().copied());
                    }
                    _ => input.truncate(at),
                }
            }
            input
        }
    }
}

/// Runs `run` on the seeds in `seed_dir`, on `extra` and [`hostile`] inputs, then on
/// [`RANDOM_INPUTS`] inputs drawn from `seed` with `fragments` (pieces of the format that let
/// random edits reach deep branches).
pub fn exercise(seed_dir: &Path, fragments: &[&[u8]], extra: Vec<Vec<u8>>, seed: u64, run: fn(&[u8])) {
    exercise_n(seed_dir, fragments, extra, seed, RANDOM_INPUTS, run);
}

/// [`exercise`] with `random` pseudo-random inputs instead of [`RANDOM_INPUTS`], for bodies
/// that cost milliseconds per input (those that go through sockets).
pub fn exercise_n(seed_dir: &Path, fragments: &[&[u8]], extra: Vec<Vec<u8>>, seed: u64, random: usize, run: fn(&[u8])) {
    let seeds = seeds(seed_dir);
    let mut count = 0;
    for input in seeds.iter().chain(&hostile()).chain(&extra) {
        run(input);
        count += 1;
    }
    let mut rng = Rng(seed);
    for _ in 0..random {
        let input = random_input(&mut rng, &seeds, fragments);
        run(&input);
        count += 1;
    }
    assert!(count > random);
}
