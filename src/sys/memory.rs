//! Giving back the memory a long-lived process touched once: the pages of
//! program text and constants that its setup faulted in, and the heap its
//! setup freed. A detached container's monitor runs the whole start (spec,
//! rootfs, seccomp, id maps) and then only waits; what the start touched
//! would otherwise stay resident for the container's life.

use std::io;

/// What [`drop_clean_file_pages`] unmapped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub mappings: usize,
    /// Resident before, in kB, as smaps counted it.
    pub kb: u64,
}

/// Unmaps from this process every resident page of its private, read-only
/// file mappings that holds the file's own bytes (no copy-on-write copy in
/// the mapping): the text and constants of berth and its libraries. The
/// pages stay in the page cache; the next touch maps them again, with the
/// same contents, so this never changes what the process reads. Mappings
/// with a private copy (relocated data after RELRO made it read-only),
/// writable, shared and special ones ([vdso], [vvar]) are left alone.
pub fn drop_clean_file_pages() -> io::Result<Dropped> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut dropped = Dropped::default();
    for m in droppable(&smaps) {
        // SAFETY: [start, end) is a whole mapping of this process that
        // /proc/self/smaps listed: private, not writable, file-backed, with
        // no anonymous (copy-on-write) page. MADV_DONTNEED on such a
        // mapping only removes page-table entries: a later access faults
        // the same file bytes back in, so no Rust object's memory changes.
        // The mapping could have been unmapped since (nothing here does
        // that); madvise then fails with ENOMEM, which is ignored.
        let r = unsafe {
            libc::madvise(
                m.start as *mut libc::c_void,
                m.end - m.start,
                libc::MADV_DONTNEED,
            )
        };
        if r == 0 {
            dropped.mappings += 1;
            dropped.kb += m.rss_kb;
        }
    }
    Ok(dropped)
}

/// Returns the heap's free memory to the kernel (glibc's `malloc_trim`):
/// what the setup allocated and freed stays resident otherwise.
pub fn trim_heap() {
    // SAFETY: malloc_trim takes a size and touches only the allocator's
    // own state, under its locks; Rust's global allocator is glibc's.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Mapping {
    start: usize,
    end: usize,
    rss_kb: u64,
}

/// The mappings of an smaps text that [`drop_clean_file_pages`] may drop.
fn droppable(smaps: &str) -> Vec<Mapping> {
    let mut out = Vec::new();
    // The mapping being read: Some while it may still qualify.
    let mut cur: Option<Mapping> = None;
    let mut anonymous = 0u64;
    let mut finish = |cur: &mut Option<Mapping>, anonymous: u64| {
        if let Some(m) = cur.take()
            && anonymous == 0
            && m.rss_kb > 0
        {
            out.push(m);
        }
    };
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some(field) = first.strip_suffix(':') {
            let kb = || words.clone().next().and_then(|v| v.parse::<u64>().ok());
            match field {
                "Rss" => {
                    if let Some(m) = &mut cur {
                        m.rss_kb = kb().unwrap_or(0);
                    }
                }
                "Anonymous" => anonymous = kb().unwrap_or(u64::MAX),
                _ => {}
            }
            continue;
        }
        // A mapping's header: range, perms, offset, device, inode, path.
        finish(&mut cur, anonymous);
        anonymous = 0;
        let perms = words.next().unwrap_or("");
        let inode = words.nth(2).unwrap_or("0");
        let path = words.next().unwrap_or("");
        let Some((start, end)) = first.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        let private_read_only = perms.len() == 4 && &perms[1..2] == "-" && &perms[3..4] == "p";
        if private_read_only && inode != "0" && path.starts_with('/') && end > start {
            cur = Some(Mapping {
                start,
                end,
                rss_kb: 0,
            });
        }
    }
    finish(&mut cur, anonymous);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0100000 r--p 00000000 08:01 1234                       /usr/bin/berth
Size:               1024 kB
Rss:                 400 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd
55d0a0100000-55d0a0500000 r-xp 00100000 08:01 1234                       /usr/bin/berth
Size:               4096 kB
Rss:                2000 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
55d0a0500000-55d0a0540000 r--p 00500000 08:01 1234                       /usr/bin/berth
Size:                256 kB
Rss:                 256 kB
Anonymous:           200 kB
VmFlags: rd mr mw me ac sd
55d0a0540000-55d0a0550000 rw-p 00540000 08:01 1234                       /usr/bin/berth
Size:                 64 kB
Rss:                  64 kB
Anonymous:            60 kB
VmFlags: rd wr mr mw me ac sd
55d0a1000000-55d0a1100000 rw-p 00000000 00:00 0                          [heap]
Size:               1024 kB
Rss:                 100 kB
Anonymous:           100 kB
VmFlags: rd wr mr mw me ac sd
7f0000000000-7f0000010000 r--s 00000000 00:05 99                         /memfd:x (deleted)
Size:                 64 kB
Rss:                  64 kB
Anonymous:             0 kB
VmFlags: rd mr me ms sd
7f0000020000-7f0000030000 r--p 00000000 08:01 555                        /usr/lib/x86_64-linux-gnu/libc.so.6
Size:                 64 kB
Rss:                   0 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
Size:                  8 kB
Rss:                   4 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me de sd
";

    #[test]
    fn only_clean_private_read_only_file_mappings_with_pages_are_dropped() {
        assert_eq!(
            droppable(SMAPS),
            vec![
                Mapping {
                    start: 0x55d0a0000000,
                    end: 0x55d0a0100000,
                    rss_kb: 400
                },
                Mapping {
                    start: 0x55d0a0100000,
                    end: 0x55d0a0500000,
                    rss_kb: 2000
                },
            ]
        );
    }

    #[test]
    fn dropping_this_process_pages_keeps_it_running() {
        let before = droppable(&std::fs::read_to_string("/proc/self/smaps").unwrap());
        assert!(!before.is_empty(), "a test binary has resident text");
        let dropped = drop_clean_file_pages().unwrap();
        assert!(dropped.mappings > 0);
        trim_heap();
        // Code and constants fault back in: formatting and the allocator work.
        assert_eq!(format!("{}-{}", 1, "x"), "1-x");
    }
}
