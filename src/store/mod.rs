//! The OCI image layout under <root>/store and unpacked layers under <root>/layers.
