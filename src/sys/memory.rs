//! Giving back the memory a long-lived process touched once: the pages of
//! program text and constants that its setup faulted in, and the heap its
//! setup freed. A detached container's monitor runs the whole start (spec,
//! rootfs, seccomp, id maps) and then only waits; what the start touched
//! would otherwise stay resident for the container's life.

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd};

/// What [`release`] gave back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// File mappings whose pages were unmapped.
    pub mappings: usize,
    /// Their resident size before, in kB, as smaps counted it.
    pub kb: u64,
    /// Bytes of the main thread's stack below the caller's frame given back.
    pub stack: usize,
}

/// How much of the stack below the caller's frame [`release`] leaves
/// alone: room for its own frames and the libc calls it makes while it
/// drops the rest.
const STACK_KEEP: usize = 8 * 1024;

/// Gives back what a process that is done with its setup no longer needs,
/// in one pass over /proc/self/smaps:
/// - every resident page of its private, read-only file mappings that holds
///   the file's own bytes (no copy-on-write copy in the mapping): the text
///   and constants of berth and its libraries. The pages stay in the page
///   cache; the next touch maps them again, with the same contents, so this
///   never changes what the process reads. Mappings with a private copy
///   (relocated data after RELRO made it read-only), writable, shared and
///   special ones ([vdso], [vvar]) are left alone;
/// - the heap's free memory (glibc's `malloc_trim`), after smaps' own text
///   is freed;
/// - the main thread's stack below the caller's frame (less [`STACK_KEEP`]):
///   the deep calls of the setup touched it once; what is below the stack
///   pointer holds nothing live, and comes back zeroed when touched.
///
/// Call it from the main thread, at the shallowest frame that will wait;
/// from another thread the stack is left as it is.
pub fn release() -> io::Result<Dropped> {
    let marker = 0u8;
    let sp = std::hint::black_box(&marker) as *const u8 as usize;
    Ok(Plan::prepare(sp)?.give_back())
}

