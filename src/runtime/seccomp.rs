//! Seccomp: Docker's JSON profile format → classic BPF programs (via seccompiler), and their
//! installation as the last step before execve.
//!
//! berth's default profile is Docker's, byte for byte (`seccomp-default.json`, from
//! moby/profiles; Apache-2.0): an allow-list with argument rules, EPERM for everything else.
//!
//! # The filter stack
//!
//! libseccomp compiles a whole profile into one program that can return a different action
//! per rule. A seccompiler [`SeccompFilter`] has one match action and one mismatch action, so
//! a profile becomes a stack of filters. The kernel runs every installed filter on each
//! syscall and takes the most restrictive result (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO >
//! TRACE > LOG > ALLOW); between results of the same kind (two ERRNOs) the filter installed
//! *last* wins (`seccomp_run_filters` walks from the newest filter and replaces its pick only
//! on a strictly more restrictive one). [`compile`] returns, in installation order:
//!
//! 1. The *base* filter: every rule whose action is less restrictive than the default (for
//!    Docker's profile: every ALLOW rule) matches with ALLOW; everything else gets the default
//!    action (ERRNO(EPERM)). When the default denies (ERRNO, TRAP, KILL), a 5-instruction guard
//!    runs first: a syscall numbered above every syscall the profile names gets ERRNO(ENOSYS),
//!    as runc, crun and podman do. A syscall newer than the profile thus gets ENOSYS
//!    and libc falls back to an older one (e.g. glibc from `clone3` to `clone`, from
//!    `fchmodat2` to `fchmodat`), instead of failing with EPERM. Syscalls the profile does not
//!    name below that number get the default action (EPERM), as in Docker.
//! 2. One filter per other action used by the rules (ERRNO(ENOSYS) for `clone3`, KILL, LOG…),
//!    matching with that action and ALLOW otherwise, least restrictive first. A call that
//!    matches such a rule gets that action: it is at least as restrictive as what the base
//!    filter returned (ALLOW or the default), and when both are ERRNO this filter, installed
//!    later, wins: so `clone3` without `CAP_SYS_ADMIN` fails with ENOSYS, not EPERM, and
//!    glibc falls back to `clone`, whose argument rule then refuses namespace flags. A LOG
//!    rule is also an ALLOW rule of the base filter, so the call is allowed and logged.
//!
//! The result equals libseccomp's for every profile where a syscall's rules with different
//! actions do not overlap (Docker's and podman's never do); where they overlap, the most
//! restrictive matching action wins. As in runc, a rule whose action is the default action is
//! skipped (libseccomp refuses it), and a rule naming the same argument twice becomes one rule
//! per condition (OR; runc's workaround for libseccomp, which profiles written for Docker
//! expect).
//!
//! Differences from Docker, all on the refusing side: only the native architecture is
//! allowed. Docker's x86_64 filter also admits i386 (`int 0x80`) and x32 syscalls, with their
//! own numbers; here an i386 syscall kills the process (seccompiler's architecture check) and
//! an x32 one (number with bit 30 set) gets ENOSYS.
//!
//! Each filter is a binary search over the syscall number whose leaves return at once or,
//! for a syscall with argument rules, run seccompiler's code for that syscall alone
//! ([`FilterPlan::program`]): the kernel runs a filter on every syscall number when it is
//! installed, so a row of ~1600 comparisons cost 0.9 ms of every start.
//!
//! Argument values are compared as 64-bit values, as libseccomp does (`SCMP_CMP_*` take a
//! 64-bit datum); `SCMP_CMP_MASKED_EQ` is `(arg & value) == valueTwo`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use caps::{Capability, CapsHashSet};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};
use serde::Deserialize;

use super::syscalls;

/// Docker's default profile (moby/profiles `seccomp/default.json`).
const DEFAULT_PROFILE: &[u8] = include_bytes!("seccomp-default.json");

/// The filters for berth's default profile, given the container's capability set (groups
/// such as the `CAP_SYS_ADMIN` one apply only when the set has the capability).
pub fn default_programs(caps: &CapsHashSet) -> Result<Vec<BpfProgram>> {
    compile(DEFAULT_PROFILE, caps).context("built-in seccomp profile")
}

/// The filters for the profile in `path` (`--security-opt seccomp=FILE.json`).
pub fn from_file(path: &Path, caps: &CapsHashSet) -> Result<Vec<BpfProgram>> {
    std::fs::read(path)
        .map_err(anyhow::Error::from)
        .and_then(|json| compile(&json, caps))
        .with_context(|| format!("seccomp profile `{}`", path.display()))
}

/// Translates a profile in Docker's JSON format into BPF programs for the architecture berth
/// runs on, to be installed in the returned order (see the module docs). Rules apply when
/// their `includes` hold and their `excludes` do not: `caps` (all listed in `caps`; any
/// listed), `arches` (Go's names: `amd64`, `arm64`), `minKernel` (against the running
/// kernel's release). Syscalls this architecture lacks are skipped, as libseccomp does.
pub fn compile(profile_json: &[u8], caps: &CapsHashSet) -> Result<Vec<BpfProgram>> {
    let profile: Profile = serde_json::from_slice(profile_json)?;
    let host = Host::current()?;
    let plan = plan(&profile, caps, &host)?;
    plan.programs(&host)
}

/// Installs `progs` on the calling thread, in order. Call it last before execve: from here
/// on only what the profile allows works (execve and what a failed exec reports with are in
/// every sensible profile).
///
/// The kernel accepts a filter from a thread that has no_new_privs set or `CAP_SYS_ADMIN` in
/// its user namespace; seccompiler sets no_new_privs itself before each filter, so this also
/// sets no_new_privs (on by default in berth anyway). Filters are per thread and inherited
/// by children: call it in the single-threaded container child, not in berth's own process.
pub fn install(progs: &[BpfProgram]) -> Result<()> {
    for (i, prog) in progs.iter().enumerate() {
        seccompiler::apply_filter(prog)
            .map_err(|e| match e {
                seccompiler::Error::Prctl(e) => anyhow::anyhow!("setting no_new_privs: {e}"),
                seccompiler::Error::Seccomp(e) => anyhow::anyhow!("seccomp(2): {e}"),
                e => anyhow::anyhow!("{e}"),
            })
            .with_context(|| format!("installing seccomp filter {} of {}", i + 1, progs.len()))?;
    }
    Ok(())
}

