//! `--init`: berth's own pid 1. The container's first process forks the
//! command and stays behind as the reaper, with no exec: it is already
//! berth's code, so no init binary has to exist in the image (the berth
//! binary is dynamically linked and would not run in a busybox root).
//!
//! Signals stay blocked and are read from a signalfd. A blocked signal is
//! never ignored, not even for a pid 1 with default handlers, so the
//! monitor's SIGTERM reaches us and is passed on to the command.

use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

pub fn reap_and_forward(child: Pid) -> ! {
    let mut mask = SigSet::all();
    mask.remove(Signal::SIGKILL);
    mask.remove(Signal::SIGSTOP);
    let _ = mask.thread_block();
    let code = match SignalFd::new(&mask) {
        Ok(sfd) => run(&sfd, child),
        Err(_) => 125,
    };
    std::process::exit(code)
}

fn run(sfd: &SignalFd, child: Pid) -> i32 {
    loop {
        let Ok(Some(info)) = sfd.read_signal() else {
            continue;
        };
        match Signal::try_from(info.ssi_signo as i32) {
            Ok(Signal::SIGCHLD) => loop {
                match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(p, c)) if p == child => return c,
                    Ok(WaitStatus::Signaled(p, s, _)) if p == child => return 128 + s as i32,
                    Ok(WaitStatus::StillAlive) | Err(_) => break,
                    Ok(_) => continue,
                }
            },
            Ok(s) => {
                let _ = kill(child, s);
            }
            Err(_) => {}
        }
    }
}