/// The last thing a process does before it sleeps for long: [`release`],
/// then `tell` (the bytes written on the fd, which is then closed: a
/// monitor tells the berth that started it, waiting for the end of that
/// pipe, that all went well), then poll(2) on `fds` for
/// `timeout` (-1: none). Returns what was given back and poll's result;
/// an error when /proc/self/smaps could not be read (then nothing was
/// given back or polled, but `tell` was written and closed).
///
/// From the first page given back to the sleep, only raw system calls
/// run, inline in this function: a call into libc or any other function
/// would fault its page back in, and with it the whole fault-around block
/// (64 kB or more) around it, which is most of what [`release`] saves.
/// Call it from the main thread, like [`release`].
pub fn release_then_poll(
    tell: Option<(OwnedFd, &[u8])>,
    fds: &mut [nix::poll::PollFd<'_>],
    timeout: nix::poll::PollTimeout,
) -> io::Result<(Dropped, io::Result<usize>)> {
    let marker = 0u8;
    let sp = std::hint::black_box(&marker) as *const u8 as usize;
    let plan = match Plan::prepare(sp) {
        Ok(plan) => plan,
        Err(e) => {
            // Nothing given back; `tell` is owed all the same.
            if let Some((fd, bytes)) = tell {
                let _ = std::io::Write::write_all(&mut std::fs::File::from(fd), bytes);
            }
            return Err(e);
        }
    };
    let dropped = plan.give_back();
    if let Some((fd, bytes)) = tell {
        let fd = fd.into_raw_fd();
        // SAFETY: write(2) reads `bytes.len()` bytes from a live slice, on
        // an fd this function owns (into_raw_fd gave up the OwnedFd), which
        // close(2) then ends. A short or failed write is the reader's
        // business: it sees less than it waits for.
        unsafe {
            raw::syscall3(
                libc::SYS_write,
                fd as usize,
                bytes.as_ptr() as usize,
                bytes.len(),
            );
            raw::syscall3(libc::SYS_close, fd as usize, 0, 0);
        }
    }
    let ms = i32::from(timeout);
    let mut ts = libc::timespec {
        tv_sec: (ms.max(0) / 1000) as libc::time_t,
        tv_nsec: ((ms.max(0) % 1000) * 1_000_000) as libc::c_long,
    };
    // SAFETY: nix's PollFd is repr(transparent) over libc::pollfd, so the
    // slice is `fds.len()` pollfds the kernel may write `revents` into
    // for the call; their fds are borrowed for as long as `fds` lives. The
    // timespec lives on this frame, mutable (ppoll writes the time left
    // into it); a null signal mask leaves the mask as it is (ppoll, not
    // poll: aarch64 has only ppoll).
    let r = unsafe {
        raw::syscall5(
            libc::SYS_ppoll,
            fds.as_mut_ptr() as usize,
            fds.len(),
            if ms < 0 {
                0
            } else {
                &mut ts as *mut libc::timespec as usize
            },
            0,
            0,
        )
    };
    drop(plan);
    let polled = if r < 0 {
        Err(io::Error::from_raw_os_error(-r as i32))
    } else {
        Ok(r as usize)
    };
    Ok((dropped, polled))
}

/// What [`release`] will give back, read from /proc/self/smaps before any
/// of it is.
struct Plan {
    mappings: Vec<Mapping>,
    /// The part of the main thread's stack below the caller's frame.
    stack: Option<(usize, usize)>,
}

impl Plan {
    /// Reads the plan, then trims the heap (smaps' own text freed first);
    /// `sp`: an address in the frame that will wait.
    fn prepare(sp: usize) -> io::Result<Plan> {
        let plan = {
            let smaps = std::fs::read_to_string("/proc/self/smaps")?;
            Plan {
                mappings: droppable(&smaps),
                stack: stack_range(&smaps)
                    .and_then(|(lo, hi)| unused_stack(lo, hi, sp, page_size())),
            }
        };
        trim_heap();
        Ok(plan)
    }

    /// Drops the pages, with raw madvise calls (see [`release_then_poll`]);
    /// inline there, so that its code is on the page that runs on.
    #[inline(always)]
    fn give_back(&self) -> Dropped {
        let mut dropped = Dropped::default();
        for m in &self.mappings {
            // SAFETY: [start, end) is a whole mapping of this process that
            // /proc/self/smaps listed: private, not writable, file-backed,
            // with no anonymous (copy-on-write) page. MADV_DONTNEED on such
            // a mapping only removes page-table entries: a later access
            // faults the same file bytes back in, so no Rust object's
            // memory changes. The mapping stays what smaps said: berth
            // maps and unmaps no file anywhere (its file mappings are the
            // binary and what ld.so and glibc's NSS loaded, never unloaded),
            // so no other thread can have put something else at that
            // address meanwhile; were it unmapped, madvise fails with
            // ENOMEM, which is ignored.
            if unsafe { raw::dont_need(m.start, m.end - m.start) } {
                dropped.mappings += 1;
                dropped.kb += m.rss_kb;
            }
        }
        if let Some((start, end)) = self.stack {
            // SAFETY: [start, end) lies in the main thread's [stack]
            // mapping, wholly below the waiting frame's own variable by
            // more than STACK_KEEP: the stack grows down, so nothing live
            // is stored there (no signal handler runs on it: berth has none
            // that could be on this stack now, and the frames of this call
            // sit in the kept part). MADV_DONTNEED makes it read as zero
            // pages the next time the stack grows into it, as fresh stack
            // memory does.
            if unsafe { raw::dont_need(start, end - start) } {
                dropped.stack = end - start;
            }
        }
        dropped
    }
}

/// System calls made with the instruction itself, not libc's wrappers: see
/// [`release_then_poll`]. They return what the kernel does: the result, or
/// -errno.
mod raw {
    /// # Safety
    /// As for the system call `n` with these arguments.
    #[inline(always)]
    pub unsafe fn syscall3(n: libc::c_long, a: usize, b: usize, c: usize) -> isize {
        // SAFETY: the caller's.
        unsafe { syscall5(n, a, b, c, 0, 0) }
    }

    /// `madvise(start, len, MADV_DONTNEED)`; whether it took.
    ///
    /// # Safety
    /// As for madvise: nothing live may be in [start, start + len) unless
    /// the kernel gives the same bytes back when it is read again.
    #[inline(always)]
    pub unsafe fn dont_need(start: usize, len: usize) -> bool {
        // SAFETY: the caller's.
        unsafe { syscall3(libc::SYS_madvise, start, len, libc::MADV_DONTNEED as usize) == 0 }
    }

    /// # Safety
    /// As for the system call `n` with these arguments.
    #[inline(always)]
    pub unsafe fn syscall5(
        n: libc::c_long,
        a: usize,
        b: usize,
        c: usize,
        d: usize,
        e: usize,
    ) -> isize {
        #[cfg(target_arch = "x86_64")]
        {
            let r: isize;
            // SAFETY: the x86-64 Linux system call convention: number in
            // rax, arguments in rdi, rsi, rdx, r10, r8; the result in rax;
            // rcx and r11 clobbered. What the call itself does is the
            // caller's.
            unsafe {
                std::arch::asm!(
                    "syscall",
                    inlateout("rax") n as isize => r,
                    in("rdi") a,
                    in("rsi") b,
                    in("rdx") c,
                    in("r10") d,
                    in("r8") e,
                    lateout("rcx") _,
                    lateout("r11") _,
                    options(nostack),
                );
            }
            r
        }
        #[cfg(target_arch = "aarch64")]
        {
            let r: isize;
            // SAFETY: the AArch64 Linux system call convention: number in
            // x8, arguments in x0-x4, the result in x0. What the call itself
            // does is the caller's.
            unsafe {
                std::arch::asm!(
                    "svc 0",
                    in("x8") n,
                    inlateout("x0") a as isize => r,
                    in("x1") b,
                    in("x2") c,
                    in("x3") d,
                    in("x4") e,
                    options(nostack),
                );
            }
            r
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            // SAFETY: the caller's. Elsewhere libc's wrapper does it (its
            // page comes back in: only memory, not correctness, is at stake).
            let r = unsafe { libc::syscall(n, a, b, c, d, e) };
            if r < 0 {
                -(std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO) as isize)
            } else {
                r as isize
            }
        }
    }
}

