//! `berth save`: images out as docker-archive or oci-archive tarballs.
