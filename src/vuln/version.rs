//! Version ordering as each ecosystem defines it: dpkg's (Debian), apk-tools'
//! (Alpine), PEP 440 (PyPI) and semver (crates.io, npm, Go). An OSV range is
//! only as right as the comparison behind it: `1.0~rc1` is older than `1.0`
//! for dpkg, `1.0_rc1` older than `1.0` for apk, `1.0.dev0` older than
//! `1.0a1` for PyPI, none of which string or numeric order gets.
//!
//! Versions come from images and databases, so nothing here panics: digit
//! runs of any length compare as digit strings, never as overflowing
//! integers, and a version an ordering cannot parse gives `None` (a range
//! then cannot say anything about it; only an exact `versions[]` entry can).

use std::cmp::Ordering;

/// Which ordering a version follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Dpkg,
    Apk,
    Pep440,
    Semver,
}

impl Scheme {
    /// `a` against `b`, or `None` when either is not a version of this scheme.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Dpkg => dpkg(a, b),
            Scheme::Apk => apk(a, b),
            Scheme::Pep440 => Some(Pep440::parse(a)?.cmp(&Pep440::parse(b)?)),
            Scheme::Semver => Some(Semver::parse(a)?.cmp(&Semver::parse(b)?)),
        }
    }
}

/// Two runs of ASCII digits as numbers of any size: leading zeros dropped,
/// then the longer is larger, else the first differing digit decides.
fn digits_cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

// ---- dpkg ----------------------------------------------------------------

/// dpkg's `[epoch:]upstream[-revision]` order (deb-version(7),
/// `lib/dpkg/version.c`).
fn dpkg(a: &str, b: &str) -> Option<Ordering> {
    let (ea, ua, ra) = dpkg_split(a)?;
    let (eb, ub, rb) = dpkg_split(b)?;
    Some(
        digits_cmp(ea, eb)
            .then_with(|| verrevcmp(ua, ub))
            .then_with(|| verrevcmp(ra, rb)),
    )
}

fn dpkg_split(v: &str) -> Option<(&str, &str, &str)> {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e, r),
        None => ("0", v),
    };
    if !epoch.bytes().all(|c| c.is_ascii_digit()) || epoch.is_empty() {
        return None;
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    // dpkg wants a leading digit but only warns; an empty one is no version.
    if upstream.is_empty() {
        return None;
    }
    Some((epoch, upstream, revision))
}

/// The weight of one non-digit character: `~` before everything (even the
/// end of the string), then the end, then letters, then everything else.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = dpkg_order(a.get(i).copied());
            let bc = dpkg_order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        // Both runs are ASCII digits, so the slices are valid UTF-8.
        let da = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let db = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let o = digits_cmp(da, db);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

// ---- apk -----------------------------------------------------------------

/// apk-tools' token kinds, in the order its comparison relies on (a version
/// that goes on with a token of a lower kind is the greater one).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tok {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// A token's value: a number (possibly huge, compared as digits), a
/// letter, or a suffix's rank (negative for pre-releases).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Val {
    /// Leading zeros after a dot: `1.01` < `1.1` (apk-tools counts them as
    /// a negative value).
    Zeros(std::cmp::Reverse<usize>),
    Num(Digits),
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Digits(String);

impl PartialOrd for Digits {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Digits {
    fn cmp(&self, o: &Self) -> Ordering {
        digits_cmp(&self.0, &o.0)
    }
}

/// A signed token value: suffix ranks are small negatives or non-negatives,
/// numbers are non-negative.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Signed {
    Neg(std::cmp::Reverse<i64>),
    Pos(Val),
}

fn zero() -> Signed {
    Signed::Pos(Val::Num(Digits(String::new())))
}

struct ApkLexer<'a> {
    s: &'a [u8],
    kind: Tok,
}