/// One malloc arena for the whole process: a thread then allocates from
/// the main heap instead of mapping an arena of its own, which a
/// long-lived process with one small helper thread (the monitor's log pump)
/// would keep resident, half empty, for its whole life. Call it before the
/// first thread starts.
pub fn one_arena() {
    // SAFETY: mallopt sets one of glibc's allocator parameters under its
    // lock; M_ARENA_MAX only bounds how many arenas later threads create.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns the heap's free memory to the kernel (glibc's `malloc_trim`):
/// what the setup allocated and freed stays resident otherwise.
fn trim_heap() {
    // SAFETY: malloc_trim takes a size and touches only the allocator's
    // own state, under its locks; Rust's global allocator is glibc's.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The part of the stack mapping [lo, hi) below `sp` less [`STACK_KEEP`],
/// aligned down to the kernel's `page` size (madvise rounds a length up to
/// a whole page: on a 16 or 64 KiB page kernel a 4 KiB-aligned end would
/// drop the live frames above it), if `sp` is in it and there is such a part.
fn unused_stack(lo: usize, hi: usize, sp: usize, page: usize) -> Option<(usize, usize)> {
    if !(lo..hi).contains(&sp) || !page.is_power_of_two() {
        return None;
    }
    let end = sp.checked_sub(STACK_KEEP)? & !(page - 1);
    (end > lo).then_some((lo, end))
}

/// The kernel's page size.
fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |p| p as usize)
}