// ---- Docker's JSON format -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    default_action: String,
    default_errno_ret: Option<u32>,
    syscalls: Option<Vec<SyscallGroup>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyscallGroup {
    names: Option<Vec<String>>,
    /// The pre-1.13 Docker format: one name per entry.
    name: Option<String>,
    action: String,
    errno_ret: Option<u32>,
    args: Option<Vec<Arg>>,
    includes: Option<Conditions>,
    excludes: Option<Conditions>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Arg {
    index: u8,
    value: u64,
    #[serde(default)]
    value_two: u64,
    op: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Conditions {
    caps: Option<Vec<String>>,
    arches: Option<Vec<String>>,
    min_kernel: Option<String>,
}

// ---- The host ---------------------------------------------------------------------------------

/// What rules are checked against: the architecture and kernel berth runs on.
#[derive(Debug, Clone)]
struct Host {
    target: TargetArch,
    /// `AUDIT_ARCH_*`, what `seccomp_data.arch` holds for a native syscall.
    audit_arch: u32,
    /// Go's name, which Docker profiles use in `arches`.
    goarch: &'static str,
    /// The running kernel's (major, minor); `None` when unknown, and then every `minKernel`
    /// holds (a rule for an older kernel than ours is the common case).
    kernel: Option<(u32, u32)>,
}

impl Host {
    fn current() -> Result<Host> {
        let (target, audit_arch, goarch) = match std::env::consts::ARCH {
            "x86_64" => (TargetArch::x86_64, 0xc000_003e, "amd64"),
            "aarch64" => (TargetArch::aarch64, 0xc000_00b7, "arm64"),
            other => bail!("seccomp profiles are not supported on {other}"),
        };
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .and_then(|release| parse_kernel_version(&release));
        Ok(Host {
            target,
            audit_arch,
            goarch,
            kernel,
        })
    }
}

/// "6.1.0-18-amd64" → (6, 1); "4.8" → (4, 8).
fn parse_kernel_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()
        .unwrap_or("0")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

// ---- Profile → plan ---------------------------------------------------------------------------

/// The syscalls one filter matches: per syscall number, either unconditionally or when one
/// of the rules (each an AND of argument conditions) holds.
#[derive(Debug, Clone, PartialEq)]
enum Chain {
    Always,
    When(Vec<SeccompRule>),
}

type Rules = BTreeMap<i64, Chain>;

fn add_rule(rules: &mut Rules, nr: i64, rule: Option<SeccompRule>) {
    match (rules.get_mut(&nr), rule) {
        (Some(Chain::Always), _) => {}
        (Some(Chain::When(chain)), Some(rule)) => chain.push(rule),
        (_, None) => {
            rules.insert(nr, Chain::Always);
        }
        (None, Some(rule)) => {
            rules.insert(nr, Chain::When(vec![rule]));
        }
    }
}

/// A profile resolved for one host and capability set, before BPF generation.
#[derive(Debug)]
struct Plan {
    default: SeccompAction,
    /// Rules by action, keyed by the action's return value (unique per action and data).
    groups: BTreeMap<u32, (SeccompAction, Rules)>,
    /// The highest syscall number the profile names on this architecture, applicable or not.
    max_nr: Option<i64>,
}

/// How restrictive an action is: lower is more restrictive (the kernel's own order:
/// `ACTION_ONLY(ret)` compared as a signed number).
fn rank(action: &SeccompAction) -> i32 {
    (u32::from(action.clone()) & libc::SECCOMP_RET_ACTION_FULL) as i32
}

fn parse_action(name: &str, errno_ret: Option<u32>) -> Result<SeccompAction> {
    let errno = errno_ret.unwrap_or(libc::EPERM as u32);
    Ok(match name {
        "SCMP_ACT_ALLOW" => SeccompAction::Allow,
        "SCMP_ACT_ERRNO" => SeccompAction::Errno(errno),
        // libseccomp's SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD.
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => SeccompAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => SeccompAction::KillProcess,
        "SCMP_ACT_TRAP" => SeccompAction::Trap,
        "SCMP_ACT_LOG" => SeccompAction::Log,
        "SCMP_ACT_TRACE" => SeccompAction::Trace(errno),
        "SCMP_ACT_NOTIFY" => bail!("seccomp action `{name}` is not supported"),
        _ => bail!("unknown seccomp action `{name}`"),
    })
}

fn parse_op(arg: &Arg) -> Result<SeccompCmpOp> {
    Ok(match arg.op.as_str() {
        "SCMP_CMP_EQ" => SeccompCmpOp::Eq,
        "SCMP_CMP_NE" => SeccompCmpOp::Ne,
        "SCMP_CMP_LT" => SeccompCmpOp::Lt,
        "SCMP_CMP_LE" => SeccompCmpOp::Le,
        "SCMP_CMP_GT" => SeccompCmpOp::Gt,
        "SCMP_CMP_GE" => SeccompCmpOp::Ge,
        "SCMP_CMP_MASKED_EQ" => SeccompCmpOp::MaskedEq(arg.value),
        op => bail!("unknown seccomp comparison `{op}`"),
    })
}

/// The condition for one JSON argument, or `None` when it can never hold.
fn condition(arg: &Arg) -> Result<Option<SeccompCondition>> {
    let op = parse_op(arg)?;
    let value = match op {
        // seccompiler compares (arg & mask) with (value & mask); libseccomp with value itself,
        // so bits outside the mask make the condition false.
        SeccompCmpOp::MaskedEq(mask) if arg.value_two & !mask != 0 => return Ok(None),
        SeccompCmpOp::MaskedEq(_) => arg.value_two,
        _ => arg.value,
    };
    let cond = SeccompCondition::new(arg.index, SeccompCmpArgLen::Qword, op, value)
        .map_err(|_| anyhow::anyhow!("argument index {} is out of range 0..=5", arg.index))?;
    Ok(Some(cond))
}

/// The rules for one group's `args` (`None` in the result: unconditional). A list that
/// names each argument once is one rule (AND); one that names an argument twice is one rule
/// per condition (OR), as runc does.
fn rules_for(args: &[Arg]) -> Result<Vec<Option<SeccompRule>>> {
    if args.is_empty() {
        return Ok(vec![None]);
    }
    let mut seen = [false; 6];
    let repeated = args.iter().any(|a| {
        let i = usize::from(a.index).min(5);
        std::mem::replace(&mut seen[i], true)
    });
    let to_rule = |conds: Vec<SeccompCondition>| -> Result<Option<SeccompRule>> {
        Ok(Some(SeccompRule::new(conds).context("empty seccomp rule")?))
    };
    if repeated {
        let mut rules = Vec::new();
        for arg in args {
            if let Some(cond) = condition(arg)? {
                rules.push(to_rule(vec![cond])?);
            }
        }
        Ok(rules)
    } else {
        let mut conds = Vec::new();
        for arg in args {
            match condition(arg)? {
                Some(cond) => conds.push(cond),
                None => return Ok(vec![]),
            }
        }
        Ok(vec![to_rule(conds)?])
    }
}

fn has_cap(caps: &CapsHashSet, name: &str) -> bool {
    caps::to_canonical(name)
        .parse::<Capability>()
        .is_ok_and(|cap| caps.contains(&cap))
}

fn min_kernel_holds(min: &str, host: &Host) -> Result<bool> {
    let min = parse_kernel_version(min).with_context(|| format!("invalid minKernel `{min}`"))?;
    Ok(host.kernel.is_none_or(|kernel| kernel >= min))
}

/// Whether a group applies, with Docker's rules (moby `profiles/seccomp`): every `includes`
/// condition must hold, no `excludes` condition may.
fn applies(group: &SyscallGroup, caps: &CapsHashSet, host: &Host) -> Result<bool> {
    if let Some(inc) = &group.includes {
        if let Some(arches) = &inc.arches
            && !arches.is_empty()
            && !arches.iter().any(|a| a == host.goarch)
        {
            return Ok(false);
        }
        if let Some(needed) = &inc.caps
            && !needed.iter().all(|c| has_cap(caps, c))
        {
            return Ok(false);
        }
        if let Some(min) = &inc.min_kernel
            && !min_kernel_holds(min, host)?
        {
            return Ok(false);
        }
    }
    if let Some(exc) = &group.excludes {
        if let Some(arches) = &exc.arches
            && arches.iter().any(|a| a == host.goarch)
        {
            return Ok(false);
        }
        if let Some(excluded) = &exc.caps
            && excluded.iter().any(|c| has_cap(caps, c))
        {
            return Ok(false);
        }
        if let Some(min) = &exc.min_kernel
            && min_kernel_holds(min, host)?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

fn plan(profile: &Profile, caps: &CapsHashSet, host: &Host) -> Result<Plan> {
    let default = parse_action(&profile.default_action, profile.default_errno_ret)
        .context("defaultAction")?;
    let mut plan = Plan {
        default,
        groups: BTreeMap::new(),
        max_nr: None,
    };
    for (i, group) in profile.syscalls.iter().flatten().enumerate() {
        let names: Vec<&String> = group.names.iter().flatten().chain(&group.name).collect();
        let what = || match names.first() {
            Some(first) => format!("syscalls[{i}] (`{first}`…)"),
            None => format!("syscalls[{i}]"),
        };
        let numbers: Vec<i64> = names.iter().filter_map(|n| syscalls::number(n)).collect();
        // The ENOSYS guard counts every syscall the profile knows of, applicable or not: one
        // it names but refuses here (e.g. `mount` without CAP_SYS_ADMIN) must get EPERM.
        plan.max_nr = plan.max_nr.max(numbers.iter().copied().max());

        // Check every group's action and arguments, even one that does not apply here.
        let action = parse_action(&group.action, group.errno_ret).with_context(what)?;
        let rules = rules_for(group.args.as_deref().unwrap_or_default()).with_context(what)?;
        if !applies(group, caps, host).with_context(what)? || action == plan.default {
            continue;
        }
        let (_, set) = plan
            .groups
            .entry(u32::from(action.clone()))
            .or_insert_with(|| (action, Rules::new()));
        for &nr in &numbers {
            for rule in &rules {
                add_rule(set, nr, rule.clone());
            }
        }
    }
    Ok(plan)
}

// ---- Plan → BPF -------------------------------------------------------------------------------

/// One filter of the stack, before BPF generation.
#[derive(Debug)]
struct FilterPlan {
    rules: Rules,
    on_match: SeccompAction,
    otherwise: SeccompAction,
    /// Syscalls above this number get ERRNO(ENOSYS) (base filter of a denying profile).
    enosys_above: Option<i64>,
}

impl Plan {
    /// The filter stack, in installation order (module docs).
    fn filters(&self) -> Vec<FilterPlan> {
        let mut filters = Vec::new();
        let default_rank = rank(&self.default);
        if self.default != SeccompAction::Allow {
            let mut base = Rules::new();
            for (action, rules) in self.groups.values() {
                if rank(action) > default_rank {
                    for (&nr, chain) in rules {
                        match chain {
                            Chain::Always => add_rule(&mut base, nr, None),
                            Chain::When(chain) => {
                                for rule in chain {
                                    add_rule(&mut base, nr, Some(rule.clone()));
                                }
                            }
                        }
                    }
                }
            }
            let denies = default_rank <= rank(&SeccompAction::Errno(0));
            filters.push(FilterPlan {
                rules: base,
                on_match: SeccompAction::Allow,
                otherwise: self.default.clone(),
                enosys_above: self.max_nr.filter(|_| denies),
            });
        }
        let mut others: Vec<_> = self
            .groups
            .iter()
            .filter(|(_, (action, rules))| *action != SeccompAction::Allow && !rules.is_empty())
            .collect();
        // Least restrictive first, so the most restrictive (and, among ERRNOs, the one with
        // the larger errno) is installed last.
        others.sort_by_key(|(value, (action, _))| (std::cmp::Reverse(rank(action)), **value));
        for (_, (action, rules)) in others {
            filters.push(FilterPlan {
                rules: rules.clone(),
                on_match: action.clone(),
                otherwise: SeccompAction::Allow,
                enosys_above: None,
            });
        }
        filters
    }

    fn programs(&self, host: &Host) -> Result<Vec<BpfProgram>> {
        self.filters()
            .into_iter()
            .map(|f| f.program(host))
            .collect()
    }
}

/// The kernel's limit on one filter's length (`BPF_MAXINSNS`).
const BPF_MAXINSNS: usize = 4096;

impl FilterPlan {
    /// The filter's BPF: the architecture check, then a binary search over the syscall
    /// number (see [`Leaf`]). seccompiler alone emits one `JEQ` per syscall in a row, ~1600
    /// instructions for Docker's profile; the kernel walks that row not only on every
    /// unlisted syscall but ~900 times when the filter is installed (it runs the filter on
    /// every syscall number of both ABIs to find those it can always allow without running
    /// it again): 0.9 ms of every container's start, against ~0.2 ms for a search of the same
    /// verdicts (measured in C on this machine's 6.1 kernel).
    fn program(self, host: &Host) -> Result<BpfProgram> {
        let mut prog = match self.enosys_above {
            Some(max) => enosys_guard(host.audit_arch, max),
            None => Vec::new(),
        };
        let searched = self.searched(host)?;
        // Each syscall with argument rules costs a few instructions more in
        // the search than in the row: a profile of a few hundred of them
        // fits only as a row.
        if prog.len() + searched.len() <= BPF_MAXINSNS {
            prog.extend(searched);
        } else {
            prog.extend(self.row(host)?);
        }
        if prog.len() > BPF_MAXINSNS {
            bail!(
                "seccomp filter has {} instructions, more than the kernel's {BPF_MAXINSNS}",
                prog.len()
            );
        }
        Ok(prog)
    }

    /// The architecture check, then the binary search.
    fn searched(&self, host: &Host) -> Result<BpfProgram> {
        use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
        // seccompiler's own check, kept: another ABI's call kills the process.
        let mut prog = vec![
            stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
            jump(BPF_JMP | BPF_JEQ | BPF_K, host.audit_arch, 1, 0),
            stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
            stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
        ];
        let leaves = Leaf::split(self.rules.clone());
        prog.extend(search(&leaves, &self.on_match, &self.otherwise, host)?);
        Ok(prog)
    }

    /// seccompiler's program: the architecture check, then one comparison
    /// per syscall in a row.
    fn row(&self, host: &Host) -> Result<BpfProgram> {
        let rules = (self.rules.iter())
            .map(|(&nr, chain)| match chain {
                Chain::Always => (nr, vec![]),
                Chain::When(rules) => (nr, rules.clone()),
            })
            .collect();
        seccompiler_program(rules, &self.on_match, &self.otherwise, host)
    }
}

/// seccompiler's program for `rules`: its architecture check, then one comparison per
/// syscall in a row, each path ending in a return.
fn seccompiler_program(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    on_match: &SeccompAction,
    otherwise: &SeccompAction,
    host: &Host,
) -> Result<BpfProgram> {
    let filter = SeccompFilter::new(rules, otherwise.clone(), on_match.clone(), host.target)
        .context("building a seccomp filter")?;
    BpfProgram::try_from(filter).context("building a seccomp filter")
}

/// One run of syscall numbers with one verdict, from `start` up to the next leaf's start.
#[derive(Debug, PartialEq)]
enum Leaf {
    /// Matched whatever the arguments: the filter's match action.
    Always(u32),
    /// Not named by the filter: its other action.
    Neither(u32),
    /// One syscall whose arguments decide.
    When(u32, Vec<SeccompRule>),
}

impl Leaf {
    fn start(&self) -> u32 {
        match *self {
            Leaf::Always(s) | Leaf::Neither(s) | Leaf::When(s, _) => s,
        }
    }

    /// The leaves covering every number from 0 up, in order; neighbours that are both
    /// `Always` or both `Neither` are one leaf. Numbers outside u32 (none a syscall's) are
    /// dropped.
    fn split(rules: Rules) -> Vec<Leaf> {
        let mut leaves = Vec::new();
        let mut next = 0u64; // the first number no leaf covers yet
        for (nr, chain) in rules {
            let Ok(nr) = u32::try_from(nr) else { continue };
            if u64::from(nr) > next && !matches!(leaves.last(), Some(Leaf::Neither(_))) {
                leaves.push(Leaf::Neither(next as u32));
            }
            match chain {
                Chain::Always
                    if matches!(leaves.last(), Some(Leaf::Always(_))) && u64::from(nr) == next => {}
                Chain::Always => leaves.push(Leaf::Always(nr)),
                Chain::When(rules) => leaves.push(Leaf::When(nr, rules)),
            }
            next = u64::from(nr) + 1;
        }
        if next <= u64::from(u32::MAX) && !matches!(leaves.last(), Some(Leaf::Neither(_))) {
            leaves.push(Leaf::Neither(next as u32));
        }
        leaves
    }
}

/// A binary search over `leaves` (the accumulator holds the syscall number), each path
/// ending in a return. Every jump is relative and stays inside the code of its subtree, so
/// a subtree is built on its own and placed anywhere.
fn search(
    leaves: &[Leaf],
    on_match: &SeccompAction,
    otherwise: &SeccompAction,
    host: &Host,
) -> Result<BpfProgram> {
    use libc::{BPF_JA, BPF_JGE, BPF_JMP, BPF_K, BPF_RET};
    match leaves {
        [] | [Leaf::Neither(_)] => Ok(vec![stmt(BPF_RET | BPF_K, u32::from(otherwise.clone()))]),
        [Leaf::Always(_)] => Ok(vec![stmt(BPF_RET | BPF_K, u32::from(on_match.clone()))]),
        // seccompiler's whole program for this one syscall: its own architecture check and
        // number load, then the argument rules.
        [Leaf::When(nr, rules)] => seccompiler_program(
            BTreeMap::from([(i64::from(*nr), rules.clone())]),
            on_match,
            otherwise,
            host,
        ),
        _ => {
            let mid = leaves.len() / 2;
            let below = search(&leaves[..mid], on_match, otherwise, host)?;
            let above = search(&leaves[mid..], on_match, otherwise, host)?;
            let split = leaves[mid].start();
            // A conditional jump reaches 255 instructions ahead; past that, over a long jump.
            let mut prog = match u8::try_from(below.len()) {
                Ok(skip) => vec![jump(BPF_JMP | BPF_JGE | BPF_K, split, skip, 0)],
                Err(_) => vec![
                    jump(BPF_JMP | BPF_JGE | BPF_K, split, 0, 1),
                    stmt(BPF_JMP | BPF_JA, below.len() as u32),
                ],
            };
            prog.extend(below);
            prog.extend(above);
            Ok(prog)
        }
    }
}

/// Offsets into `struct seccomp_data`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

fn stmt(code: u32, k: u32) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Prepended to the base filter: a native syscall numbered above `max` returns ENOSYS; any
/// other falls through to the filter proper, which starts with its own architecture check.
fn enosys_guard(audit_arch: u32, max: i64) -> BpfProgram {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    vec![
        stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
        jump(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 0, 3),
        stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
        jump(BPF_JMP | BPF_JGT | BPF_K, max as u32, 0, 1),
        stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::caps::default_set;
    use libc::{SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO};

    // ---- A classic BPF interpreter and the kernel's way of combining filters ----

    struct Call {
        arch: u32,
        nr: u32,
        args: [u64; 6],
    }

    fn call(name: &str, args: &[u64]) -> Call {
        let nr = syscalls::number(name).unwrap_or_else(|| panic!("no syscall {name}")) as u32;
        nr_call(nr, args)
    }

    fn nr_call(nr: u32, args: &[u64]) -> Call {
        let mut a = [0; 6];
        a[..args.len()].copy_from_slice(args);
        Call {
            arch: Host::current().unwrap().audit_arch,
            nr,
            args: a,
        }
    }

    /// What `prog` returns for `call`; the instructions seccompiler and our guard emit.
    fn run(prog: &[sock_filter], call: &Call) -> u32 {
        use libc::{
            BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K, BPF_LD,
            BPF_RET, BPF_W,
        };
        let load = |off: u32| -> u32 {
            match off {
                0 => call.nr,
                4 => call.arch,
                16..=63 => {
                    let arg = call.args[(off as usize - 16) / 8];
                    if off.is_multiple_of(8) {
                        arg as u32
                    } else {
                        (arg >> 32) as u32
                    }
                }
                _ => panic!("load at {off}"),
            }
        };
        let (mut acc, mut pc) = (0u32, 0usize);
        loop {
            let ins = &prog[pc];
            let cond = |taken: bool| 1 + usize::from(if taken { ins.jt } else { ins.jf });
            pc += match u32::from(ins.code) {
                c if c == BPF_LD | BPF_W | BPF_ABS => {
                    acc = load(ins.k);
                    1
                }
                c if c == BPF_ALU | BPF_AND | BPF_K => {
                    acc &= ins.k;
                    1
                }
                c if c == BPF_JMP | BPF_JA => 1 + ins.k as usize,
                c if c == BPF_JMP | BPF_JEQ | BPF_K => cond(acc == ins.k),
                c if c == BPF_JMP | BPF_JGT | BPF_K => cond(acc > ins.k),
                c if c == BPF_JMP | BPF_JGE | BPF_K => cond(acc >= ins.k),
                c if c == BPF_RET | BPF_K => return ins.k,
                c => panic!("unexpected BPF instruction {c:#x}"),
            };
        }
    }

    /// The kernel's verdict (`seccomp_run_filters`): newest filter first, replaced only by a
    /// strictly more restrictive action.
    fn verdict(progs: &[BpfProgram], call: &Call) -> u32 {
        let action = |ret: u32| (ret & SECCOMP_RET_ACTION_FULL) as i32;
        progs.iter().rev().fold(SECCOMP_RET_ALLOW, |ret, prog| {
            let cur = run(prog, call);
            if action(cur) < action(ret) { cur } else { ret }
        })
    }

    const ALLOW: u32 = SECCOMP_RET_ALLOW;
    const EPERM: u32 = SECCOMP_RET_ERRNO | libc::EPERM as u32;
    const ENOSYS: u32 = SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const KILL_PROCESS: u32 = libc::SECCOMP_RET_KILL_PROCESS;
    const LOG: u32 = libc::SECCOMP_RET_LOG;

    fn with(cap: Capability) -> CapsHashSet {
        let mut set = default_set();
        set.insert(cap);
        set
    }

    fn default_plan(caps: &CapsHashSet) -> Plan {
        let profile = serde_json::from_slice(DEFAULT_PROFILE).unwrap();
        plan(&profile, caps, &Host::current().unwrap()).unwrap()
    }

    fn compile_str(json: &str) -> Result<Vec<BpfProgram>> {
        compile(json.as_bytes(), &default_set())
    }

    // ---- The default profile ----

    #[test]
    fn default_profile_is_two_filters_and_one_without_clone3_rule_for_sys_admin() {
        assert_eq!(default_programs(&default_set()).unwrap().len(), 2);
        assert_eq!(
            default_programs(&with(Capability::CAP_SYS_ADMIN))
                .unwrap()
                .len(),
            1
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn default_profile_allows_the_same_syscalls_as_docker_on_x86_64() {
        let filters = default_plan(&default_set()).filters();
        let base = &filters[0];
        let (always, conditional): (Vec<_>, Vec<_>) =
            base.rules.values().partition(|c| **c == Chain::Always);
        // The 305 names of the groups without args or caps condition that exist on x86_64
        // (arch_prctl and modify_ldt among them, ptrace with its minKernel 4.8), plus chroot
        // (CAP_SYS_CHROOT is in the default set). Counted independently with a script.
        assert_eq!(always.len(), 306);
        assert_eq!(base.rules.get(&161), Some(&Chain::Always)); // chroot
        // socket (3 rules), personality (5), clone (1).
        assert_eq!(conditional.len(), 3);
        assert_eq!(base.enosys_above, syscalls::number("removexattrat"));
        assert_eq!(base.otherwise, SeccompAction::Errno(1));
        let clone3 = &filters[1];
        assert_eq!(clone3.on_match, SeccompAction::Errno(libc::ENOSYS as u32));
        assert_eq!(clone3.rules.keys().collect::<Vec<_>>(), [&435]);
    }

    #[test]
    fn default_profile_allows_ordinary_syscalls_and_refuses_others_with_eperm() {
        let progs = default_programs(&default_set()).unwrap();
        assert_eq!(verdict(&progs, &call("read", &[0, 0, 0])), ALLOW);
        assert_eq!(verdict(&progs, &call("execve", &[])), ALLOW);
        assert_eq!(verdict(&progs, &call("fchmodat2", &[])), ALLOW);
        for refused in [
            "mount",
            "unshare",
            "setns",
            "kexec_load",
            "bpf",
            "open_by_handle_at",
        ] {
            assert_eq!(verdict(&progs, &call(refused, &[])), EPERM, "{refused}");
        }
    }

    #[test]
    fn default_profile_follows_the_capability_set() {
        let progs = default_programs(&with(Capability::CAP_SYS_ADMIN)).unwrap();
        for name in ["mount", "unshare", "setns", "clone3"] {
            assert_eq!(verdict(&progs, &call(name, &[])), ALLOW, "{name}");
        }
        let clone_newuser = libc::CLONE_NEWUSER as u64;
        assert_eq!(verdict(&progs, &call("clone", &[clone_newuser])), ALLOW);
        let progs = default_programs(&with(Capability::CAP_SYS_PTRACE)).unwrap();
        assert_eq!(verdict(&progs, &call("kcmp", &[])), ALLOW);
    }

    #[test]
    fn default_profile_checks_arguments_as_64_bit_values() {
        let progs = default_programs(&default_set()).unwrap();
        let socket = |family: u64| verdict(&progs, &call("socket", &[family, 1, 0]));
        assert_eq!(socket(libc::AF_UNIX as u64), ALLOW);
        assert_eq!(socket(libc::AF_INET6 as u64), ALLOW);
        assert_eq!(socket(39), ALLOW);
        assert_eq!(socket(libc::AF_VSOCK as u64), EPERM);
        assert_eq!(socket(41), ALLOW);
        assert_eq!(socket(1 << 32 | 40), ALLOW); // > 40 as a 64-bit number

        let personality = |p: u64| verdict(&progs, &call("personality", &[p]));
        assert_eq!(personality(0), ALLOW);
        assert_eq!(personality(0xffff_ffff), ALLOW);
        assert_eq!(personality(0xffff_ffff_ffff_ffff), EPERM);
        assert_eq!(personality(libc::ADDR_NO_RANDOMIZE as u64), EPERM);

        let clone = |flags: u64| verdict(&progs, &call("clone", &[flags]));
        assert_eq!(clone(libc::SIGCHLD as u64), ALLOW);
        let thread = libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_THREAD;
        assert_eq!(clone(thread as u64), ALLOW);
        for ns in [libc::CLONE_NEWUSER, libc::CLONE_NEWNS, libc::CLONE_NEWNET] {
            assert_eq!(clone((ns | libc::SIGCHLD) as u64), EPERM);
        }
    }

    #[test]
    fn clone3_and_syscalls_newer_than_the_profile_get_enosys() {
        let progs = default_programs(&default_set()).unwrap();
        assert_eq!(verdict(&progs, &call("clone3", &[])), ENOSYS);
        let max = default_plan(&default_set()).max_nr.unwrap() as u32;
        assert_eq!(verdict(&progs, &nr_call(max, &[])), ALLOW);
        assert_eq!(verdict(&progs, &nr_call(max + 1, &[])), ENOSYS);
        assert_eq!(verdict(&progs, &nr_call(1000, &[])), ENOSYS);
        assert_eq!(verdict(&progs, &nr_call(u32::MAX, &[])), ENOSYS);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn foreign_abis_are_refused() {
        let progs = default_programs(&default_set()).unwrap();
        let x32_read = nr_call(0x4000_0000, &[]);
        assert_eq!(verdict(&progs, &x32_read), ENOSYS);
        let mut i386_read = call("read", &[]);
        i386_read.arch = 0x4000_0003; // AUDIT_ARCH_I386
        assert_eq!(verdict(&progs, &i386_read), KILL_PROCESS);
    }

    /// The filter as seccompiler alone writes it: one row of `JEQ`s (what berth installed
    /// before the search), the reference the search must agree with.
    fn row_programs(plan: &Plan, host: &Host) -> Vec<BpfProgram> {
        plan.filters()
            .into_iter()
            .map(|f| {
                let mut prog = match f.enosys_above {
                    Some(max) => enosys_guard(host.audit_arch, max),
                    None => Vec::new(),
                };
                prog.extend(f.row(host).unwrap());
                prog
            })
            .collect()
    }

    #[test]
    fn the_search_gives_every_verdict_the_row_of_comparisons_gives() {
        let host = Host::current().unwrap();
        let profile: Profile = serde_json::from_slice(DEFAULT_PROFILE).unwrap();
        // Every value the profile compares with, and its neighbours, in low and high words.
        let mut values = vec![0u64, 1, u64::MAX, u64::from(u32::MAX), 1 << 32];
        for arg in profile
            .syscalls
            .iter()
            .flatten()
            .flat_map(|g| g.args.iter().flatten())
        {
            for v in [arg.value, arg.value_two] {
                values.extend([v, v.wrapping_add(1), v.wrapping_sub(1), v | 1 << 32, !v]);
            }
        }
        values.sort_unstable();
        values.dedup();
        for caps in [
            default_set(),
            with(Capability::CAP_SYS_ADMIN),
            CapsHashSet::new(),
        ] {
            let plan = plan(&profile, &caps, &host).unwrap();
            let searched = plan.programs(&host).unwrap();
            let row = row_programs(&plan, &host);
            assert!(
                searched[0].len() < 400,
                "{} instructions",
                searched[0].len()
            );
            let numbers = (0..1100).chain([0x4000_0000, 0x4000_0001, u32::MAX - 1, u32::MAX]);
            for nr in numbers {
                for v in [0, 1, u64::MAX, 1 << 32] {
                    let mut c = nr_call(nr, &[v, v, v, v, v, v]);
                    assert_eq!(
                        verdict(&searched, &c),
                        verdict(&row, &c),
                        "nr {nr}, args {v:#x}"
                    );
                    c.arch = 0x4000_0003; // AUDIT_ARCH_I386
                    assert_eq!(verdict(&searched, &c), verdict(&row, &c), "i386 nr {nr}");
                }
            }
            // The syscalls with argument rules, with every value the rules name (and its
            // neighbours) in all arguments, then in one at a time.
            for nr in plan.filters().iter().flat_map(|f| f.rules.keys()) {
                for (i, &v) in (0..7).flat_map(|i| values.iter().map(move |v| (i, v))) {
                    let mut args = [v; 6];
                    if i < 6 {
                        args = [0; 6];
                        args[i] = v;
                    }
                    let c = nr_call(*nr as u32, &args);
                    assert_eq!(
                        verdict(&searched, &c),
                        verdict(&row, &c),
                        "nr {nr}, arg {i} {v:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_profile_that_fits_only_as_a_row_is_a_row() {
        // 250 syscalls with argument rules: 2510 instructions as a row, over the kernel's
        // 4096 as a search (each such leaf is seccompiler's whole program for one syscall).
        let progs = allowed_when_arg_1_is_above_5(250);
        assert!(progs[0].len() <= BPF_MAXINSNS);
    }

    /// The first `n` syscalls allowed when their argument 1 is above 5; the
    /// verdicts checked.
    fn allowed_when_arg_1_is_above_5(n: usize) -> Vec<BpfProgram> {
        let names: Vec<&str> = syscalls::all().iter().take(n).map(|(n, _)| *n).collect();
        let json = format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{{"names": {},
                "action": "SCMP_ACT_ALLOW", "args": [{{"index": 1, "value": 5, "op": "SCMP_CMP_GT"}}]}}]}}"#,
            serde_json::to_string(&names).unwrap()
        );
        let progs = compile_str(&json).unwrap();
        for name in &names {
            assert_eq!(verdict(&progs, &call(name, &[0, 6])), ALLOW, "{name}");
            assert_eq!(verdict(&progs, &call(name, &[0, 5])), EPERM, "{name}");
        }
        let unnamed = syscalls::all()
            .iter()
            .skip(n)
            .find(|(_, nr)| names.iter().all(|n| syscalls::number(n) != Some(*nr)));
        assert_eq!(verdict(&progs, &call(unnamed.unwrap().0, &[0, 6])), EPERM);
        progs
    }

    #[test]
    fn a_search_too_wide_for_one_conditional_jump_takes_a_long_one() {
        // 150 syscalls each with an argument rule: each half of the search is longer than
        // the 255 instructions a conditional jump reaches.
        let progs = allowed_when_arg_1_is_above_5(150);
        let long = (libc::BPF_JMP | libc::BPF_JA) as u16;
        assert!(progs[0].iter().any(|i| i.code == long));
    }

    // ---- Other profiles ----

    #[test]
    fn an_allow_by_default_profile_is_one_filter_for_its_denials() {
        let progs = compile_str(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}"#,
        )
        .unwrap();
        assert_eq!(progs.len(), 1);
        let eacces = SECCOMP_RET_ERRNO | libc::EACCES as u32;
        assert_eq!(verdict(&progs, &call("mkdirat", &[])), eacces);
        assert_eq!(verdict(&progs, &call("getpid", &[])), ALLOW);
        // No ENOSYS range when the default allows.
        assert_eq!(verdict(&progs, &nr_call(1000, &[])), ALLOW);
    }

    #[test]
    fn log_rules_allow_and_log_and_kill_rules_win() {
        let progs = compile_str(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["read", "getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["write"], "action": "SCMP_ACT_LOG"},
                {"names": ["getpid"], "action": "SCMP_ACT_KILL_PROCESS",
                 "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]}]}"#,
        )
        .unwrap();
        assert_eq!(progs.len(), 3);
        assert_eq!(verdict(&progs, &call("read", &[])), ALLOW);
        assert_eq!(verdict(&progs, &call("write", &[])), LOG);
        assert_eq!(verdict(&progs, &call("getpid", &[6])), ALLOW);
        assert_eq!(verdict(&progs, &call("getpid", &[7])), KILL_PROCESS);
        assert_eq!(verdict(&progs, &call("close", &[])), EPERM);
    }

    #[test]
    fn args_on_different_indexes_and_and_on_one_index_or() {
        let progs = compile_str(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 3, "op": "SCMP_CMP_EQ"},
                    {"index": 2, "value": 100, "op": "SCMP_CMP_LE"}]},
                {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                    {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
                {"names": ["close"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 255, "valueTwo": 256, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["dup"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 240, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#,
        )
        .unwrap();
        assert_eq!(verdict(&progs, &call("read", &[3, 0, 100])), ALLOW);
        assert_eq!(verdict(&progs, &call("read", &[3, 0, 101])), EPERM);
        assert_eq!(verdict(&progs, &call("read", &[4, 0, 1])), EPERM);
        assert_eq!(verdict(&progs, &call("write", &[1])), ALLOW);
        assert_eq!(verdict(&progs, &call("write", &[2])), ALLOW);
        assert_eq!(verdict(&progs, &call("write", &[3])), EPERM);
        // valueTwo has bits outside the mask: never true (libseccomp's semantics).
        assert_eq!(verdict(&progs, &call("close", &[256])), EPERM);
        assert_eq!(verdict(&progs, &call("dup", &[0x1f])), ALLOW);
        assert_eq!(verdict(&progs, &call("dup", &[0x2f])), EPERM);
    }

    #[test]
    fn includes_and_excludes_select_rules() {
        let progs = compile_str(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "3.0"}},
                {"names": ["write"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.1"}},
                {"names": ["close"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "3.0"}},
                {"names": ["dup"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
                {"names": ["dup3"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64", "arm64"]}},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_CHOWN", "CAP_KILL"]}},
                {"names": ["getppid"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_CHOWN", "CAP_SYS_ADMIN"]}},
                {"names": ["gettid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}},
                {"names": ["getuid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_KILL"]}},
                {"name": "getgid", "action": "SCMP_ACT_ALLOW"}]}"#,
        )
        .unwrap();
        for (name, expected) in [
            ("read", ALLOW),
            ("write", EPERM),
            ("close", EPERM),
            ("dup", EPERM),
            ("dup3", EPERM),
            ("getpid", ALLOW),
            ("getppid", EPERM),
            ("gettid", ALLOW),
            ("getuid", EPERM),
            ("getgid", ALLOW),
        ] {
            assert_eq!(verdict(&progs, &call(name, &[])), expected, "{name}");
        }
    }

    #[test]
    fn names_this_architecture_lacks_are_skipped() {
        let progs = compile_str(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["read", "_llseek", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"}]}"#,
        )
        .unwrap();
        assert_eq!(verdict(&progs, &call("read", &[])), ALLOW);
    }

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_kernel_version("6.1.0-18-amd64\n"), Some((6, 1)));
        assert_eq!(parse_kernel_version("6.18.44-fc-v669"), Some((6, 18)));
        assert_eq!(parse_kernel_version("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel_version("5"), Some((5, 0)));
        assert_eq!(parse_kernel_version("x.1"), None);
    }

    // ---- Errors ----

    fn error_of(json: &str) -> String {
        format!("{:#}", compile_str(json).unwrap_err())
    }

    #[test]
    fn a_profile_that_is_not_json_names_the_file_and_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "seccomp=unconfined").unwrap();
        let err = from_file(&path, &default_set()).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "seccomp profile `{}`: expected value at line 1 column 1",
                path.display()
            )
        );
        let missing = dir.path().join("missing.json");
        let err = format!("{:#}", from_file(&missing, &default_set()).unwrap_err());
        assert!(err.starts_with(&format!("seccomp profile `{}`: ", missing.display())));
        assert!(err.contains("No such file or directory"), "{err}");
    }

    #[test]
    fn unknown_actions_and_comparisons_are_errors() {
        assert_eq!(
            error_of(r#"{"defaultAction": "SCMP_ACT_DENY"}"#),
            "defaultAction: unknown seccomp action `SCMP_ACT_DENY`"
        );
        assert_eq!(
            error_of(
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                    {"names": ["write"], "action": "SCMP_ACT_FOO"}]}"#
            ),
            "syscalls[1] (`write`…): unknown seccomp action `SCMP_ACT_FOO`"
        );
        assert_eq!(
            error_of(
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                    "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "EQ"}]}]}"#
            ),
            "syscalls[0] (`read`…): unknown seccomp comparison `EQ`"
        );
        assert_eq!(
            error_of(
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                    "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#
            ),
            "syscalls[0] (`read`…): argument index 6 is out of range 0..=5"
        );
        assert_eq!(
            error_of(
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                    "action": "SCMP_ACT_NOTIFY"}]}"#
            ),
            "syscalls[0] (`read`…): seccomp action `SCMP_ACT_NOTIFY` is not supported"
        );
        assert_eq!(
            error_of(
                r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                    "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]}"#
            ),
            "syscalls[0] (`read`…): invalid minKernel `new`"
        );
    }

    // ---- The real thing: filters installed in a child, which then execs ----

    /// Runs `script` under `sh -c` with the default profile for Docker's default caps.
    fn sh_filtered(script: &str) -> std::process::Output {
        let progs = default_programs(&default_set()).unwrap();
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c").arg(script);
        cmd.stdout(std::process::Stdio::piped());
        cmd.stderr(std::process::Stdio::piped());
        crate::sys::seccomp::spawn_with_filters(&mut cmd, progs)
            .unwrap()
            .wait_with_output()
            .unwrap()
    }

    fn stdout(out: &std::process::Output) -> String {
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn status_field(status: &str, field: &str) -> Option<String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(|v| v.trim().to_string())
    }

    #[test]
    fn a_filtered_child_shows_seccomp_2_and_no_new_privs() {
        let out = sh_filtered("cat /proc/self/status");
        assert!(out.status.success(), "{out:?}");
        let child = stdout(&out);
        assert_eq!(status_field(&child, "Seccomp").as_deref(), Some("2"));
        assert_eq!(status_field(&child, "NoNewPrivs").as_deref(), Some("1"));
        // Kernels since 5.9 also count the filters: ours come on top of any inherited ones.
        let ours = std::fs::read_to_string("/proc/self/status").unwrap();
        if let (Some(theirs), Some(mine)) = (
            status_field(&child, "Seccomp_filters"),
            status_field(&ours, "Seccomp_filters"),
        ) {
            let count = |s: String| s.parse::<usize>().unwrap();
            assert_eq!(count(theirs), count(mine) + 2);
        }
    }

    #[test]
    fn a_filtered_child_runs_ordinary_commands() {
        let out = sh_filtered("echo hi; ls / >/dev/null && echo listed");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(stdout(&out), "hi\nlisted\n");
    }

    #[test]
    fn a_filtered_child_cannot_create_namespaces() {
        // unshare(2) is in the CAP_SYS_ADMIN group; the test may run as root with every
        // capability, so this is the filter at work.
        let out = sh_filtered("unshare -U true");
        assert!(!out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Operation not permitted"), "{stderr}");
    }

    /// perl's `syscall` reaches any syscall number from a shell (perl-base is Essential on
    /// Debian); each script prints the errno it got.
    fn perl_or_skip() -> bool {
        if Path::new("/usr/bin/perl").exists() {
            return true;
        }
        crate::skip::skip("needs /usr/bin/perl to make raw syscalls");
        false
    }

    #[test]
    fn a_filtered_child_gets_enosys_for_clone3_and_eperm_for_vsock() {
        if !perl_or_skip() {
            return;
        }
        let clone3 = "perl -e 'syscall(435, 0, 0); print $!+0'";
        let unfiltered = std::process::Command::new("/bin/sh")
            .args(["-c", clone3])
            .output()
            .unwrap();
        // Unfiltered, clone3(NULL, 0) fails with EINVAL: the ENOSYS below is the filter's.
        assert_eq!(stdout(&unfiltered), libc::EINVAL.to_string());
        assert_eq!(stdout(&sh_filtered(clone3)), libc::ENOSYS.to_string());

        let vsock = "perl -e 'socket(my $s, 40, 1, 0) or print $!+0'";
        assert_eq!(stdout(&sh_filtered(vsock)), libc::EPERM.to_string());
        let unix = "perl -e 'socket(my $s, 1, 1, 0) and print q(ok)'";
        assert_eq!(stdout(&sh_filtered(unix)), "ok");
    }

    #[test]
    fn a_filtered_child_gets_enosys_above_the_profile_and_eperm_below() {
        if !perl_or_skip() {
            return;
        }
        let max = default_plan(&default_set()).max_nr.unwrap();
        let above = format!("perl -e 'syscall({}, -1, 0, 0, 0, 0); print $!+0'", max + 1);
        assert_eq!(stdout(&sh_filtered(&above)), libc::ENOSYS.to_string());
        let kexec_load = syscalls::number("kexec_load").unwrap();
        let below = format!("perl -e 'syscall({kexec_load}, 0, 0, 0, 0); print $!+0'");
        assert_eq!(stdout(&sh_filtered(&below)), libc::EPERM.to_string());
    }
}
