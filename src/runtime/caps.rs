//! Capability sets: Docker's default set, `--cap-add`/`--cap-drop`/`--privileged` resolved
//! into one set, and that set applied to the container's process.
//!
//! Applying happens in two steps in the container child, because of what each step needs:
//!
//! 1. [`drop_bounding`], as uid 0 of the container's user namespace and *before* the user ids
//!    change: `PR_CAPBSET_DROP` needs `CAP_SETPCAP` in the effective set, which the child
//!    holds there (it owns its user namespace) and loses on a switch to a non-zero uid.
//! 2. [`apply`], *after* `setresuid`: sets permitted/effective (and clears inheritable and
//!    ambient). Done after, because a change from uid 0 to another uid clears permitted and
//!    effective anyway (no `PR_SET_KEEPCAPS`), and because before it the child still needs
//!    `CAP_SETUID`/`CAP_SETGID` to change ids even when the container's set lacks them.
//!
//! Then no_new_privs, the seccomp filters (they need no_new_privs, or `CAP_SYS_ADMIN`, which
//! the default set lacks), and execve. The bounding set is what matters most: execve as uid 0
//! gives the process every capability of its bounding set (root is treated as having full
//! file capabilities), and no_new_privs further limits the new permitted set to the old one.

use anyhow::{Context, Result, bail};
use caps::{CapSet, Capability, CapsHashSet};

/// Docker's (and podman's) default set, in the order `docker run` documents it.
const DEFAULT: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FOWNER,
    Capability::CAP_FSETID,
    Capability::CAP_KILL,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_NET_RAW,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_MKNOD,
    Capability::CAP_AUDIT_WRITE,
    Capability::CAP_SETFCAP,
];

/// Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
/// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
pub fn default_set() -> CapsHashSet {
    DEFAULT.into_iter().collect()
}

/// A `--cap-add`/`--cap-drop` argument after normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    All,
    Cap(Capability),
}

/// Docker's normalisation (`NormalizeLegacyCapabilities`): any case, `CAP_` optional, `ALL`
/// (but not `CAP_ALL`) stands for every capability.
fn parse_name(name: &str) -> Result<Name> {
    let upper = name.to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(Name::All);
    }
    match caps::to_canonical(&upper).parse() {
        Ok(cap) => Ok(Name::Cap(cap)),
        Err(_) => bail!("unknown capability `{name}`"),
    }
}

/// The set the container gets, following Docker's `TweakCapabilities` exactly:
/// - `privileged`: every capability; `--cap-add`/`--cap-drop` are then ignored (Docker does
///   the same; names are still checked so a typo is an error, not silence);
/// - `--cap-add ALL`: every capability except those dropped (`--cap-drop ALL` then drops
///   nothing: `ALL` in add wins, as in Docker);
/// - `--cap-drop ALL`: exactly the added ones (`--cap-drop ALL --cap-add X` = only X);
/// - otherwise: the default set, minus the dropped ones, plus the added ones (a cap both
///   dropped and added ends up added).
///
/// "Every capability" means every one this build knows; [`drop_bounding`] and [`apply`]
/// quietly leave out those the running kernel or the calling process lacks.
pub fn resolve(add: &[String], drop: &[String], privileged: bool) -> Result<CapsHashSet> {
    let add = add
        .iter()
        .map(|n| parse_name(n))
        .collect::<Result<Vec<_>>>()?;
    let drop = drop
        .iter()
        .map(|n| parse_name(n))
        .collect::<Result<Vec<_>>>()?;
    let caps_of = |names: &[Name]| -> CapsHashSet {
        names
            .iter()
            .filter_map(|n| match n {
                Name::Cap(c) => Some(*c),
                Name::All => None,
            })
            .collect()
    };
    let (added, dropped) = (caps_of(&add), caps_of(&drop));

    if privileged {
        return Ok(caps::all());
    }
    if add.contains(&Name::All) {
        return Ok(caps::all().difference(&dropped).copied().collect());
    }
    if drop.contains(&Name::All) {
        return Ok(added);
    }
    let mut set: CapsHashSet = default_set().difference(&dropped).copied().collect();
    set.extend(added);
    Ok(set)
}

