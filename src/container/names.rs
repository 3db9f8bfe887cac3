//! Generated container names, adjective_noun as Docker makes them, so a
//! container started without `--name` can still be named in a command.

const ADJECTIVES: &[&str] = &[
    "admiring",
    "bold",
    "brave",
    "busy",
    "calm",
    "clever",
    "cool",
    "crisp",
    "dazzling",
    "eager",
    "elastic",
    "epic",
    "fervent",
    "festive",
    "focused",
    "gallant",
    "gentle",
    "happy",
    "hardcore",
    "hopeful",
    "jolly",
    "keen",
    "kind",
    "laughing",
    "lucid",
    "magical",
    "modest",
    "nifty",
    "nimble",
    "optimistic",
    "peaceful",
    "practical",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "silly",
    "stoic",
    "sweet",
    "tender",
    "trusting",
    "upbeat",
    "vibrant",
    "vigilant",
    "wizardly",
    "youthful",
    "zealous",
    "zen",
];

const NOUNS: &[&str] = &[
    "albattani",
    "archimedes",
    "babbage",
    "bell",
    "boole",
    "carson",
    "curie",
    "darwin",
    "dijkstra",
    "einstein",
    "euclid",
    "euler",
    "fermat",
    "feynman",
    "galileo",
    "gauss",
    "goodall",
    "hamilton",
    "hawking",
    "hopper",
    "hypatia",
    "johnson",
    "kepler",
    "knuth",
    "lamarr",
    "leakey",
    "lovelace",
    "mayer",
    "mccarthy",
    "meitner",
    "morse",
    "newton",
    "noether",
    "pascal",
    "pasteur",
    "perlman",
    "ritchie",
    "shannon",
    "sinoussi",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "volhard",
    "wilson",
    "wozniak",
    "wright",
    "yalow",
];

/// The `n`th candidate name for a container whose random id is `id` (hex):
/// the first from its first bytes, later ones from further bytes, and past
/// those the first with a number, so a free one is always found.
pub fn candidate(id: &str, n: usize) -> String {
    let byte = |i: usize| {
        let i = i % (id.len() / 2).max(1);
        id.get(2 * i..2 * i + 2)
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    let pick = |k: usize| {
        format!(
            "{}_{}",
            ADJECTIVES[byte(2 * k) % ADJECTIVES.len()],
            NOUNS[byte(2 * k + 1) % NOUNS.len()]
        )
    };
    if n < 8 {
        pick(n)
    } else {
        format!("{}{}", pick(0), n - 7)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_adjective_underscore_noun() {
        let id = "00".repeat(32);
        assert_eq!(candidate(&id, 0), "admiring_albattani");
        let n = candidate("ff01", 0);
        let (a, b) = n.split_once('_').unwrap();
        assert!(ADJECTIVES.contains(&a) && NOUNS.contains(&b), "{n}");
    }

    #[test]
    fn later_candidates_differ_and_never_run_out() {
        let id = "0102030405060708090a0b0c0d0e0f10";
        assert_ne!(candidate(id, 0), candidate(id, 1));
        assert_eq!(candidate(id, 8), format!("{}1", candidate(id, 0)));
    }
}
