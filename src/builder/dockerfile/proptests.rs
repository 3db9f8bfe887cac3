//! Arbitrary text through the parser, its checks and the typed
//! instructions: never a panic, only a `Dockerfile:LINE:` error or
//! instructions. The text is either any string
//! or lines made of the parser's own vocabulary (instructions, flags,
//! directives, heredocs, continuations, JSON forms), which reach deeper.
//! Word expansion has its own in expand.rs.

use super::check;
use super::instr;
use super::parser::parse;
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./=$-]{0,8}",
        Just("$A".to_string()),
        Just("${A:-x}".to_string()),
        Just("${A".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("`".to_string()),
        Just("[\"sh\", \"-c\"]".to_string()),
        Just("[\"a\",".to_string()),
        Just("<<EOF".to_string()),
        Just("<<-\"END\"".to_string()),
        Just("--mount=type=cache,target=/x".to_string()),
        Just("--from=0".to_string()),
        Just("--chown=1:1".to_string()),
        Just("--platform=$X".to_string()),
        Just("AS".to_string()),
        Just("é".to_string()),
        Just("\u{0}".to_string()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    let keyword = prop_oneof![
        Just("FROM"),
        Just("RUN"),
        Just("CMD"),
        Just("ENTRYPOINT"),
        Just("COPY"),
        Just("ADD"),
        Just("ENV"),
        Just("ARG"),
        Just("LABEL"),
        Just("USER"),
        Just("WORKDIR"),
        Just("EXPOSE"),
        Just("VOLUME"),
        Just("SHELL"),
        Just("HEALTHCHECK"),
        Just("ONBUILD"),
        Just("STOPSIGNAL"),
        Just("MAINTAINER"),
        Just("from"),
        Just("RUNN"),
        Just("#"),
        Just("# escape=`"),
        Just("# syntax=x"),
        Just("EOF"),
        Just("END"),
        Just(""),
    ];
    (
        keyword,
        proptest::collection::vec(word(), 0..5),
        prop_oneof![Just(""), Just(" \\"), Just(" `"), Just("\r")],
    )
        .prop_map(|(k, words, tail)| format!("{k} {}{tail}", words.join(" ")))
}

proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn any_text_parses_or_errs(text in any::<String>()) {
        if let Ok(df) = parse(&text) {
            let _ = check(&df);
        }
        // The typed instructions the executor gets (flags, mounts, forms).
        let _ = instr::parse(&text);
        let _ = instr::parse_fragment(&text);
    }

    #[test]
    fn dockerfile_shaped_text_parses_or_errs(
        lines in proptest::collection::vec(line(), 0..12),
        bom in any::<bool>(),
    ) {
        let text = format!("{}{}", if bom { "\u{feff}" } else { "" }, lines.join("\n"));
        if let Ok(df) = parse(&text) {
            let _ = check(&df);
        }
        // The typed instructions the executor gets (flags, mounts, forms).
        let _ = instr::parse(&text);
        let _ = instr::parse_fragment(&text);
    }
}