/// Drops from the calling thread's bounding set every capability not in `keep`.
///
/// Call in the container child as uid 0 of its user namespace, before `setresuid`: dropping
/// needs `CAP_SETPCAP` in the effective set (it stays effective while it leaves the bounding
/// set, so the order of the drops does not matter). The bounding set only shrinks and is
/// inherited by every descendant: nothing in the container can get a dropped capability back.
pub fn drop_bounding(keep: &CapsHashSet) -> Result<()> {
    // Only capabilities the kernel knows: PR_CAPBSET_READ fails (EINVAL) for newer ones.
    for cap in caps::runtime::thread_all_supported() {
        if keep.contains(&cap) {
            continue;
        }
        let held = caps::has_cap(None, CapSet::Bounding, cap)
            .with_context(|| format!("reading {cap} in the bounding set"))?;
        if held {
            caps::drop(None, CapSet::Bounding, cap)
                .with_context(|| format!("dropping {cap} from the bounding set"))?;
        }
    }
    Ok(())
}

/// Sets the calling thread's capabilities for a process about to execve as `uid` (in the
/// container's user namespace): for uid 0, permitted = effective = `keep` (minus what the
/// thread no longer has: a set can only shrink); for any other uid, nothing, as Docker does
/// (the process may still gain file capabilities within the bounding set on execve unless
/// no_new_privs is set). Inheritable and ambient end up empty: Docker and podman stopped
/// filling the inheritable set after CVE-2022-24769 / CVE-2022-27649, where a non-empty one
/// let an unprivileged user in the container gain capabilities through file-inheritable
/// bits.
///
/// Call after `setresuid`/`setresgid`/`setgroups` and after [`drop_bounding`], before
/// no_new_privs and the seccomp filters.
pub fn apply(keep: &CapsHashSet, uid: u32) -> Result<()> {
    let target: CapsHashSet = if uid == 0 {
        let permitted =
            caps::read(None, CapSet::Permitted).context("reading the permitted capabilities")?;
        keep.intersection(&permitted).copied().collect()
    } else {
        CapsHashSet::new()
    };
    // Order matters to capset(2): ambient must stay within permitted ∩ inheritable (so it goes
    // first), effective within permitted (so effective shrinks before permitted does).
    caps::clear(None, CapSet::Ambient).context("clearing the ambient capabilities")?;
    caps::clear(None, CapSet::Inheritable).context("clearing the inheritable capabilities")?;
    caps::set(None, CapSet::Effective, &target).context("setting the effective capabilities")?;
    caps::set(None, CapSet::Permitted, &target).context("setting the permitted capabilities")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit mask `/proc/<pid>/status` shows for `set` (`CapEff:\t{:016x}`); the
    /// default set is `00000000a80425fb`.
    fn mask(set: &CapsHashSet) -> u64 {
        set.iter().fold(0, |m, c| m | c.bitmask())
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn resolved(add: &[&str], drop: &[&str]) -> u64 {
        mask(&resolve(&strings(add), &strings(drop), false).unwrap())
    }

    const DEFAULT_MASK: u64 = 0x0000_0000_a804_25fb;

    #[test]
    fn default_set_has_dockers_mask() {
        assert_eq!(mask(&default_set()), DEFAULT_MASK);
        assert_eq!(format!("{:016x}", mask(&default_set())), "00000000a80425fb");
        assert_eq!(resolved(&[], &[]), DEFAULT_MASK);
    }

    #[test]
    fn names_take_any_case_with_or_without_cap_prefix() {
        let sys_admin = Capability::CAP_SYS_ADMIN.bitmask();
        for name in ["SYS_ADMIN", "sys_admin", "CAP_SYS_ADMIN", "cap_Sys_Admin"] {
            assert_eq!(resolved(&[name], &[]), DEFAULT_MASK | sys_admin, "{name}");
        }
    }

    #[test]
    fn drop_then_add_from_the_default_set() {
        let chown = Capability::CAP_CHOWN.bitmask();
        let net_admin = Capability::CAP_NET_ADMIN.bitmask();
        assert_eq!(resolved(&[], &["chown"]), DEFAULT_MASK & !chown);
        assert_eq!(
            resolved(&["NET_ADMIN"], &["CHOWN"]),
            (DEFAULT_MASK & !chown) | net_admin
        );
        // Both dropped and added: Docker drops first, then adds.
        assert_eq!(resolved(&["CHOWN"], &["CHOWN"]), DEFAULT_MASK);
    }

    #[test]
    fn drop_all_keeps_only_the_added_ones() {
        assert_eq!(resolved(&[], &["ALL"]), 0);
        assert_eq!(
            resolved(&["NET_BIND_SERVICE"], &["all"]),
            Capability::CAP_NET_BIND_SERVICE.bitmask()
        );
    }

    #[test]
    fn add_all_keeps_everything_but_the_dropped_ones() {
        let all = mask(&caps::all());
        assert_eq!(resolved(&["ALL"], &[]), all);
        assert_eq!(
            resolved(&["ALL"], &["SYS_ADMIN"]),
            all & !Capability::CAP_SYS_ADMIN.bitmask()
        );
        // As in Docker, ALL in --cap-add wins over ALL in --cap-drop.
        assert_eq!(resolved(&["ALL"], &["ALL"]), all);
    }

    #[test]
    fn privileged_gets_everything_and_ignores_add_and_drop() {
        let all = mask(&caps::all());
        let set = resolve(&[], &strings(&["CHOWN"]), true).unwrap();
        assert_eq!(mask(&set), all);
    }

    #[test]
    fn unknown_names_are_errors_naming_the_input() {
        for (add, drop) in [
            (&["FOO"][..], &[][..]),
            (&[], &["chwon"]),
            (&["CAP_ALL"], &[]),
        ] {
            let err = resolve(&strings(add), &strings(drop), false).unwrap_err();
            let name = add.first().or(drop.first()).unwrap();
            assert_eq!(err.to_string(), format!("unknown capability `{name}`"));
        }
        // Also with --privileged, where the names are otherwise ignored.
        assert!(resolve(&strings(&["FOO"]), &[], true).is_err());
    }

    /// The status line `field` of the calling thread, e.g. `CapEff`, as a number.
    fn thread_status_hex(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap();
        u64::from_str_radix(line.trim(), 16).unwrap()
    }

    /// Bounding set, capset and prctl act on the calling thread only, so a fresh thread can
    /// try them without touching the rest of the test process.
    #[test]
    fn drop_bounding_then_apply_leaves_the_default_set_in_a_thread() {
        let setpcap = caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP);
        if !matches!(setpcap, Ok(true)) {
            crate::skip::skip("needs CAP_SETPCAP (run the tests as root)");
            return;
        }
        let (bnd, eff, prm, inh, amb) = std::thread::spawn(|| {
            let keep = default_set();
            drop_bounding(&keep).unwrap();
            apply(&keep, 0).unwrap();
            (
                thread_status_hex("CapBnd"),
                thread_status_hex("CapEff"),
                thread_status_hex("CapPrm"),
                thread_status_hex("CapInh"),
                thread_status_hex("CapAmb"),
            )
        })
        .join()
        .unwrap();
        assert_eq!((bnd, eff, prm), (DEFAULT_MASK, DEFAULT_MASK, DEFAULT_MASK));
        assert_eq!((inh, amb), (0, 0));
    }

    #[test]
    fn apply_for_a_non_root_user_leaves_nothing_in_a_thread() {
        let setpcap = caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP);
        if !matches!(setpcap, Ok(true)) {
            crate::skip::skip("needs CAP_SETPCAP (run the tests as root)");
            return;
        }
        let eff = std::thread::spawn(|| {
            apply(&default_set(), 1000).unwrap();
            (thread_status_hex("CapEff"), thread_status_hex("CapPrm"))
        })
        .join()
        .unwrap();
        assert_eq!(eff, (0, 0));
    }
}