impl ApkLexer<'_> {
    fn next_kind(&mut self) {
        let prev = self.kind;
        let mut n = Tok::Invalid;
        match self.s.first() {
            None => n = Tok::End,
            Some(c) if matches!(prev, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() => {
                n = Tok::Letter
            }
            Some(c) if prev == Tok::Letter && c.is_ascii_digit() => n = Tok::Digit,
            Some(c) if prev == Tok::Suffix && c.is_ascii_digit() => n = Tok::SuffixNo,
            Some(c) => {
                match c {
                    b'.' => n = Tok::DigitOrZero,
                    b'_' => n = Tok::Suffix,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        n = Tok::RevisionNo;
                        self.s = &self.s[1..];
                    }
                    _ => {}
                }
                self.s = &self.s[1..];
            }
        }
        if n < prev
            && !((n == Tok::DigitOrZero && prev == Tok::Digit)
                || (n == Tok::Suffix && prev == Tok::SuffixNo)
                || (n == Tok::Digit && prev == Tok::Letter))
        {
            n = Tok::Invalid;
        }
        self.kind = n;
    }

    fn token(&mut self) -> Signed {
        const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
        const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];
        if self.s.is_empty() {
            self.kind = Tok::End;
            return zero();
        }
        let mut next = None;
        let (v, used) = match self.kind {
            Tok::DigitOrZero if self.s[0] == b'0' => {
                let z = self.s.iter().take_while(|c| **c == b'0').count();
                next = Some(Tok::Digit);
                (Signed::Pos(Val::Zeros(std::cmp::Reverse(z))), z)
            }
            Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => {
                let n = self.s.iter().take_while(|c| c.is_ascii_digit()).count();
                let d = String::from_utf8_lossy(&self.s[..n]).into_owned();
                (Signed::Pos(Val::Num(Digits(d))), n)
            }
            Tok::Letter => (Signed::Pos(Val::Num(Digits(format!("{}", self.s[0])))), 1),
            Tok::Suffix => {
                if let Some(k) = PRE.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    (
                        Signed::Neg(std::cmp::Reverse(PRE.len() as i64 - k as i64)),
                        PRE[k].len(),
                    )
                } else if let Some(k) = POST.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    (Signed::Pos(Val::Num(Digits(k.to_string()))), POST[k].len())
                } else {
                    self.kind = Tok::Invalid;
                    return Signed::Neg(std::cmp::Reverse(i64::MAX));
                }
            }
            _ => {
                self.kind = Tok::Invalid;
                return Signed::Neg(std::cmp::Reverse(i64::MAX));
            }
        };
        self.s = &self.s[used..];
        if self.s.is_empty() {
            self.kind = Tok::End;
        } else if let Some(n) = next {
            self.kind = n;
        } else {
            self.next_kind();
        }
        v
    }
}

/// apk-tools' `apk_version_compare` (`src/version.c`): digits, an optional
/// letter, `_alpha`/`_beta`/`_pre`/`_rc` before the release and
/// `_cvs`/`_svn`/`_git`/`_hg`/`_p` after it, each with an optional number,
/// then `-rN`. A version apk itself would call invalid still compares, as
/// apk's does, up to the first bad token.
fn apk(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut la = ApkLexer {
        s: a.as_bytes(),
        kind: Tok::Digit,
    };
    let mut lb = ApkLexer {
        s: b.as_bytes(),
        kind: Tok::Digit,
    };
    let (mut av, mut bv) = (zero(), zero());
    while la.kind == lb.kind && la.kind != Tok::End && la.kind != Tok::Invalid && av == bv {
        av = la.token();
        bv = lb.token();
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return Some(o),
    }
    if la.kind == lb.kind {
        return Some(Ordering::Equal);
    }
    // One goes on: it is the greater unless what follows is a pre-release suffix.
    if la.kind == Tok::Suffix && matches!(la.token(), Signed::Neg(_)) {
        return Some(Ordering::Less);
    }
    if lb.kind == Tok::Suffix && matches!(lb.token(), Signed::Neg(_)) {
        return Some(Ordering::Greater);
    }
    Some(lb.kind.cmp(&la.kind))
}

// ---- PEP 440 -------------------------------------------------------------

/// A PEP 440 version as its sort key (the `packaging` library's `_cmpkey`).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pep440 {
    epoch: Digits,
    /// Trailing zeros dropped: `1.0` == `1.0.0`.
    release: Vec<Digits>,
    /// `a` < `b` < `rc`; a dev-only release sorts before every pre-release
    /// of it, a final one after.
    pre: PreKey,
    post: Option<Digits>,
    /// `None` (no dev part) sorts last.
    dev: DevKey,
    local: Vec<LocalPart>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PreKey {
    DevOnly,
    Pre(u8, Digits),
    Final,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum DevKey {
    Dev(Digits),
    None,
}

/// Local segments: strings sort before numbers.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    Str(String),
    Num(Digits),
}

