//! The wall clock as the local time zone sees it: the offset that log
//! timestamps carry, as conmon writes them.

use std::io;

/// Seconds east of UTC in the local time zone (`TZ`, else /etc/localtime)
/// at `epoch`.
pub fn local_offset(epoch: i64) -> io::Result<i32> {
    let t: libc::time_t = epoch;
    // SAFETY: an all-zero `tm` is a valid value (integers and a null
    // `tm_zone` pointer); localtime_r overwrites it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals for the duration of the call;
    // localtime_r is the reentrant form and keeps no pointer to them.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return Err(io::Error::last_os_error());
    }
    Ok(tm.tm_gmtoff as i32)
}
