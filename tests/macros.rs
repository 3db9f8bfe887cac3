//! `berthtest!` and `eqnice!`: a test body is the scenario and its expected
//! output, nothing else.

/// `berthtest!(name, |env| { ... })`: a `#[test]` with a fresh [`TestEnv`]
/// (its own `--root` in a temp dir, removed afterwards).
///
/// [`TestEnv`]: crate::util::TestEnv
macro_rules! berthtest {
    ($name:ident, |$env:ident| $body:block) => {
        #[test]
        fn $name() {
            #[allow(unused_mut)]
            let mut $env = $crate::util::TestEnv::new(stringify!($name));
            $body
        }
    };
}

/// `eqnice!(expected, got)`: like `assert_eq!` for text, but prints both
/// sides whole and a line diff, so a failure in a 40-line table is readable.
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {
        eqnice!($expected, $got, "")
    };
    ($expected:expr, $got:expr, $($ctx:tt)+) => {{
        let expected: &str = &$expected;
        let got: &str = &$got;
        if expected != got {
            panic!(
                "\n{}\n{}",
                format!($($ctx)+),
                $crate::util::text_diff(expected, got)
            );
        }
    }};
}