impl Pep440 {
    fn parse(v: &str) -> Option<Pep440> {
        let s = v.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        let (s, local) = match s.split_once('+') {
            Some((v, l)) => (v, Some(l)),
            None => (s, None),
        };
        let mut p = Cursor { s: s.as_bytes() };
        let mut epoch = Digits("0".into());
        if let Some(bang) = s.find('!') {
            let e = &s[..bang];
            if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            epoch = Digits(e.into());
            p.s = &p.s[bang + 1..];
        }
        let mut release = vec![Digits(p.digits()?)];
        while p.s.first() == Some(&b'.') && p.s.get(1).is_some_and(u8::is_ascii_digit) {
            p.s = &p.s[1..];
            release.push(Digits(p.digits()?));
        }
        while release.len() > 1
            && release
                .last()
                .is_some_and(|d| d.0.trim_matches('0').is_empty())
        {
            release.pop();
        }
        let mut pre = None;
        let save = p.s;
        p.sep();
        if let Some(l) = p.word(&["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"]) {
            let rank = match l {
                "alpha" | "a" => 0,
                "beta" | "b" => 1,
                _ => 2,
            };
            p.sep();
            pre = Some((rank, Digits(p.digits().unwrap_or_default())));
        } else {
            p.s = save;
        }
        let mut post = None;
        let save = p.s;
        if p.s.first() == Some(&b'-') && p.s.get(1).is_some_and(u8::is_ascii_digit) {
            p.s = &p.s[1..];
            post = Some(Digits(p.digits()?));
        } else {
            p.sep();
            if p.word(&["post", "rev", "r"]).is_some() {
                p.sep();
                post = Some(Digits(p.digits().unwrap_or_default()));
            } else {
                p.s = save;
            }
        }
        let mut dev = None;
        let save = p.s;
        p.sep();
        if p.word(&["dev"]).is_some() {
            p.sep();
            dev = Some(Digits(p.digits().unwrap_or_default()));
        } else {
            p.s = save;
        }
        if !p.s.is_empty() {
            return None;
        }
        let mut loc = Vec::new();
        if let Some(l) = local {
            for part in l.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                loc.push(if part.bytes().all(|c| c.is_ascii_digit()) {
                    LocalPart::Num(Digits(part.into()))
                } else {
                    LocalPart::Str(part.into())
                });
            }
        }
        let pre = match (pre, &post, &dev) {
            (None, None, Some(_)) => PreKey::DevOnly,
            (None, _, _) => PreKey::Final,
            (Some((r, n)), _, _) => PreKey::Pre(r, n),
        };
        Some(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev: dev.map_or(DevKey::None, DevKey::Dev),
            local: loc,
        })
    }
}

struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn digits(&mut self) -> Option<String> {
        let n = self.s.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let d = String::from_utf8_lossy(&self.s[..n]).into_owned();
        self.s = &self.s[n..];
        Some(d)
    }

    fn sep(&mut self) {
        if matches!(self.s.first(), Some(b'.' | b'-' | b'_')) {
            self.s = &self.s[1..];
        }
    }

    fn word(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let w = words.iter().find(|w| self.s.starts_with(w.as_bytes()))?;
        self.s = &self.s[w.len()..];
        Some(w)
    }
}

// ---- semver --------------------------------------------------------------

