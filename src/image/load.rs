//! `berth load`: docker-archive and oci-archive tarballs into the store.