/// The main thread's stack mapping in an smaps text.
fn stack_range(smaps: &str) -> Option<(usize, usize)> {
    let line = smaps.lines().find(|l| l.ends_with(" [stack]"))?;
    let (start, end) = line.split_whitespace().next()?.split_once('-')?;
    Some((
        usize::from_str_radix(start, 16).ok()?,
        usize::from_str_radix(end, 16).ok()?,
    ))
}

#[derive(Debug, PartialEq, Eq)]
struct Mapping {
    start: usize,
    end: usize,
    rss_kb: u64,
}

/// The mappings of an smaps text whose pages [`release`] may drop.
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
                // Copies swapped out count as copies: dropping them would
                // bring back the file's unrelocated bytes.
                "Anonymous" | "Swap" => {
                    anonymous = anonymous.saturating_add(kb().unwrap_or(u64::MAX))
                }
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
    fn release_then_poll_tells_closes_and_waits_for_what_is_readable() {
        use std::io::{Read, Write};
        let (told_r, told_w) = nix::unistd::pipe().unwrap();
        let (ready_r, ready_w) = nix::unistd::pipe().unwrap();
        std::fs::File::from(ready_w).write_all(b"x").unwrap();
        let mut fds = [nix::poll::PollFd::new(
            std::os::fd::AsFd::as_fd(&ready_r),
            nix::poll::PollFlags::POLLIN,
        )];
        let (_, polled) = release_then_poll(
            Some((told_w, b"ok")),
            &mut fds,
            nix::poll::PollTimeout::NONE,
        )
        .unwrap();
        assert_eq!(polled.unwrap(), 1);
        assert!(
            fds[0]
                .revents()
                .unwrap()
                .contains(nix::poll::PollFlags::POLLIN)
        );
        // All of it, then the end: the write end was closed.
        let mut told = Vec::new();
        std::fs::File::from(told_r).read_to_end(&mut told).unwrap();
        assert_eq!(told, b"ok");
    }

    #[test]
    fn release_then_poll_times_out_with_nothing_readable() {
        let (r, _w) = nix::unistd::pipe().unwrap();
        let mut fds = [nix::poll::PollFd::new(
            std::os::fd::AsFd::as_fd(&r),
            nix::poll::PollFlags::POLLIN,
        )];
        let (_, polled) =
            release_then_poll(None, &mut fds, nix::poll::PollTimeout::from(10u8)).unwrap();
        assert_eq!(polled.unwrap(), 0);
    }

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
        let dropped = release().unwrap();
        assert!(dropped.mappings > 0);
        // Code and constants fault back in: formatting and the allocator work.
        assert_eq!(format!("{}-{}", 1, "x"), "1-x");
    }

    #[test]
    fn the_stack_is_given_back_only_well_below_the_frame() {
        let (lo, hi) = (0x7ffd_0000_0000, 0x7ffd_0010_0000);
        let sp = hi - 0x1234;
        assert_eq!(
            unused_stack(lo, hi, sp, 4096),
            Some((lo, (sp - STACK_KEEP) & !4095))
        );
        // A 64 KiB page kernel: the end is a whole page below the kept part.
        let (_, end) = unused_stack(lo, hi, sp, 65536).unwrap();
        assert_eq!(end % 65536, 0);
        assert!(end <= sp - STACK_KEEP);
        // Too shallow to give anything back, or not this stack at all.
        assert_eq!(
            unused_stack(lo, lo + STACK_KEEP, lo + STACK_KEEP - 8, 4096),
            None
        );
        assert_eq!(unused_stack(lo, hi, hi + 8, 4096), None);
        assert_eq!(
            stack_range(SMAPS_WITH_STACK),
            Some((0x7ffd_000a_0000, 0x7ffd_000c_1000))
        );
    }

    const SMAPS_WITH_STACK: &str = "\
55d0a1000000-55d0a1100000 rw-p 00000000 00:00 0                          [heap]
Rss:                 100 kB
7ffd000a0000-7ffd000c1000 rw-p 00000000 00:00 0                          [stack]
Rss:                  56 kB
";
}