/// A semantic version (semver.org 2.0.0 §11): build metadata (and so Go's
/// `+incompatible`) does not count; Go's `v` prefix is dropped; a missing
/// minor or patch counts as 0, as crates and OSV's Go records sometimes
/// leave them out.
#[derive(Debug, PartialEq, Eq)]
struct Semver {
    core: [Digits; 3],
    pre: Vec<PreId>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PreId {
    /// Numeric identifiers sort before alphanumeric ones.
    Num(Digits),
    Alpha(String),
}

impl Semver {
    fn parse(v: &str) -> Option<Semver> {
        let v = v.trim();
        let v = v.strip_prefix('v').unwrap_or(v);
        let v = v.split('+').next()?;
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        let mut parts = core.split('.');
        let mut out: [Digits; 3] = Default::default();
        for (k, slot) in out.iter_mut().enumerate() {
            match parts.next() {
                Some(p) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => {
                    *slot = Digits(p.into())
                }
                None if k > 0 => {}
                _ => return None,
            }
        }
        if parts.next().is_some() {
            return None;
        }
        let mut ids = Vec::new();
        if let Some(pre) = pre {
            for id in pre.split('.') {
                if id.is_empty() || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                    return None;
                }
                ids.push(if id.bytes().all(|c| c.is_ascii_digit()) {
                    PreId::Num(Digits(id.into()))
                } else {
                    PreId::Alpha(id.into())
                });
            }
        }
        Some(Semver {
            core: out,
            pre: ids,
        })
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits("0".into())
    }
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Semver {
    fn cmp(&self, o: &Self) -> Ordering {
        self.core.cmp(&o.core).then_with(|| {
            // A release sorts after its pre-releases.
            match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&o.pre),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lt(s: Scheme, pairs: &[(&str, &str)]) {
        for (a, b) in pairs {
            assert_eq!(s.compare(a, b), Some(Ordering::Less), "{s:?}: {a} < {b}");
            assert_eq!(s.compare(b, a), Some(Ordering::Greater), "{s:?}: {b} > {a}");
        }
    }

    fn eq(s: Scheme, pairs: &[(&str, &str)]) {
        for (a, b) in pairs {
            assert_eq!(s.compare(a, b), Some(Ordering::Equal), "{s:?}: {a} == {b}");
        }
    }

    #[test]
    fn dpkg_orders_epochs_tildes_and_revisions_as_dpkg_does() {
        lt(
            Scheme::Dpkg,
            &[
                // Naive string order gets every one of these wrong.
                ("1.10", "1:0.9"),
                ("1.0~rc1", "1.0"),
                ("1.0~~", "1.0~"),
                ("1.0~", "1.0"),
                ("1.0", "1.0+b1"),
                ("1.0", "1.0a"),
                ("1.0a", "1.0+"),
                ("1.9", "1.10"),
                ("2.36-9", "2.36-10"),
                ("2.36-9+deb12u3", "2.36-9+deb12u10"),
                ("7.88.1-10", "7.88.1-10+deb12u1"),
                ("1.0-1", "1.0.1-1"),
                ("0:1.0", "1:0.1"),
                ("1.2.3-1~bpo12+1", "1.2.3-1"),
                ("99999999999999999999999", "100000000000000000000000"),
            ],
        );
        eq(
            Scheme::Dpkg,
            &[
                ("1.0", "0:1.0"),
                ("1.0", "1.0-0"),
                ("1.01", "1.1"),
                ("1.0-", "1.0"),
            ],
        );
        assert_eq!(Scheme::Dpkg.compare("x:1", "1"), None);
        assert_eq!(Scheme::Dpkg.compare("", "1"), None);
    }

    #[test]
    fn dpkg_agrees_with_dpkg_itself() {
        // Pairs checked with `dpkg --compare-versions A lt B` on Debian 12.
        let Ok(out) = std::process::Command::new("dpkg")
            .args(["--compare-versions", "1.0~rc1", "lt", "1.0"])
            .status()
        else {
            return;
        };
        assert!(out.success());
        for (a, b) in [
            ("1:1.0", "2.0"),
            ("1.0+dfsg-1", "1.0-1"),
            ("1.0.0", "1.0"),
            ("1.a", "1.+"),
            ("1.~", "1."),
        ] {
            let ours = Scheme::Dpkg.compare(a, b).unwrap();
            let theirs = ["lt", "eq", "gt"]
                .into_iter()
                .find(|op| {
                    std::process::Command::new("dpkg")
                        .args(["--compare-versions", a, op, b])
                        .status()
                        .is_ok_and(|s| s.success())
                })
                .unwrap();
            let want = match theirs {
                "lt" => Ordering::Less,
                "eq" => Ordering::Equal,
                _ => Ordering::Greater,
            };
            assert_eq!(ours, want, "{a} vs {b}");
        }
    }

    #[test]
    fn apk_orders_suffixes_letters_and_revisions_as_apk_tools_does() {
        lt(
            Scheme::Apk,
            &[
                ("1.0_alpha", "1.0_beta"),
                ("1.0_beta2", "1.0_pre1"),
                ("1.0_pre1", "1.0_rc1"),
                // String order puts "1.2_rc1" after "1.2".
                ("1.2_rc1", "1.2"),
                ("1.0_rc9", "1.0_rc10"),
                ("1.0", "1.0_p1"),
                ("1.0", "1.0a"),
                ("1.0a", "1.0b"),
                ("1.0", "1.0-r1"),
                ("1.0-r9", "1.0-r10"),
                ("1.0_p1", "1.0_p1-r1"),
                ("1.2.9", "1.2.10"),
                ("3.0.11-r0", "3.0.12-r0"),
                ("1.01", "1.1"),
                ("1.0", "1.0.1"),
            ],
        );
        eq(Scheme::Apk, &[("1.0", "1.0"), ("1.0-r0", "1.0-r0")]);
        // apk-tools 2.x (src/version.c, what every released Alpine ships)
        // reads a part of only zeros as its own token and then goes on in
        // a different state than a version that ends there, so a
        // pre-release of an `X.0` sorts *after* it. apk decides what is
        // installed and what fixes it; matching must agree with apk, not
        // with what the version looks like it means.
        assert_eq!(
            Scheme::Apk.compare("1.0_rc1", "1.0"),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn pep440_normalises_and_orders_pre_post_dev_and_local() {
        lt(
            Scheme::Pep440,
            &[
                ("1.0.dev0", "1.0a1"),
                ("1.0a1", "1.0a2.dev1"),
                ("1.0a2.dev1", "1.0a2"),
                ("1.0a2", "1.0b1"),
                ("1.0b1", "1.0rc1"),
                ("1.0rc1", "1.0"),
                ("1.0", "1.0+local"),
                ("1.0+abc", "1.0+5"),
                ("1.0", "1.0.post1.dev1"),
                ("1.0.post1.dev1", "1.0.post1"),
                ("1.0.post1", "1.1.dev0"),
                ("1.9", "1.10"),
                ("2.0", "1!0.1"),
            ],
        );
        eq(
            Scheme::Pep440,
            &[
                ("1.0", "1.0.0"),
                ("1.0", "v1.0"),
                ("1.0alpha1", "1.0a1"),
                ("1.0-c1", "1.0rc1"),
                ("1.0.PREVIEW.1", "1.0rc1"),
                ("1.0-1", "1.0.post1"),
                ("1.0.rev1", "1.0.post1"),
                ("1.0a", "1.0a0"),
                ("1.0-dev", "1.0.dev0"),
            ],
        );
        assert_eq!(Scheme::Pep440.compare("not a version", "1.0"), None);
        assert_eq!(Scheme::Pep440.compare("1.0+", "1.0"), None);
    }

    #[test]
    fn semver_orders_pre_releases_and_ignores_build_metadata() {
        lt(
            Scheme::Semver,
            &[
                ("1.0.0-alpha", "1.0.0-alpha.1"),
                ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
                ("1.0.0-alpha.beta", "1.0.0-beta"),
                ("1.0.0-beta.2", "1.0.0-beta.11"),
                ("1.0.0-beta.11", "1.0.0-rc.1"),
                ("1.0.0-rc.1", "1.0.0"),
                ("1.9.0", "1.10.0"),
                ("v0.0.0-20210101000000-abcdef", "v0.1.0"),
                ("1.2", "1.2.1"),
            ],
        );
        eq(
            Scheme::Semver,
            &[
                ("1.0.0+build.1", "1.0.0+build.2"),
                ("v2.0.0+incompatible", "2.0.0"),
                ("1.2", "1.2.0"),
            ],
        );
        assert_eq!(Scheme::Semver.compare("1.2.3.4", "1.0.0"), None);
        assert_eq!(Scheme::Semver.compare("latest", "1.0.0"), None);
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,3}(\\.[0-9]{1,25}){0,3}([-~+._][a-z0-9]{1,4}){0,3}"
    }

    proptest! {
        // A range check sorts events with these: each must be a total order
        // that never panics, whatever an image or a database says.
        #[test]
        fn every_scheme_is_antisymmetric_and_never_panics(a in version(), b in version()) {
            for s in [Scheme::Dpkg, Scheme::Apk, Scheme::Pep440, Scheme::Semver] {
                if let (Some(x), Some(y)) = (s.compare(&a, &b), s.compare(&b, &a)) {
                    prop_assert_eq!(x, y.reverse(), "{:?} {} {}", s, a, b);
                }
                if let Some(x) = s.compare(&a, &a) {
                    prop_assert_eq!(x, Ordering::Equal);
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(a in "\\PC{0,40}", b in "\\PC{0,40}") {
            for s in [Scheme::Dpkg, Scheme::Apk, Scheme::Pep440, Scheme::Semver] {
                let _ = s.compare(&a, &b);
            }
        }

        #[test]
        fn dpkg_transitivity(a in version(), b in version(), c in version()) {
            let s = Scheme::Dpkg;
            if let (Some(Ordering::Less), Some(Ordering::Less)) = (s.compare(&a, &b), s.compare(&b, &c)) {
                prop_assert_eq!(s.compare(&a, &c), Some(Ordering::Less));
            }
        }
    }
}
